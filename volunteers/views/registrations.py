"""Registration pages (报到): a member or a unit registers, the community secretary decides."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from twinning import files

from .. import perms, selectors, services
from ..forms import MemberRegistrationForm, UnitRegistrationForm
from .common import button_pressed, form_submitted, posted_reason


@login_required
def register_member(request):
    user = request.user
    if not perms.is_member(user):
        raise PermissionDenied
    form = MemberRegistrationForm(request.POST or None, communities=selectors.communities_to_register(user=user))
    saved = form_submitted(
        request,
        form,
        lambda data: services.registration_member_create(member=user, **data),
        success=_("报到已提交，等待社区审核。"),
    )
    if saved:
        return redirect("volunteers:my_record")
    history = selectors.registrations_own(user=user)
    return render(request, "volunteers/register.html", {"form": form, "history": history, "unit": False})


@login_required
def register_unit(request):
    user = request.user
    if not perms.runs_unit(user):
        raise PermissionDenied
    form = UnitRegistrationForm(
        request.POST or None, request.FILES or None, communities=selectors.communities_to_register(user=user)
    )
    saved = form_submitted(
        request,
        form,
        lambda data: services.registration_unit_create(acting_user=user, **data),
        success=_("单位报到已提交，等待社区审核。"),
    )
    if saved:
        return redirect("volunteers:unit_detail", pk=user.branch_id)
    history = selectors.registrations_own(user=user)
    return render(request, "volunteers/register.html", {"form": form, "history": history, "unit": True})


@require_POST
@login_required
def registration_decide(request, pk: int):
    registration = selectors.registration_get(user=request.user, pk=pk)
    accept = request.POST.get("decision") == "accept"
    reason = posted_reason(request)
    button_pressed(
        request,
        lambda: services.registration_decide(
            registration=registration, acting_user=request.user, accept=accept, reason=reason
        ),
        success=_("已通过报到。") if accept else _("已退回报到。"),
    )
    return redirect("volunteers:community_detail", pk=registration.community_id)


@login_required
def registration_agreement(request, pk: int):
    """The co-building agreement, served only to whoever may see the registration."""
    registration = selectors.registration_get(user=request.user, pk=pk)
    return files.file_response(registration.agreement, download_name=_("共驻共建协议"))
