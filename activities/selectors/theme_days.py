"""Reads of the activities app. Every function starts from what the user may see (pairing.scope)."""

from __future__ import annotations

import dataclasses
import datetime
from collections import namedtuple
from dataclasses import dataclass, field

from django.db.models import Count, F, FilteredRelation, IntegerField, Q, QuerySet, Value
from django.db.models.functions import Cast, ExtractMonth
from django.shortcuts import get_object_or_404
from django.utils import timezone

from pairing import scope
from pairing.choices import REGION_SCOPED_ROLES, RegionLevel
from pairing.keyset import Keyset, Page, keyset_page, merged_keyset_page
from pairing.models import Pairing, PairingStatus, Region
from pairing.selectors import pairing_list

from .choices import ComplianceCell, TaskProgress, ThemeDayStatus
from .models import (
    JointActivity,
    KeyTask,
    KeyTaskEvidence,
    KeyTaskList,
    KeyTaskReport,
    ThemeDay,
    ThemeDayAttachment,
    ThemeDayPhoto,
)

# Lists of theme days and joint activities: newest first (indexes on held_on, id).
NEWEST_FIRST = Keyset("-held_on", "-pk")

# --- pairings and theme days -----------------------------------------------------------------


def pairing_get(*, user, pk: int) -> Pairing:
    return get_object_or_404(pairing_list(user=user), pk=pk)


# What recording an activity reads of its pairing: the dates that bound it and both sides' names
# (and codes, for ``str(branch)``) and member counts (the form's labels and limits). The month-end's
# busiest form read 66 columns over five tables for these.
RECORD_PAIRING_FIELDS = (
    "status",
    "started_on",
    "dissolved_on",
    "helper__name",
    "helper__code",
    "helper__member_count",
    "partner__name",
    "partner__code",
    "partner__member_count",
)


def pairing_get_for_record(*, user, pk: int) -> Pairing:
    """A pairing in scope (404 otherwise) with only what the theme-day form and its service read."""
    pairings = Pairing.objects.filter(scope.pairing_q(user)).select_related("helper", "partner")
    return get_object_or_404(pairings.only(*RECORD_PAIRING_FIELDS), pk=pk)


def my_pairings(*, user) -> QuerySet[Pairing]:
    """The active pairings of a secretary's own branch (empty for everyone else)."""
    if not user.branch_id:
        return Pairing.objects.none()
    return (
        pairing_list(user=user)
        .filter(Q(helper_id=user.branch_id) | Q(partner_id=user.branch_id), status=PairingStatus.ACTIVE)
        .order_by("pk")
    )


def theme_day_list(*, user) -> QuerySet[ThemeDay]:
    return ThemeDay.objects.filter(scope.pairing_q(user, "pairing__")).select_related(
        "pairing__helper", "pairing__partner", "recorded_by_branch"
    )


def theme_day_get(*, user, pk: int) -> ThemeDay:
    return get_object_or_404(theme_day_list(user=user), pk=pk)


def theme_days_to_confirm(*, user) -> QuerySet[ThemeDay]:
    """Pending theme days recorded by the partner of the user's branch: the user's to-do."""
    if not user.branch_id:
        return ThemeDay.objects.none()
    return (
        theme_day_list(user=user)
        .filter(status=ThemeDayStatus.PENDING)
        .exclude(recorded_by_branch_id=user.branch_id)
        .filter(Q(pairing__helper_id=user.branch_id) | Q(pairing__partner_id=user.branch_id))
    )


# --- the index: rows, not models ---------------------------------------------------------------
# A line of the list prints a date, a theme, a status and two names: named tuples, not the five
# model instances (day, pairing, two branches, recorder) a row used to cost.

ThemeDayRow = namedtuple("ThemeDayRow", "pk held_on theme status helper_name partner_name")
ToConfirmRow = namedtuple("ToConfirmRow", "pk held_on theme recorded_by_name")


