"""Writes of the activities app: atomic, validated, audited (django-simple-history)."""

from __future__ import annotations

import datetime
import logging

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerUnavailable
from PIL import Image
from simple_history.utils import bulk_create_with_history

from accounts.models import User
from accounts.services import notice_send, notice_send_to_branch
from pairing.choices import BRANCH_SCOPED_ROLES
from pairing.models import Branch, Pairing, PairingStatus, Region
from pairing.roster.bulk import insert_with_history
from twinning import files

from . import uploads
from .choices import ActivityKind, Half, TaskProgress, ThemeDayStatus
from .models import (
    JointActivity,
    KeyTask,
    KeyTaskEvidence,
    KeyTaskList,
    KeyTaskReport,
    StoredImage,
    ThemeDay,
    ThemeDayAttachment,
    ThemeDayPhoto,
)

logger = logging.getLogger(__name__)

THEME_DAY_FIELDS = ("held_on", "theme", "place", "summary", "helper_attendance", "partner_attendance")


# --- who acts -------------------------------------------------------------------------------


def secretary_side(*, user, pairing: Pairing) -> Branch:
    """The side of the pairing a secretary acts for; PermissionDenied for anyone else."""
    if getattr(user, "role", None) in BRANCH_SCOPED_ROLES and user.branch_id in (pairing.helper_id, pairing.partner_id):
        return pairing.helper if user.branch_id == pairing.helper_id else pairing.partner
    raise PermissionDenied(_("只有结对双方的支部书记可以填报。"))


def _set_history_user(obj, user) -> None:
    obj._history_user = user


# --- validation shared by theme days and joint activities ----------------------------------


def _validate_date(*, pairing: Pairing, held_on: datetime.date) -> None:
    today = timezone.localdate()
    if held_on > today:
        raise ValidationError({"held_on": _("活动日期不能晚于今天（%(today)s）。") % {"today": f"{today:%Y-%m-%d}"}})
    if held_on < pairing.started_on:
        raise ValidationError(
            {"held_on": _("活动日期早于结对日期（%(d)s）。") % {"d": f"{pairing.started_on:%Y-%m-%d}"}}
        )
    if pairing.dissolved_on and held_on > pairing.dissolved_on:
        raise ValidationError(
            {"held_on": _("活动日期晚于结对解除日期（%(d)s）。") % {"d": f"{pairing.dissolved_on:%Y-%m-%d}"}}
        )


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
        checked_photos = uploads.images_check(photos)
    except ValidationError as exc:
        errors["photos"] = exc.error_list
    try:
        checked_docs = uploads.documents_check(attachments)
    except ValidationError as exc:
        errors["attachments"] = exc.error_list
    if errors:
        raise ValidationError(errors)
    return checked_photos, checked_docs


def _store_files(writer, *, theme_day: ThemeDay, photos, documents, user) -> None:
    rows = [uploads.store_image(writer, ThemeDayPhoto, p, theme_day=theme_day, uploaded_by=user) for p in photos]
    ThemeDayPhoto.objects.bulk_create(rows)
    _display_copies_after_commit(ThemeDayPhoto, rows)
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


# --- page copies of photos -------------------------------------------------------------------


def _display_copies_after_commit(model: type[StoredImage], rows: list[StoredImage]) -> None:
    """Once the rows are committed, queue the page copies of the images that are not their own.

    The request only stores the original (safe on disk before the response); decoding and
    resizing a phone photo takes a worker ~0.1–0.3 s. Without a queue (Redis down) the copies are
    made right here instead. After the commit nothing can undo the upload: a failure is logged
    (``robust``) and the pages show the original until a copy exists.
    """
    ids = [row.pk for row in rows if not row.display]
    if not ids:
        return
    label = model._meta.label

    def enqueue():
        from .tasks import make_display_copies

        try:
            make_display_copies.apply_async(kwargs={"model_label": label, "ids": ids}, ignore_result=True)
        except BrokerUnavailable:
            logger.warning("task queue unavailable: making %d page copies of %s in the request", len(ids), label)
            photo_display_copies_make(model_label=label, ids=ids)

    transaction.on_commit(enqueue, robust=True)


