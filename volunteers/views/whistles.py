"""Whistle pages (吹哨): the community calls, registered units and members answer, the community closes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import perms, selectors, services
from ..forms import WhistleForm
from .common import button_pressed, community_item_form


@login_required
def whistle_create(request, community_pk: int):
    return community_item_form(
        request,
        community_pk,
        form_class=WhistleForm,
        create=services.whistle_create,
        title=_("社区吹哨"),
        success=_("已吹哨，已通知本社区报到的单位和党员。"),
        initial={"happens_on": timezone.localdate()},
    )


@login_required
def whistle_detail(request, pk: int):
    user = request.user
    whistle = selectors.whistle_get(user=user, pk=pk)
    responses = list(selectors.whistle_responses(whistle=whistle))
    context = {
        "whistle": whistle,
        "responses": responses,
        "is_secretary": perms.runs_community(user, whistle.community),
        "can_respond": perms.may_take_part(user, whistle, taken=responses),
    }
    return render(request, "volunteers/whistle_detail.html", context)


@require_POST
@login_required
def whistle_respond(request, pk: int):
    whistle = selectors.whistle_get(user=request.user, pk=pk)
    button_pressed(
        request,
        lambda: services.whistle_respond(whistle=whistle, acting_user=request.user),
        success=_("已响应吹哨，请按时到岗。"),
    )
    return redirect(whistle)


@require_POST
@login_required
def whistle_close(request, pk: int):
    whistle = selectors.whistle_get(user=request.user, pk=pk)
    services.whistle_close(whistle=whistle, acting_user=request.user)
    messages.success(request, _("吹哨事项已结束。"))
    return redirect(whistle)