def branch_pairings(*, user) -> dict | None:
    """The pairings in scope of a user who sees pairings through their own branch (a secretary or a
    member: a handful, every status), by pk, as rows (pk, status, helper_id, partner_id,
    helper_name, partner_name). None for those who see pairings by region, or all of them.

    The index reads a branch's theme days by these pairings' ids, and their names from these rows:
    no joins on the list's query nor on the to-do's.
    """
    if user.is_superuser or user.role in REGION_SCOPED_ROLES or not user.branch_id:
        return None
    rows = (
        Pairing.objects.filter(scope.pairing_q(user))
        .annotate(helper_name=F("helper__name"), partner_name=F("partner__name"))
        .values_list("pk", "status", "helper_id", "partner_id", "helper_name", "partner_name", named=True)
        .order_by("pk")
    )
    return {row.pk: row for row in rows}


def theme_day_page(
    *, user, pairings: dict | None, status: str | None, size: int, after: str | None = None, before: str | None = None
) -> Page:
    """A keyset page of the theme days the user sees, newest first, as ``ThemeDayRow``.

    ``pairings`` is ``branch_pairings(user=user)``: given, the days are read by those pairings.
    """
    where = Q(status=status) if status else Q()
    if pairings is None:
        rows = (
            ThemeDay.objects.filter(scope.pairing_q(user, "pairing__"), where)
            .annotate(helper_name=F("pairing__helper__name"), partner_name=F("pairing__partner__name"))
            .values_list(*ThemeDayRow._fields, named=True)
        )
        return keyset_page(rows, NEWEST_FIRST, size=size, after=after, before=before)
    rows = ThemeDay.objects.filter(where, pairing_id__in=list(pairings)).values_list(
        "pk", "held_on", "theme", "status", "pairing_id", named=True
    )
    page = keyset_page(rows, NEWEST_FIRST, size=size, after=after, before=before)
    named = []
    for row in page.rows:
        pairing = pairings[row.pairing_id]
        named.append(ThemeDayRow(row.pk, row.held_on, row.theme, row.status, pairing.helper_name, pairing.partner_name))
    return dataclasses.replace(page, rows=named)


def theme_days_to_confirm_rows(*, user, pairings: dict | None, size: int = 20) -> list:
    """The first ``size`` of ``theme_days_to_confirm``, newest first, as ``ToConfirmRow``."""
    if pairings is None:
        rows = (
            theme_days_to_confirm(user=user)
            .select_related(None)
            .annotate(recorded_by_name=F("recorded_by_branch__name"))
            .values_list(*ToConfirmRow._fields, named=True)
        )
        return list(rows[:size])
    mine = [p.pk for p in pairings.values() if user.branch_id in (p.helper_id, p.partner_id)]
    if not mine:
        return []
    rows = (
        ThemeDay.objects.filter(pairing_id__in=mine, status=ThemeDayStatus.PENDING)
        .exclude(recorded_by_branch_id=user.branch_id)
        .values_list("pk", "held_on", "theme", "pairing_id", "recorded_by_branch_id")
        .order_by("-held_on", "-pk")[:size]
    )
    result = []
    for pk, held_on, theme, pairing_id, recorder in rows:
        pairing = pairings[pairing_id]
        result.append(
            ToConfirmRow(
                pk, held_on, theme, pairing.helper_name if recorder == pairing.helper_id else pairing.partner_name
            )
        )
    return result


def my_pairing_rows(*, user, pairings: dict | None) -> list:
    """``my_pairings`` as rows with ``pk``, ``helper_name`` and ``partner_name``."""
    if pairings is None:
        rows = my_pairings(user=user).select_related(None)
        rows = rows.annotate(helper_name=F("helper__name"), partner_name=F("partner__name"))
        return list(rows.values_list("pk", "helper_name", "partner_name", named=True))
    return [
        p
        for p in pairings.values()
        if p.status == PairingStatus.ACTIVE and user.branch_id in (p.helper_id, p.partner_id)
    ]


# --- a theme day's page ---------------------------------------------------------------------------