def photo_display_copies_make(*, model_label: str, ids: list[int]) -> int:
    """Make the page copies of stored images that have none yet; returns how many were made.

    Idempotent: an image that has its copy is skipped, and when two runs race on one image the
    second deletes its file. An original that does not decode keeps no copy (its pages show the
    original); a storage error propagates, so that the task is retried.
    """
    model = apps.get_model(model_label)
    if not issubclass(model, StoredImage):
        raise ValueError(f"{model_label} is not a stored image")
    made = 0
    for image in model.objects.filter(pk__in=ids, display=""):
        with image.original.open("rb") as handle:
            data = handle.read()
        try:
            copy = uploads.display_copy(data)
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
            logger.exception("no page copy for %s %s", model_label, image.pk)
            continue
        name = uploads.save_beside(image.original.name, copy, "jpg")
        if model.objects.filter(pk=image.pk, display="").update(display=name):
            made += 1
        else:
            default_storage.delete(name)
    return made


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
    errors = {}
    for check in (
        lambda: _validate_date(pairing=pairing, held_on=held_on),
        lambda: _validate_attendance(
            pairing=pairing, helper_attendance=helper_attendance, partner_attendance=partner_attendance
        ),
    ):
        try:
            check()
        except ValidationError as exc:
            errors.update(exc.error_dict)
    try:
        checked_photos, checked_docs = _validate_files(photos, attachments)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if errors:
        raise ValidationError(errors)

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
    errors = {}
    for check in (
        lambda: _validate_date(pairing=pairing, held_on=merged["held_on"]),
        lambda: _validate_attendance(
            pairing=pairing,
            helper_attendance=merged["helper_attendance"],
            partner_attendance=merged["partner_attendance"],
        ),
    ):
        try:
            check()
        except ValidationError as exc:
            errors.update(exc.error_dict)
    try:
        checked_photos, checked_docs = _validate_files(photos, attachments)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if errors:
        raise ValidationError(errors)

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
        _set_history_user(locked, acting_user)
        locked.save(update_fields=[*changed, "status", "return_reason", "reviewed_by", "reviewed_at", "updated_at"])
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
        _set_history_user(locked, acting_user)
        locked.save(update_fields=["status", "return_reason", "reviewed_by", "reviewed_at", "updated_at"])
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
    recorders = User.objects.filter(role__in=BRANCH_SCOPED_ROLES, branch_id=theme_day.recorded_by_branch_id)
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
        roles=BRANCH_SCOPED_ROLES,
        title=title,
        body=f"{theme_day.held_on:%Y-%m-%d} {theme_day.theme}",
        url=theme_day.get_absolute_url(),
        kind="theme_day",
    )


# --- other joint activities ------------------------------------------------------------------


def joint_activity_record(
    *,
    pairing: Pairing,
    acting_user: User,
    kind: str,
    held_on: datetime.date,
    title: str,
    summary: str = "",
    participants: int = 0,
    persons_visited: int = 0,
) -> JointActivity:
    side = secretary_side(user=acting_user, pairing=pairing)
    _validate_date(pairing=pairing, held_on=held_on)
    if kind != ActivityKind.VISIT:
        persons_visited = 0  # only 走访慰问 counts persons visited
    activity = JointActivity(
        pairing=pairing,
        recorded_by_branch=side,
        recorded_by=acting_user,
        kind=kind,
        held_on=held_on,
        title=title.strip(),
        summary=summary.strip(),
        participants=participants,
        persons_visited=persons_visited,
    )
    _set_history_user(activity, acting_user)
    activity.save()
    return activity


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
        for user in User.objects.filter(role__in=BRANCH_SCOPED_ROLES, branch_id__in=branch_ids, is_active=True):
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


# --- the N list ------------------------------------------------------------------------------


