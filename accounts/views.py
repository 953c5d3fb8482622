"""Home page: where each role lands after logging in."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pairing import scope
from pairing.selectors import registry as registry_selectors
from twinning.keyset import Keyset, cursors, keyset_page, page_query

from . import services
from .selectors import home_summary

NOTICES_PER_PAGE = 30
NOTICE_ORDER = Keyset("-created_at", "-id")  # Notice.Meta.ordering, the primary key breaking ties


@login_required
def home(request):
    user = request.user
    context = {
        "summary": None,
        "greeting": _("%(name)s（%(role)s），您好。") % {"name": user.label, "role": user.get_role_display()},
    }
    if scope.sees_region(user):
        context["summary"] = home_summary(user=user)
        context["scope_name"] = user.region.name if user.region_id else _("全部")
        context["scope_heading"] = _("%(name)s · 工作概览") % {"name": context["scope_name"]}
    if user.branch_id:
        branch = registry_selectors.branch_get(user=user, pk=user.branch_id)
        context["branch"] = branch
        context["branch_phone"] = scope.phone_for(user, branch.secretary_phone, branch=branch)
    return render(request, "accounts/home.html", context)


@login_required
def notice_list(request):
    """The user's own notices; nobody sees another user's."""
    page = keyset_page(request.user.notices.all(), NOTICE_ORDER, size=NOTICES_PER_PAGE, **cursors(request.GET))
    return render(request, "accounts/notice_list.html", {"page": page, "query": page_query(request.GET)})


@require_POST
@login_required
def notice_read_all(request):
    services.notices_mark_read(user=request.user)
    return redirect("notice_list")