# What the page prints: the day, both sides' names and who recorded and reviewed it. The branch
# and user tables are wide: all their columns made this query cost three times as much to build.
_PAGE_THEME_DAY_FIELDS = (
    *("pairing_id", "recorded_by_branch_id", "recorded_by_id", "reviewed_by_id", "held_on", "theme", "place"),
    *("summary", "helper_attendance", "partner_attendance", "status", "return_reason", "reviewed_at"),
    *("pairing__helper_id", "pairing__partner_id", "pairing__helper__name", "pairing__partner__name"),
    *("recorded_by_branch__name", "recorded_by__display_name", "recorded_by__username"),
    *("reviewed_by__display_name", "reviewed_by__username"),
)


def theme_day_get_for_page(*, user, pk: int) -> ThemeDay:
    """``theme_day_get`` with who recorded and who reviewed it, in the same query, and only what
    the theme day's page prints."""
    theme_days = theme_day_list(user=user).select_related("recorded_by", "reviewed_by")
    return get_object_or_404(theme_days.only(*_PAGE_THEME_DAY_FIELDS), pk=pk)


StoredFileRow = namedtuple("StoredFileRow", "pk original_name size")


def theme_day_files(*, theme_day: ThemeDay) -> tuple[list, list]:
    """Its photos and its attachments, each as ``StoredFileRow`` in upload order: one query for both."""
    photos = ThemeDayPhoto.objects.filter(theme_day=theme_day).annotate(is_photo=Value(True))
    attachments = ThemeDayAttachment.objects.filter(theme_day=theme_day).annotate(is_photo=Value(False))
    fields = ("is_photo", "pk", "original_name", "size")
    rows = photos.order_by().values_list(*fields).union(attachments.order_by().values_list(*fields), all=True)
    rows = rows.order_by("pk")
    found = {True: [], False: []}
    for is_photo, *row in rows:
        found[bool(is_photo)].append(StoredFileRow(*row))
    return found[True], found[False]


HistoryRow = namedtuple("HistoryRow", "history_date user_label status")


def theme_day_history(*, theme_day: ThemeDay, size: int = 20) -> list:
    """Its last ``size`` changes, newest first, as ``HistoryRow``."""
    rows = theme_day.history.values_list(
        "history_date", "history_user__display_name", "history_user__username", "status"
    ).order_by("-history_date")[:size]
    return [HistoryRow(date, display_name or username or "", status) for date, display_name, username, status in rows]


def theme_day_photo_get(*, user, pk: int) -> ThemeDayPhoto:
    return get_object_or_404(ThemeDayPhoto.objects.filter(scope.pairing_q(user, "theme_day__pairing__")), pk=pk)


def theme_day_attachment_get(*, user, pk: int) -> ThemeDayAttachment:
    return get_object_or_404(ThemeDayAttachment.objects.filter(scope.pairing_q(user, "theme_day__pairing__")), pk=pk)


def joint_activity_list(*, user) -> QuerySet[JointActivity]:
    return JointActivity.objects.filter(scope.pairing_q(user, "pairing__")).select_related(
        "pairing__helper", "pairing__partner", "recorded_by_branch"
    )


# --- pages of pairings --------------------------------------------------------------------------

# The branch field a region's pairings are found by; the branch table has an index on (field, code).
# A city's pairings are nearly all of them: the plain walk in helper-code order serves those.
_REGION_FIELDS = {RegionLevel.COUNTY: "county"}
BY_HELPER_CODE = Keyset("helper__code", "pk")
BY_PARTNER_CODE = Keyset("partner__code", "pk")
# What the pages of pairings show: a hundred rows of two names and the dates that decide the months.
_PAGE_FIELDS = (
    *("status", "started_on", "dissolved_on", "helper_id", "partner_id"),
    *(f"{side}__{f}" for side in ("helper", "partner") for f in ("name", "code", "county_id", "member_count")),
)


