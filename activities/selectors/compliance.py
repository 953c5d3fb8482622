"""The compliance grid: one cell per pairing and month, green when a theme day was confirmed."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, IntegerField, Q, QuerySet
from django.db.models.functions import Cast, ExtractMonth
from django.utils import timezone

from pairing import scope
from pairing.models import Pairing, Region
from pairing.selectors.pairings import pairings_visible
from pairing.selectors.registry import counties_visible
from twinning.keyset import Page

from ..choices import ComplianceCell, ThemeDayStatus
from ..models import ThemeDay
from .pairings import pairing_page, scope_county


def month_starts(year: int, *, today: datetime.date | None = None) -> list[datetime.date]:
    """The months of ``year`` that have begun by today (all twelve for a past year)."""
    today = today or timezone.localdate()
    last = 12 if year < today.year else (today.month if year == today.year else 0)
    return [datetime.date(year, m, 1) for m in range(1, last + 1)]


def month_end(start: datetime.date) -> datetime.date:
    following = datetime.date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return following - datetime.timedelta(days=1)


def month_counts(pairing: Pairing, month: datetime.date) -> bool:
    """Whether a month counts for a pairing: it was active on at least one day of it.

    So the month it started counts even if it started on the 31st, and so does the month it
    was dissolved in, even on the 1st.
    """
    if pairing.started_on > month_end(month):
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


def compliance_counties(*, user) -> list[Region] | None:
    """The counties the grid can be narrowed to, for staff and leaders of a region (and superusers);
    None for everyone else, whose grid offers no county."""
    if scope.sees_region(user):
        return list(counties_visible(user=user))
    return None


def compliance_pairings(*, user, county_id: int | None = None, year: int | None = None) -> QuerySet[Pairing]:
    """The pairings of the compliance grid: in scope, in the county, and alive during the year.

    The grid's pages read these through ``compliance_page``; this queryset is for whole-scope reads.
    """
    qs = pairings_visible(user=user).order_by("helper__code", "pk")
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
                pairing_id__in=[p.pk for p in pairings], held_on__gte=months[0], held_on__lte=month_end(months[-1])
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
    spans = [(month, month_end(month)) for month in months]
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
