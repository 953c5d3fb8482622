"""Writes of the N list (N 项重点任务): publish a list, report progress with evidence, carry items over."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from accounts.models import User
from pairing.models import Pairing, Region
from twinning import files
from twinning.audit import insert_with_history, save_audited

from ..choices import Half, TaskProgress
from ..models import KeyTask, KeyTaskEvidence, KeyTaskList, KeyTaskReport
from .common import secretary_side
from .photos import display_copies_after_commit, images_check, store_image


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
            save_audited(task_list, acting_user=acting_user)
            insert_with_history(
                KeyTask,
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
                user=acting_user,
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
        checked = images_check(photos)
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
        save_audited(report, acting_user=acting_user)
        rows = [store_image(writer, KeyTaskEvidence, c, report=report, uploaded_by=acting_user) for c in checked]
        KeyTaskEvidence.objects.bulk_create(rows)
        display_copies_after_commit(KeyTaskEvidence, rows)
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
            save_audited(target, acting_user=acting_user)
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
        insert_with_history(KeyTask, new, user=acting_user)
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