def pairing_page(
    *,
    user,
    where: Q,
    region: Region | None,
    size: int,
    after: str | None = None,
    before: str | None = None,
    sees_whole: bool | None = None,
) -> Page:
    """A page of the pairings the user sees that match ``where`` and have a side in ``region``.

    ``sees_whole`` says the caller knows the user sees every pairing with a side in ``region``
    (a region chosen from those in their scope); None asks the database.

    Keyset pagination in branch-code order. For a county (a county's grid or N list), the rows are
    read from the county's side: its pairings in the order of the code of their branch in the
    county, the helper's, or the partner's when only the partner is in it. Each side is an index
    walk along (county, code) that stops after one page. Sorting all of a county's pairings by the
    helper's code instead reads the whole county on every page (or, when PostgreSQL walks the
    code index, every branch coded before the county). Otherwise the order is the helper's code.
    """
    scoped = pairing_list(user=user).filter(where).select_related(None).select_related("helper", "partner")
    scoped = scoped.only(*_PAGE_FIELDS)
    if region is None:
        return keyset_page(scoped, BY_HELPER_CODE, size=size, after=after, before=before)
    field = _REGION_FIELDS.get(region.level)
    if field is None:
        scoped = scoped.filter(scope.region_pairing_q(region))
        return keyset_page(scoped, BY_HELPER_CODE, size=size, after=after, before=before)
    # For someone who sees the whole county the scope rule ("a side in my region") holds on both
    # sides already; left in, its joins make PostgreSQL expect a tenth of the rows and sort the
    # whole county instead of walking one page.
    if sees_whole if sees_whole is not None else _sees_whole(user, region):
        pairings = Pairing.objects.filter(where).select_related("helper", "partner").only(*_PAGE_FIELDS)
    else:
        pairings = scoped
    helper_side = pairings.filter(**{f"helper__{field}": region})
    partner_only = pairings.filter(**{f"partner__{field}": region}).exclude(**{f"helper__{field}": region})
    return merged_keyset_page(
        [
            (helper_side, Keyset(*BY_HELPER_CODE.keys, within=(f"helper__{field}", region.pk))),
            (partner_only, Keyset(*BY_PARTNER_CODE.keys, within=(f"partner__{field}", region.pk))),
        ],
        size=size,
        after=after,
        before=before,
    )


def scope_county(user) -> Region | None:
    """The county of county-level staff or leaders: all they see are its pairings, so their pages
    are read from its side. Only a reading hint: the rows are still those of ``pairing_list``."""
    region = user.region if user.role in REGION_SCOPED_ROLES and user.region_id else None
    return region if region is not None and region.level == RegionLevel.COUNTY else None


def _sees_whole(user, region: Region) -> bool:
    """Whether the scope rule shows the user every pairing with a side in ``region``: the region is
    inside the region of a staff member or leader (``scope.pairing_q`` matches either side)."""
    if user.is_superuser or (user.role in REGION_SCOPED_ROLES and user.region_id == region.pk):
        return True
    return user.role in REGION_SCOPED_ROLES and Region.objects.filter(scope.region_q(user), pk=region.pk).exists()


# --- compliance ------------------------------------------------------------------------------


def month_starts(year: int, *, today: datetime.date | None = None) -> list[datetime.date]:
    """The months of ``year`` that have begun by today (all twelve for a past year)."""
    today = today or timezone.localdate()
    last = 12 if year < today.year else (today.month if year == today.year else 0)
    return [datetime.date(year, m, 1) for m in range(1, last + 1)]


def _month_end(start: datetime.date) -> datetime.date:
    following = datetime.date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return following - datetime.timedelta(days=1)


def month_counts(pairing: Pairing, month: datetime.date) -> bool:
    """Whether a month counts for a pairing: it was active on at least one day of it.

    So the month it started counts even if it started on the 31st, and so does the month it
    was dissolved in, even on the 1st.
    """
    if pairing.started_on > _month_end(month):
        return False
    return pairing.dissolved_on is None or pairing.dissolved_on >= month


def cell_for(*, counts: bool, confirmed: int, recorded: int) -> str:
    if not counts:
        return ComplianceCell.NONE
    if confirmed:
        return ComplianceCell.GREEN
    if recorded:
        return ComplianceCell.AMBER
    return ComplianceCell.RED


@dataclass
class ComplianceRow:
    pairing: Pairing
    cells: list[str] = field(default_factory=list)

    @property
    def missing(self) -> int:
        return self.cells.count(ComplianceCell.RED)


