"""Reads of coverage (结对覆盖率): the figures per county and for the city level, the partners not
yet paired and the 一帮二 pairings."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, F, Q, QuerySet

from twinning.memo import memoized

from .. import scope
from ..choices import HELPER_KINDS, PARTNER_KINDS, BranchKind, PairingStatus, UnitLevel
from ..models import Branch, Pairing, PairingCampaign, Region
from .pairings import pairing_list

UNCOVERED_SHOWN = 200


def uncovered_partners(*, user) -> QuerySet[Branch]:
    """Partner branches in scope without an active pairing in their city's current campaign (未结对).

    "Not paired" is NOT IN a hashed set of the active partners' ids: with NOT EXISTS the planner
    expected most partners to be uncovered and walked all of them in page order probing the
    pairing index per branch (~0.3 s at 200,000 branches, for 12 uncovered).
    """
    active = Pairing.objects.filter(status=PairingStatus.ACTIVE, campaign__is_current=True).order_by()
    return (
        Branch.objects.visible_to(user)
        .filter(kind__in=PARTNER_KINDS)
        .exclude(pk__in=active.values("partner_id"))
        .select_related("county", "township", "region")
        .order_by("county__path", "code")
    )


@dataclass
class CoverageRow:
    label: str
    partners: int
    paired: int
    helpers: int
    helpers_engaged: int
    region: Region | None = None

    @property
    def uncovered(self) -> int:
        return self.partners - self.paired

    @property
    def rate(self) -> str:
        return coverage_rate(self.paired, self.partners)


def coverage_rate(paired: int, total: int) -> str:
    """结对覆盖率 as a percentage truncated (never rounded up) to two decimals: 2/3 → "66.66%"."""
    if not total:
        return "—"
    hundredths = paired * 10000 // total
    return f"{hundredths // 100}.{hundredths % 100:02d}%"


def coverage(*, user) -> dict:
    """Coverage per county, for the city level (市直 helpers, central-city communities) and in total.

    Two grouped queries whatever the number of branches. The first reads every branch in scope
    once, grouped by (county, kind, level), and counts those with an active pairing in a current
    campaign by probing ONE hashed set of ids per row (a partner's set or a helper's set, by its
    kind); the county rows, the totals and the 市直 helpers are sums over those few groups in
    Python. The second counts the central-city communities through the region index. The earlier
    single query evaluated ten FILTERs with five hashed probes per branch (0.5-0.9 s at 200,000
    branches); see docs/pairing.md for the figures.
    """
    active = Pairing.objects.filter(status=PairingStatus.ACTIVE, campaign__is_current=True).order_by()
    paired = Q(kind__in=PARTNER_KINDS, pk__in=active.values("partner_id"))
    engaged = Q(kind__in=HELPER_KINDS, pk__in=active.values("helper_id"))
    in_scope = Branch.objects.visible_to(user).order_by()
    groups = list(
        in_scope.values("county", "kind", "level").annotate(
            n=Count("pk"), active_n=Count("pk", filter=paired | engaged)
        )
    )
    central = in_scope.filter(kind=BranchKind.COMMUNITY, region__is_central_city=True).aggregate(
        partners=Count("pk"), paired=Count("pk", filter=paired)
    )
    per_county: dict[int, dict[str, int]] = {}
    city = dict.fromkeys(("helpers", "engaged"), 0)
    total = dict.fromkeys(("partners", "paired", "helpers", "engaged"), 0)
    for group in groups:
        n, active_n = group["n"], group["active_n"]
        if group["county"] is not None:
            per_county.setdefault(group["county"], dict.fromkeys(total, 0))
        if group["kind"] in PARTNER_KINDS:
            keys = ("partners", "paired")
        elif group["kind"] in HELPER_KINDS:
            keys = ("helpers", "engaged")
        else:
            continue
        total[keys[0]] += n
        total[keys[1]] += active_n
        if keys[0] == "helpers" and group["level"] == UnitLevel.CITY:
            city["helpers"] += n
            city["engaged"] += active_n
        if group["county"] is None or (keys[0] == "helpers" and group["level"] != UnitLevel.COUNTY):
            continue
        per_county[group["county"]][keys[0]] += n
        per_county[group["county"]][keys[1]] += active_n
    counties = Region.objects.filter(pk__in=list(per_county)).order_by("path")
    rows = [
        CoverageRow(
            label=county.name,
            partners=per_county[county.pk]["partners"],
            paired=per_county[county.pk]["paired"],
            helpers=per_county[county.pk]["helpers"],
            helpers_engaged=per_county[county.pk]["engaged"],
            region=county,
        )
        for county in counties
    ]
    city_row = None
    if city["helpers"]:
        city_row = CoverageRow(
            label="",
            partners=central["partners"],
            paired=central["paired"],
            helpers=city["helpers"],
            helpers_engaged=city["engaged"],
        )
    total_row = CoverageRow(
        label="",
        partners=total["partners"],
        paired=total["paired"],
        helpers=total["helpers"],
        helpers_engaged=total["engaged"],
    )
    return {"rows": rows, "city": city_row, "total": total_row}


def coverage_stamp() -> tuple:
    """What the coverage page's figures move with, in one cheap query: the high-water marks of the
    pairing and branch history (every pairing and branch write leaves a history row, the roster's and
    the draw's bulk writes included) and the current campaigns. Index lookups only."""
    pairing_history = Pairing.history.model._meta.db_table
    branch_history = Branch.history.model._meta.db_table
    campaigns = PairingCampaign._meta.db_table
    current = f"FROM {campaigns} WHERE is_current"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT MAX(history_id) FROM {pairing_history}), (SELECT MAX(history_id) FROM {branch_history}),"
            f" (SELECT MIN(id) {current}), (SELECT MAX(id) {current}), (SELECT COUNT(*) {current})"
        )
        return tuple(cursor.fetchone())


def doubles(*, user) -> QuerySet[Pairing]:
    """Active 一帮二 pairings in scope, those awaiting review first."""
    return (
        pairing_list(user=user)
        .filter(slot=2, status=PairingStatus.ACTIVE, campaign__is_current=True)
        .order_by(F("double_approved_at").asc(nulls_first=True), "helper__code")
    )


# Counting every branch of a city takes a few hundred ms at province scale, and the figures only
# move when a pairing, a branch or the current campaigns change: computed once per change (and at
# most every five minutes) per scope, per worker.
@memoized(key=lambda *, user: scope.scope_key(user), stamp=coverage_stamp, size=256, ttl=300)
def coverage_figures(*, user) -> dict:
    """The coverage page's figures: the table, and the first ``UNCOVERED_SHOWN`` uncovered partners and
    一帮二 pairings."""
    return {
        "coverage": coverage(user=user),
        "uncovered": list(uncovered_partners(user=user)[:UNCOVERED_SHOWN]),
        "doubles": list(doubles(user=user)[:UNCOVERED_SHOWN]),
    }
