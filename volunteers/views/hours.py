"""Volunteer hours (志愿服务时长): a member logs them, the community secretary decides."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import perms, selectors, services
from ..forms import HourEntryForm
from .common import button_pressed, form_submitted, posted_reason


def _hours_record(member, data: dict):
    data = dict(data)
    target = selectors.hour_target(data.pop("target"))
    return services.hours_record(member=member, **target, **data)


@login_required
def hours_create(request):
    user = request.user
    if not perms.is_member(user):
        raise PermissionDenied
    form = HourEntryForm(
        request.POST or None,
        targets=selectors.hour_targets(user=user),
        initial={"target": request.GET.get("target", "")},
    )
    entry = form_submitted(
        request,
        form,
        lambda data: _hours_record(user, data),
        success=_("已提交志愿服务时长，等待社区审核。"),
    )
    if entry:
        return redirect("volunteers:my_record")
    return render(request, "volunteers/form.html", {"form": form, "title": _("填报志愿服务时长")})


@require_POST
@login_required
def hours_decide(request, pk: int):
    entry = selectors.hours_get(user=request.user, pk=pk)
    verify = request.POST.get("decision") == "verify"
    reason = posted_reason(request)
    button_pressed(
        request,
        lambda: services.hours_decide(entry=entry, acting_user=request.user, verify=verify, reason=reason),
        success=_("已认定时长。") if verify else _("已退回时长。"),
    )
    return redirect("volunteers:community_detail", pk=entry.community_id)
