"""Home page: where each role lands after logging in."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pairing import scope
from pairing.selectors import registry as registry_selectors
from twinning.memo import ProcessMemo

from . import services
from .selectors import home_summary_stamp

# Counting every branch of a city's scope takes about half a second of PostgreSQL at province scale
# and every login of the city's staff lands here; the counts move only with the branches, grades,
# optimisation records and current campaigns: counted once per change (and at most every five
# minutes) per region scope and year, per worker, as the coverage page does.
_summaries = ProcessMemo(size=256, ttl=300)


@login_required
def home(request):
    user = request.user
    context = {
        "summary": None,
        "greeting": _("%(name)s（%(role)s），您好。") % {"name": user.label, "role": user.get_role_display()},
    }
    if scope.sees_region(user):
        # The counts depend on the user only through their scope (scope.branch_q).
        key = (scope.scope_key(user), registry_selectors.current_year(), home_summary_stamp())
        context["summary"] = _summaries.get(key, lambda: registry_selectors.scope_summary(user=user))
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
    page = Paginator(request.user.notices.all(), 30).get_page(request.GET.get("page"))
    return render(request, "accounts/notice_list.html", {"page": page})


@require_POST
@login_required
def notice_read_all(request):
    services.notices_mark_read(user=request.user)
    return redirect("notice_list")
