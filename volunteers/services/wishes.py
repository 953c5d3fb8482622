"""Writes of micro-wishes (微心愿): entered by the community, claimed by one member, reported
fulfilled with a photo, confirmed by the community."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from pairing.models import Branch
from twinning import files
from twinning.audit import save_audited

from ..choices import WishStatus
from ..models import Wish
from .common import community_item_create, file_checked, registration_required, require_member, require_runs_community


@transaction.atomic
def wish_create(*, acting_user: User, community: Branch, **fields) -> Wish:
    return community_item_create(Wish, acting_user=acting_user, community=community, fields=fields)


@transaction.atomic
def wish_claim(*, wish: Wish, member: User) -> Wish:
    """One member claims an open wish; the row lock makes the second claimant fail cleanly."""
    require_member(member)
    registration_required(
        member, community_id=wish.community_id, missing=_("请先到该社区报到并通过审核，再认领微心愿。")
    )
    wish = Wish.objects.select_for_update().get(pk=wish.pk)
    if wish.status != WishStatus.OPEN:
        raise ValidationError(_("该微心愿已被认领。"))
    wish.status = WishStatus.CLAIMED
    wish.claimed_by = member
    wish.claimed_at = timezone.now()
    save_audited(wish, acting_user=member, update_fields=["status", "claimed_by", "claimed_at"])
    return wish


def wish_fulfil(*, wish: Wish, member: User, note: str, photo=None) -> Wish:
    """The claiming member reports the wish fulfilled, with a note and a photo."""
    if not Wish.objects.filter(pk=wish.pk, claimed_by=member).exists():
        raise PermissionDenied(_("只有认领该心愿的党员可以提交圆梦情况。"))
    if not note.strip():
        raise ValidationError({"note": _("请填写圆梦情况。")})
    if not photo:
        raise ValidationError({"photo": _("请上传圆梦照片。")})
    checked = file_checked(photo, accept=files.IMAGES, field="photo")
    with files.files_written("volunteers/wishes") as writer, transaction.atomic():
        locked = Wish.objects.select_for_update().get(pk=wish.pk)
        if locked.status != WishStatus.CLAIMED:
            raise ValidationError(_("该微心愿当前不能提交圆梦情况。"))
        locked.photo = writer.save(checked)
        locked.fulfil_note = note.strip()
        locked.status = WishStatus.FULFILLED
        locked.fulfilled_at = timezone.now()
        save_audited(locked, acting_user=member, update_fields=["photo", "fulfil_note", "status", "fulfilled_at"])
    return locked


@transaction.atomic
def wish_confirm(*, wish: Wish, acting_user: User) -> Wish:
    require_runs_community(acting_user, wish.community)
    wish = Wish.objects.select_for_update().get(pk=wish.pk)
    if wish.status != WishStatus.FULFILLED:
        raise ValidationError(_("该微心愿尚未提交圆梦情况。"))
    wish.status = WishStatus.CONFIRMED
    wish.confirmed_by = acting_user
    wish.confirmed_at = timezone.now()
    save_audited(wish, acting_user=acting_user, update_fields=["status", "confirmed_by", "confirmed_at"])
    return wish
