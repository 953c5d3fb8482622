"""Micro-wish pages (微心愿): enter, claim, report fulfilled, confirm, the photo."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from twinning import files

from .. import perms, selectors, services
from ..forms import WishForm, WishFulfilForm
from .common import button_pressed, community_item_form, form_submitted


@login_required
def wish_create(request, community_pk: int):
    return community_item_form(
        request,
        community_pk,
        form_class=WishForm,
        create=services.wish_create,
        title=_("录入微心愿"),
        success=_("已录入微心愿。"),
    )


@login_required
def wish_detail(request, pk: int):
    user = request.user
    wish = selectors.wish_get(user=user, pk=pk)
    context = {
        "wish": wish,
        "resident": selectors.resident_name_for(user=user, wish=wish),
        "is_secretary": perms.runs_community(user, wish.community),
        "can_claim": perms.may_claim_wish(user, wish),
        "fulfil_form": WishFulfilForm() if perms.may_fulfil_wish(user, wish) else None,
    }
    return render(request, "volunteers/wish_detail.html", context)


@require_POST
@login_required
def wish_claim(request, pk: int):
    wish = selectors.wish_get(user=request.user, pk=pk)
    button_pressed(request, lambda: services.wish_claim(wish=wish, member=request.user), success=_("已认领微心愿。"))
    return redirect(wish)


@login_required
def wish_fulfil(request, pk: int):
    wish = selectors.wish_get(user=request.user, pk=pk)
    if not perms.claimed_wish(request.user, wish):
        raise PermissionDenied
    form = WishFulfilForm(request.POST or None, request.FILES or None)
    fulfilled = form_submitted(
        request,
        form,
        lambda data: services.wish_fulfil(wish=wish, member=request.user, **data),
        success=_("已提交圆梦情况，等待社区确认。"),
    )
    if fulfilled:
        return redirect(wish)
    return render(
        request, "volunteers/form.html", {"form": form, "title": _("提交圆梦情况"), "community": wish.community}
    )


@require_POST
@login_required
def wish_confirm(request, pk: int):
    wish = selectors.wish_get(user=request.user, pk=pk)
    button_pressed(
        request, lambda: services.wish_confirm(wish=wish, acting_user=request.user), success=_("已确认圆梦。")
    )
    return redirect(wish)


@login_required
def wish_photo(request, pk: int):
    wish = selectors.wish_get(user=request.user, pk=pk)
    return files.file_response(wish.photo)
