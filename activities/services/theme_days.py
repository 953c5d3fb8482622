"""Writes of theme Party days (主题党日): record, edit, confirm or return, and the monthly reminder."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import notice_send, notice_send_to_branch
from pairing import scope
from pairing.choices import PairingStatus
from pairing.models import Pairing
from twinning import files
from twinning.audit import insert_with_history, save_audited

from ..choices import ThemeDayStatus
from ..models import ThemeDay, ThemeDayAttachment, ThemeDayPhoto
from .common import secretary_side, validate_date
from .photos import display_copies_after_commit, documents_check, images_check, store_image

THEME_DAY_FIELDS = ("held_on", "theme", "place", "summary", "helper_attendance", "partner_attendance")


def _validate_attendance(*, pairing: Pairing, helper_attendance: int, partner_attendance: int) -> None:
    errors = {}
    for field, count, branch in (
        ("helper_attendance", helper_attendance, pairing.helper),
        ("partner_attendance", partner_attendance, pairing.partner),
    ):
        if count > branch.member_count:
            errors[field] = _("参加人数 %(n)d 超过%(branch)s的党员数（%(m)d 人）。") % {
                "n": count,
                "branch": branch.name,
                "m": branch.member_count,
            }
    if helper_attendance + partner_attendance <= 0:
        errors.setdefault("helper_attendance", _("请填写参加人数。"))
    if errors:
        raise ValidationError(errors)


def _validate_files(photos, attachments) -> tuple[list, list]:
    errors = {}
    checked_photos, checked_docs = [], []
    try:
        checked_photos = images_check(photos)
    except ValidationError as exc:
        errors["photos"] = exc.error_list
    try:
        checked_docs = documents_check(attachments)
    except ValidationError as exc:
        errors["attachments"] = exc.error_list
    if errors:
        raise ValidationError(errors)
    return checked_photos, checked_docs


def _theme_day_check(
    *, pairing: Pairing, held_on: datetime.date, helper_attendance: int, partner_attendance: int, photos, attachments
) -> tuple[list, list]:
    """Every rule of a theme day at once (the date, the attendance, each file): the checked photos and
    documents, or one ValidationError naming every field at fault."""
    errors = {}
    for check in (
        lambda: validate_date(pairing=pairing, held_on=held_on),
        lambda: _validate_attendance(
            pairing=pairing, helper_attendance=helper_attendance, partner_attendance=partner_attendance
        ),
    ):
        try:
            check()
        except ValidationError as exc:
            errors.update(exc.error_dict)
    try:
        checked = _validate_files(photos, attachments)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if errors:
        raise ValidationError(errors)
    return checked


def _store_files(writer, *, theme_day: ThemeDay, photos, documents, user) -> None:
    rows = [store_image(writer, ThemeDayPhoto, p, theme_day=theme_day, uploaded_by=user) for p in photos]
    ThemeDayPhoto.objects.bulk_create(rows)
    display_copies_after_commit(ThemeDayPhoto, rows)
    ThemeDayAttachment.objects.bulk_create(
        [
            ThemeDayAttachment(
                theme_day=theme_day,
                file=writer.save(d),
                original_name=d.name,
                size=len(d.data),
                uploaded_by=user,
            )
            for d in documents
        ]
    )


# --- theme Party days ------------------------------------------------------------------------


def theme_day_record(
    *,
    pairing: Pairing,
    acting_user: User,
    held_on: datetime.date,
    theme: str,
    place: str,
    summary: str = "",
    helper_attendance: int = 0,
    partner_attendance: int = 0,
    photos=(),
    attachments=(),
) -> ThemeDay:
    """Record a theme Party day for the acting secretary's side; the other side must confirm it.

    Dates, attendance and every file are validated before anything is written; files
    written before a failure are removed.
    """
    side = secretary_side(user=acting_user, pairing=pairing)
    checked_photos, checked_docs = _theme_day_check(
        pairing=pairing,
        held_on=held_on,
        helper_attendance=helper_attendance,
        partner_attendance=partner_attendance,
        photos=photos,
        attachments=attachments,
    )

    with files.files_written("activities/theme_days") as writer, transaction.atomic():
        theme_day = ThemeDay(
            pairing=pairing,
            recorded_by_branch=side,
            recorded_by=acting_user,
            held_on=held_on,
            theme=theme.strip(),
            place=place.strip(),
            summary=summary.strip(),
            helper_attendance=helper_attendance,
            partner_attendance=partner_attendance,
            status=ThemeDayStatus.PENDING,
        )
        # The same row and "+" history row as save() would write, without save()'s signal path:
        # django-simple-history builds a manager class on every save (a third of this write's CPU).
        insert_with_history(ThemeDay, [theme_day], user=acting_user, date=timezone.now())
        _store_files(writer, theme_day=theme_day, photos=checked_photos, documents=checked_docs, user=acting_user)
        _notify_other_side(theme_day=theme_day, title=_("有一条主题党日记录待您确认"))
    return theme_day


def theme_day_update(*, theme_day: ThemeDay, acting_user: User, data: dict, photos=(), attachments=()) -> ThemeDay:
    """Edit a theme day (recording side only). Any change puts it back to pending: the partner confirms again."""
    side = secretary_side(user=acting_user, pairing=theme_day.pairing)
    if side.pk != theme_day.recorded_by_branch_id:
        raise PermissionDenied(_("只有记录方可以修改，对方可以退回。"))
    pairing = theme_day.pairing
    values = {f: data[f] for f in THEME_DAY_FIELDS if f in data}
    merged = {f: values.get(f, getattr(theme_day, f)) for f in THEME_DAY_FIELDS}
    checked_photos, checked_docs = _theme_day_check(
        pairing=pairing,
        held_on=merged["held_on"],
        helper_attendance=merged["helper_attendance"],
        partner_attendance=merged["partner_attendance"],
        photos=photos,
        attachments=attachments,
    )

    changed = [f for f in THEME_DAY_FIELDS if getattr(theme_day, f) != merged[f]]
    if not changed and not checked_photos and not checked_docs:
        return theme_day
    with files.files_written("activities/theme_days") as writer, transaction.atomic():
        locked = ThemeDay.objects.select_for_update().get(pk=theme_day.pk)
        for f in changed:
            setattr(locked, f, merged[f])
        locked.status = ThemeDayStatus.PENDING
        locked.return_reason = ""
        locked.reviewed_by = None
        locked.reviewed_at = None
        save_audited(
            locked,
            acting_user=acting_user,
            update_fields=[*changed, "status", "return_reason", "reviewed_by", "reviewed_at", "updated_at"],
        )
        _store_files(writer, theme_day=locked, photos=checked_photos, documents=checked_docs, user=acting_user)
        _notify_other_side(theme_day=locked, title=_("主题党日记录已修改，请重新确认"))
    return locked


def _review(*, theme_day: ThemeDay, acting_user: User, status: str, reason: str = "") -> ThemeDay:
    side = secretary_side(user=acting_user, pairing=theme_day.pairing)
    if side.pk == theme_day.recorded_by_branch_id:
        raise PermissionDenied(_("主题党日需由结对另一方确认。"))
    with transaction.atomic():
        locked = ThemeDay.objects.select_for_update().get(pk=theme_day.pk)
        if locked.status != ThemeDayStatus.PENDING:
            raise ValidationError(_("该记录当前不是待确认状态。"))
        locked.status = status
        locked.return_reason = reason
        locked.reviewed_by = acting_user
        locked.reviewed_at = timezone.now()
        save_audited(
            locked,
            acting_user=acting_user,
            update_fields=["status", "return_reason", "reviewed_by", "reviewed_at", "updated_at"],
        )
    return locked


def theme_day_confirm(*, theme_day: ThemeDay, acting_user: User) -> ThemeDay:
    """The other side's secretary confirms (双方确认)."""
    return _review(theme_day=theme_day, acting_user=acting_user, status=ThemeDayStatus.CONFIRMED)