def compliance_pairings(*, user, county_id: int | None = None, year: int | None = None) -> QuerySet[Pairing]:
    """The pairings of the compliance grid: in scope, in the county, and alive during the year.

    The grid's pages read these through ``compliance_page``; this queryset is for whole-scope reads.
    """
    qs = pairing_list(user=user).order_by("helper__code", "pk")
    if county_id:
        qs = qs.filter(Q(helper__county_id=county_id) | Q(partner__county_id=county_id))
    return qs.filter(_alive_in(year)) if year else qs


def _alive_in(year: int) -> Q:
    """Pairings active on at least one day of ``year``."""
    return Q(started_on__lte=datetime.date(year, 12, 31)) & (
        Q(dissolved_on__isnull=True) | Q(dissolved_on__gte=datetime.date(year, 1, 1))
    )


def compliance_page(
    *,
    user,
    year: int,
    county: Region | None,
    size: int,
    after: str | None = None,
    before: str | None = None,
    county_visible: bool = False,
) -> Page:
    """One page of the grid's pairings: in scope, alive during the year, in ``county`` if given.

    ``county_visible``: the county is one of ``counties_visible(user=user)``, inside the region
    of a staff member or leader, who sees every pairing with a side in it.
    """
    region = county or scope_county(user)
    return pairing_page(
        user=user,
        where=_alive_in(year),
        region=region,
        size=size,
        after=after,
        before=before,
        sees_whole=True if county is not None and county_visible else None,
    )


def compliance_rows(*, pairings, year: int, today: datetime.date | None = None) -> tuple[list, list[ComplianceRow]]:
    """Months and one row of cells per pairing, from ONE aggregate query over theme days.

    ``held_on`` is the local (Asia/Shanghai) calendar date the secretary entered, so the
    month is that date's month, whatever the server's clock zone.
    """
    months = month_starts(year, today=today)
    pairings = list(pairings)
    counts: dict[tuple[int, datetime.date], tuple[int, int]] = {}
    if pairings and months:
        # The months are of one year: their numbers name them, and plain integers come back
        # without the per-row date conversion that truncated dates cost (a thousand rows a page).
        rows = (
            ThemeDay.objects.filter(
                pairing_id__in=[p.pk for p in pairings], held_on__gte=months[0], held_on__lte=_month_end(months[-1])
            )
            .annotate(month=Cast(ExtractMonth("held_on"), IntegerField()))
            .values("pairing_id", "month")
            .annotate(confirmed=Count("pk", filter=Q(status=ThemeDayStatus.CONFIRMED)))
            .values_list("pairing_id", "month", "confirmed")
            .order_by()
        )
        starts = {month.month: month for month in months}
        for pairing_id, month, confirmed in rows:  # a month with a row has a theme day recorded
            counts[(pairing_id, starts[month])] = (confirmed, 1)
    spans = [(month, _month_end(month)) for month in months]
    result = []
    for pairing in pairings:
        started, dissolved = pairing.started_on, pairing.dissolved_on
        cells = []
        for month, end in spans:  # month_counts, inlined: 1,200 cells a page
            confirmed, recorded = counts.get((pairing.pk, month), (0, 0))
            counted = started <= end and (dissolved is None or dissolved >= month)
            cells.append(cell_for(counts=counted, confirmed=confirmed, recorded=recorded))
        result.append(ComplianceRow(pairing=pairing, cells=cells))
    return months, result


# --- the N list ------------------------------------------------------------------------------


def task_list_list(*, user) -> QuerySet[KeyTaskList]:
    return (
        KeyTaskList.objects.filter(scope.region_q(user, "region__"))
        .select_related("region", "published_by")
        .annotate(task_count=Count("tasks"))
    )


def task_list_get(*, user, pk: int) -> KeyTaskList:
    return get_object_or_404(task_list_list(user=user), pk=pk)


def task_list_pairings(*, task_list: KeyTaskList, user) -> QuerySet[Pairing]:
    """The active pairings that report on a list: in the list's region and in the user's scope."""
    return (
        pairing_list(user=user)
        .filter(scope.region_pairing_q(task_list.region), status=PairingStatus.ACTIVE)
        .order_by("helper__code", "pk")
    )