def key_task_list_publish(*, region: Region, year: int, half: int, tasks: list[dict], acting_user: User) -> KeyTaskList:
    """Publish a region's key-task list for a half year with its items (title, description, due_on)."""
    tasks = [t for t in tasks if (t.get("title") or "").strip()]
    if not tasks:
        raise ValidationError(_("请至少填写一项重点任务。"))
    start, end = half_bounds(year, half)
    for t in tasks:
        if t["due_on"] < start:
            raise ValidationError(
                _("“%(title)s”的完成时限早于%(period)s开始。")
                % {"title": t["title"], "period": f"{year}{Half(half).label}"}
            )
    try:
        with transaction.atomic():
            task_list = KeyTaskList(region=region, year=year, half=half, published_by=acting_user)
            _set_history_user(task_list, acting_user)
            task_list.save()
            bulk_create_with_history(
                [
                    KeyTask(
                        task_list=task_list,
                        title=t["title"].strip(),
                        description=(t.get("description") or "").strip(),
                        due_on=t["due_on"],
                        order=i,
                    )
                    for i, t in enumerate(tasks, start=1)
                ],
                KeyTask,
                default_user=acting_user,
            )
    except IntegrityError as exc:
        raise ValidationError(
            _("%(region)s %(period)s的重点任务清单已发布。") % {"region": region, "period": f"{year}{Half(half).label}"}
        ) from exc
    return task_list


def half_bounds(year: int, half: int) -> tuple[datetime.date, datetime.date]:
    if half == Half.FIRST:
        return datetime.date(year, 1, 1), datetime.date(year, 6, 30)
    return datetime.date(year, 7, 1), datetime.date(year, 12, 31)


def next_half(year: int, half: int) -> tuple[int, int]:
    return (year, Half.SECOND) if half == Half.FIRST else (year + 1, Half.FIRST)


def key_task_report_save(
    *, task: KeyTask, pairing: Pairing, acting_user: User, status: str, note: str = "", photos=()
) -> KeyTaskReport:
    """A pairing's secretary reports progress on one item (creates or updates the report), with evidence photos."""
    secretary_side(user=acting_user, pairing=pairing)
    try:
        checked = uploads.images_check(photos)
    except ValidationError as exc:
        raise ValidationError({"photos": exc.error_list}) from exc
    if status not in TaskProgress.values:
        raise ValidationError({"status": _("请选择进展。")})
    with files.files_written("activities/key_tasks") as writer, transaction.atomic():
        report = KeyTaskReport.objects.select_for_update().filter(task=task, pairing=pairing).first()
        if report is None:
            report = KeyTaskReport(task=task, pairing=pairing)
        report.status = status
        report.note = (note or "").strip()
        report.reported_by = acting_user
        _set_history_user(report, acting_user)
        report.save()
        rows = [
            uploads.store_image(writer, KeyTaskEvidence, c, report=report, uploaded_by=acting_user) for c in checked
        ]
        KeyTaskEvidence.objects.bulk_create(rows)
        _display_copies_after_commit(KeyTaskEvidence, rows)
    return report


def key_task_list_carry_over(*, task_list: KeyTaskList, acting_user: User, pairings) -> tuple[KeyTaskList, int]:
    """Carry the unfinished items into the next half year's list of the same region (created if missing).

    An item is unfinished while any of the given pairings (the active pairings of the region)
    has not reported it done. Carrying twice adds nothing.
    """
    total = pairings.count()
    done = dict(_done_counts(task_list=task_list, pairings=pairings))
    unfinished = [t for t in task_list.tasks.all() if not total or done.get(t.pk, 0) < total]
    year, half = next_half(task_list.year, task_list.half)
    _start, end = half_bounds(year, half)
    with transaction.atomic():
        target = KeyTaskList.objects.filter(region=task_list.region, year=year, half=half).first()
        if target is None:
            target = KeyTaskList(region=task_list.region, year=year, half=half, published_by=acting_user)
            _set_history_user(target, acting_user)
            target.save()
        already = set(target.tasks.exclude(carried_from=None).values_list("carried_from_id", flat=True))
        offset = target.tasks.count()
        new = [
            KeyTask(
                task_list=target,
                title=t.title,
                description=t.description,
                due_on=max(t.due_on, end),
                order=offset + i,
                carried_from=t,
            )
            for i, t in enumerate([t for t in unfinished if t.pk not in already], start=1)
        ]
        bulk_create_with_history(new, KeyTask, default_user=acting_user)
    return target, len(new)


def _done_counts(*, task_list: KeyTaskList, pairings):
    return (
        KeyTaskReport.objects.filter(
            task__task_list=task_list, pairing__in=pairings.values("pk"), status=TaskProgress.DONE
        )
        .values("task_id")
        .annotate(n=Count("pk"))
        .values_list("task_id", "n")
        .order_by()
    )
