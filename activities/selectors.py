"""Reads of the activities app. Every function starts from what the user may see (pairing.scope)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Max, Min, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.shortcuts import get_object_or_404
from django.utils import timezone

from pairing import scope
from pairing.choices import REGION_SCOPED_ROLES, RegionLevel
from pairing.models import Branch, Pairing, PairingStatus, Region
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
from .paging import Keyset, Page, keyset_page, merged_keyset_page

# Lists of theme days and joint activities: newest first (indexes on held_on, id).
NEWEST_FIRST = Keyset("-held_on", "-pk")

# --- pairings and theme days -----------------------------------------------------------------


def pairing_get(*, user, pk: int) -> Pairing:
    return get_object_or_404(pairing_list(user=user), pk=pk)


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


def pairing_page(
    *, pairings: QuerySet[Pairing], region: Region | None, size: int, after: str | None, before: str | None
) -> Page:
    """A page of ``pairings`` in branch-code order, read from ``region``'s side (keyset pagination).

    With a region (a county's grid, a county's N list), the rows are ``pairings`` with either side in
    it, ordered by the code of their branch in the region: the helper's, or the partner's when only
    the partner is in it. Each side is an index walk along (county, code) that stops after one
    page. Sorting all of a county's pairings by the helper's code instead reads the whole county on
    every page, or, when PostgreSQL walks the code index, every branch coded before the county.
    Without a region (a secretary's own pairings, a whole province), the order is the helper's code.
    """
    field = _REGION_FIELDS.get(region.level) if region is not None else None
    if field is None:
        return keyset_page(pairings, BY_HELPER_CODE, size=size, after=after, before=before)
    # The region's first and last codes, as ranges on the code: without them PostgreSQL may walk the
    # code index from the province's first branch (it assumes the region's codes are spread evenly).
    codes = Branch.objects.filter(**{field: region}).aggregate(first=Min("code"), last=Max("code"))
    if codes["first"] is None:
        return Page([])
    helper_side = pairings.filter(
        **{f"helper__{field}": region, "helper__code__gte": codes["first"], "helper__code__lte": codes["last"]}
    )
    partner_only = pairings.filter(
        **{f"partner__{field}": region, "partner__code__gte": codes["first"], "partner__code__lte": codes["last"]}
    ).exclude(**{f"helper__{field}": region})
    return merged_keyset_page(
        [(helper_side, BY_HELPER_CODE), (partner_only, BY_PARTNER_CODE)], size=size, after=after, before=before
    )


def scope_region(user) -> Region | None:
    """The region whose pairings are all a staff member or leader sees, to read pages from its side.

    Only a reading hint: the rows are still those of ``pairing_list(user=user)``.
    """
    if user.role in REGION_SCOPED_ROLES and user.region_id and not user.is_superuser:
        return user.region
    return None


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
    if year:
        qs = qs.filter(started_on__lte=datetime.date(year, 12, 31)).filter(
            Q(dissolved_on__isnull=True) | Q(dissolved_on__gte=datetime.date(year, 1, 1))
        )
    return qs


def compliance_page(
    *, user, year: int, county: Region | None, size: int, after: str | None = None, before: str | None = None
) -> Page:
    """One page of the grid's pairings: in scope, alive during the year, in ``county`` if given."""
    # The grid shows the two names only: no campaign or county joins.
    pairings = compliance_pairings(user=user, year=year).select_related(None).select_related("helper", "partner")
    return pairing_page(pairings=pairings, region=county or scope_region(user), size=size, after=after, before=before)


def compliance_rows(*, pairings, year: int, today: datetime.date | None = None) -> tuple[list, list[ComplianceRow]]:
    """Months and one row of cells per pairing, from ONE aggregate query over theme days.

    ``held_on`` is the local (Asia/Shanghai) calendar date the secretary entered, so the
    month is that date's month, whatever the server's clock zone.
    """
    months = month_starts(year, today=today)
    pairings = list(pairings)
    counts: dict[tuple[int, datetime.date], tuple[int, int]] = {}
    if pairings and months:
        rows = (
            ThemeDay.objects.filter(
                pairing_id__in=[p.pk for p in pairings], held_on__gte=months[0], held_on__lte=_month_end(months[-1])
            )
            .annotate(month=TruncMonth("held_on"))
            .values("pairing_id", "month")
            .annotate(
                recorded=Count("pk"),
                confirmed=Count("pk", filter=Q(status=ThemeDayStatus.CONFIRMED)),
            )
            .order_by()
        )
        for row in rows:
            month = row["month"]
            if isinstance(month, datetime.datetime):
                month = month.date()
            counts[(row["pairing_id"], month)] = (row["confirmed"], row["recorded"])
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


def task_get(*, user, pk: int) -> KeyTask:
    return get_object_or_404(KeyTask.objects.filter(scope.region_q(user, "task_list__region__")), pk=pk)


def task_progress_by_item(*, task_list: KeyTaskList, pairings: QuerySet[Pairing]) -> list[dict]:
    """Per item: how many of the pairings reported it done / in progress / not started (one query)."""
    total = pairings.count()
    in_scope = pairings.values("pk")
    tasks = list(
        task_list.tasks.annotate(
            done=Count("reports", filter=Q(reports__status=TaskProgress.DONE, reports__pairing__in=in_scope)),
            in_progress=Count(
                "reports", filter=Q(reports__status=TaskProgress.IN_PROGRESS, reports__pairing__in=in_scope)
            ),
        ).select_related("carried_from__task_list")
    )
    return [
        {
            "task": t,
            "done": t.done,
            "in_progress": t.in_progress,
            "not_started": max(total - t.done - t.in_progress, 0),
            "total": total,
            "percent": round(100 * t.done / total) if total else 0,
        }
        for t in tasks
    ]


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