def task_list_page(
    *, task_list: KeyTaskList, user, size: int, after: str | None = None, before: str | None = None
) -> Page:
    """A page of ``task_list_pairings``, read from the list's region's side (see ``pairing_page``)."""
    where = Q(status=PairingStatus.ACTIVE)
    return pairing_page(user=user, where=where, region=task_list.region, size=size, after=after, before=before)


def task_list_pairing_ids(*, task_list: KeyTaskList, user) -> QuerySet:
    """The ids of ``task_list_pairings``, as a subquery for the list's totals.

    Someone who sees every pairing of the list's region (staff or a leader of it or above) gets
    the region's active pairings without the scope joins: one side's branch table each, joined
    once, instead of both branches of every pairing probed for the scope and the region.
    """
    region = task_list.region
    field = {RegionLevel.CITY: "city", RegionLevel.COUNTY: "county"}.get(region.level)
    if field is None or not _sees_whole(user, region):
        return task_list_pairings(task_list=task_list, user=user).order_by().values("pk")
    active = Pairing.objects.filter(status=PairingStatus.ACTIVE).order_by()
    return (
        active.filter(**{f"helper__{field}": region})
        .values("pk")
        .union(active.filter(**{f"partner__{field}": region}).values("pk"))
    )


def task_get(*, user, pk: int) -> KeyTask:
    return get_object_or_404(KeyTask.objects.filter(scope.region_q(user, "task_list__region__")), pk=pk)


def task_progress_by_item(*, task_list: KeyTaskList, pairings: QuerySet) -> list[dict]:
    """Per item: how many of the pairings reported it done / in progress / not started.

    ``pairings`` is a queryset of pairings or of their ids (``task_list_pairing_ids``). One query
    for the items, and one that reads the pairings once: their number and their reports on the
    list, counted by item and status.
    """
    tasks = list(task_list.tasks.select_related("carried_from__task_list"))
    reported = FilteredRelation("task_reports", condition=Q(task_reports__task_id__in=[t.pk for t in tasks]))
    counts = {"total": Count("pk", distinct=True)}
    for t in tasks:
        for status in (TaskProgress.DONE, TaskProgress.IN_PROGRESS):
            counts[f"{status}_{t.pk}"] = Count("reported", filter=Q(reported__task_id=t.pk, reported__status=status))
    figures = (
        Pairing.objects.filter(pk__in=pairings.values("pk")).annotate(reported=reported).aggregate(**counts)
        if tasks
        else {"total": 0}
    )
    total = figures["total"]
    items = []
    for t in tasks:
        done, in_progress = figures[f"{TaskProgress.DONE}_{t.pk}"], figures[f"{TaskProgress.IN_PROGRESS}_{t.pk}"]
        items.append(
            {
                "task": t,
                "done": done,
                "in_progress": in_progress,
                "not_started": max(total - done - in_progress, 0),
                "total": total,
                "percent": round(100 * done / total) if total else 0,
            }
        )
    return items


def task_progress_by_pairing(*, task_list: KeyTaskList, pairings) -> tuple[list[KeyTask], list[dict]]:
    """A matrix: for each pairing of the page, its report (or None) on each item (one query)."""
    tasks = list(task_list.tasks.all())
    pairings = list(pairings)
    reports = {
        (r.task_id, r.pairing_id): r
        for r in KeyTaskReport.objects.filter(task__task_list=task_list, pairing_id__in=[p.pk for p in pairings])
    }
    rows = [{"pairing": p, "reports": [reports.get((t.pk, p.pk)) for t in tasks]} for p in pairings]
    return tasks, rows


def reports_for_pairing(*, task_list: KeyTaskList, pairing: Pairing) -> list[dict]:
    tasks = list(task_list.tasks.all())
    reports = {
        r.task_id: r
        for r in KeyTaskReport.objects.filter(task__task_list=task_list, pairing=pairing).prefetch_related("photos")
    }
    return [{"task": t, "report": reports.get(t.pk)} for t in tasks]


def task_evidence_get(*, user, pk: int) -> KeyTaskEvidence:
    return get_object_or_404(KeyTaskEvidence.objects.filter(scope.pairing_q(user, "report__pairing__")), pk=pk)