def theme_day_return(*, theme_day: ThemeDay, acting_user: User, reason: str) -> ThemeDay:
    """The other side's secretary sends it back with a reason; the recorder edits and it is pending again."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写退回原因。")})
    theme_day = _review(theme_day=theme_day, acting_user=acting_user, status=ThemeDayStatus.RETURNED, reason=reason)
    recorders = User.objects.filter(role__in=scope.BRANCH_SCOPED_ROLES, branch_id=theme_day.recorded_by_branch_id)
    notice_send(
        users=recorders,
        title=_("主题党日记录被退回"),
        body=reason,
        url=theme_day.get_absolute_url(),
        kind="theme_day",
    )
    return theme_day


def _notify_other_side(*, theme_day: ThemeDay, title: str) -> None:
    notice_send_to_branch(
        branch_id=theme_day.other_branch_id,
        roles=scope.BRANCH_SCOPED_ROLES,
        title=title,
        body=f"{theme_day.held_on:%Y-%m-%d} {theme_day.theme}",
        url=theme_day.get_absolute_url(),
        kind="theme_day",
    )


# --- reminders -------------------------------------------------------------------------------


def theme_day_reminders_send(*, today: datetime.date | None = None) -> int:
    """Notify both secretaries of every active pairing with no theme day recorded yet this month.

    Idempotent per pairing and month (notice key). Returns how many notices were created.
    """
    today = today or timezone.localdate()
    month_start = today.replace(day=1)
    recorded = ThemeDay.objects.filter(pairing=OuterRef("pk"), held_on__gte=month_start, held_on__lte=today)
    pairings = (
        Pairing.objects.filter(status=PairingStatus.ACTIVE, started_on__lte=today)
        .filter(~Exists(recorded))
        .values_list("pk", "helper_id", "partner_id")
        .order_by("pk")
    )
    secretaries: dict[int, list[User]] = {}
    sent = 0
    for chunk in _chunks(list(pairings), 500):
        branch_ids = {b for _pk, h, p in chunk for b in (h, p)}
        secretaries.clear()
        for user in User.objects.filter(role__in=scope.BRANCH_SCOPED_ROLES, branch_id__in=branch_ids, is_active=True):
            secretaries.setdefault(user.branch_id, []).append(user)
        for pk, helper_id, partner_id in chunk:
            users = secretaries.get(helper_id, []) + secretaries.get(partner_id, [])
            if not users:
                continue
            sent += notice_send(
                users=users,
                title=_("提醒：本月主题党日尚未开展"),
                body=_("%(month)s 结对支部尚未记录主题党日，请在月底前开展并填报。") % {"month": f"{today:%Y年%m月}"},
                url=reverse("activities:theme_day_create", args=[pk]),
                kind="theme_day_reminder",
                key=f"theme-day-reminder:{pk}:{today:%Y-%m}",
            )
    return sent


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]
