"""Reads of pairings, draws and coverage. Every function starts from what the user may see."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from twinning.history import history_changes

from . import scope
from .choices import HELPER_KINDS, PARTNER_KINDS, REGION_SCOPED_ROLES, BranchKind, RegionLevel, UnitLevel
from .models import Branch, Draw, Pairing, PairingCampaign, PairingStatus, Region

# Newest first, as a keyset order (pairing/keyset.py) on the primary key index. The services record
# every pairing on its 结对日期 (today), so id order is date order; ordering by (-started_on, -id)
# instead would sort every pairing in scope on each page (no index: 150 ms at 50,000 pairings).
PAIRING_LIST_ORDER = ("-id",)


def _either_side_in(branches: QuerySet[Branch]) -> Q:
    """Pairings with either side among ``branches``, as two id sets.

    "Either side in the county" as a join tests both branches of every pairing; PostgreSQL cannot
    drive that OR from an index, so it joined every pairing (or walked the newest ones until it
    reached the county's: 130-240 ms at 50,000 pairings). Two id sets it hashes once (a county's
    25,000 ids) and probes per pairing instead: ~40 ms for a county in the middle of the id range.
    """
    ids = branches.values("pk")
    return Q(helper_id__in=ids) | Q(partner_id__in=ids)


def pairing_list(*, user, filters: dict | None = None) -> QuerySet[Pairing]:
    """Pairings the user may see, both branches loaded; ``filters``: county, status, method, double."""
    filters = filters or {}
    qs = Pairing.objects.filter(scope.pairing_q(user)).select_related(
        "helper", "partner", "campaign", "helper__county", "partner__county", "partner__township"
    )
    region = user.region if user.is_authenticated and user.role in REGION_SCOPED_ROLES and user.region_id else None
    if region is not None and not user.is_superuser and region.level != RegionLevel.CITY:
        # The scope again, as id sets (implied by pairing_q for a county or township user). Not for
        # a city: nearly every pairing is in scope there and the newest ones are found at once.
        qs = qs.filter(_either_side_in(Branch.objects.filter(scope.branch_q(user))))
    if filters.get("county"):
        qs = qs.filter(_either_side_in(Branch.objects.filter(county=filters["county"])))
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("method"):
        qs = qs.filter(method=filters["method"])
    if filters.get("double") == "yes":
        qs = qs.filter(slot=2)
    elif filters.get("double") == "review":
        qs = qs.filter(slot=2, status=PairingStatus.ACTIVE, double_approved_at__isnull=True)
    return qs.order_by(*PAIRING_LIST_ORDER)


def pairing_rows(pairings: QuerySet[Pairing]) -> QuerySet:
    """The pairing list's columns of ``pairings`` (from ``pairing_list``) as named tuples: a model
    instance per pairing and per branch, county and campaign loaded was most of a row's cost."""
    return pairings.annotate(
        helper_name=F("helper__name"), partner_name=F("partner__name"), county_name=F("partner__county__name")
    ).values_list(
        "pk", "helper_name", "partner_name", "county_name", "method", "status", "slot", "started_on", named=True
    )


def pairing_get(*, user, pk: int) -> Pairing:
    """One pairing in the user's scope; 404 outside it."""
    return get_object_or_404(
        Pairing.objects.filter(scope.pairing_q(user)).select_related(
            "helper", "partner", "campaign", "draw", "helper__county", "partner__county", "partner__region"
        ),
        pk=pk,
    )


def pairing_history(*, pairing: Pairing, limit: int = 50) -> list[dict]:
    """The changes to a pairing, newest first, each with its field changes (before → after) and reason."""
    records = list(pairing.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    entries = []
    for newer, older in zip(records, [*records[1:], None], strict=False):
        changes = []
        if older is not None:
            changes = history_changes(newer, older, excluded_fields=["double_approved_by"], choice_labels=True)
        entries.append({"record": newer, "changes": changes})
    return entries[:limit]


def branch_pairings(*, user, branch: Branch) -> QuerySet[Pairing]:
    """A branch's pairings (current first, then history), as far as the user may see them."""
    return (
        Pairing.objects.filter(scope.pairing_q(user))
        .filter(Q(helper=branch) | Q(partner=branch))
        .select_related("helper", "partner", "campaign")
        .order_by("status", "-started_on", "-id")
    )


def branch_pairing_rows(*, user, branch: Branch, limit: int = 50) -> list:
    """``branch_pairings`` as named tuples of what the branch page shows of each."""
    pairings = branch_pairings(user=user, branch=branch).annotate(
        helper_name=F("helper__name"), partner_name=F("partner__name"), campaign_name=F("campaign__name")
    )
    return list(
        pairings.values_list(
            "pk",
            "helper_id",
            "helper_name",
            "partner_name",
            "campaign_name",
            "method",
            "status",
            "slot",
            "started_on",
            "dissolved_on",
            "dissolve_reason",
            named=True,
        )[:limit]
    )


def my_pairings(*, user) -> QuerySet[Pairing]:
    """The active pairings of a secretary's own branch."""
    if not user.branch_id:
        return Pairing.objects.none()
    return (
        Pairing.objects.filter(status=PairingStatus.ACTIVE)
        .filter(Q(helper_id=user.branch_id) | Q(partner_id=user.branch_id))
        .select_related("helper", "partner", "campaign")
        .order_by("slot")
    )


def draw_regions(*, user) -> list[Region]:
    """Where the user may run a draw: their county, or their city (city level) and its counties."""
    if user.is_superuser:
        cities = list(Region.objects.filter(level=RegionLevel.CITY).order_by("path"))
        counties = list(Region.objects.filter(level=RegionLevel.COUNTY).order_by("path"))
        return cities + counties
    if not scope.can_manage(user):
        return []
    region = user.region
    if region.level == RegionLevel.CITY:
        return [region, *Region.objects.filter(parent=region, level=RegionLevel.COUNTY).order_by("path")]
    if region.level == RegionLevel.COUNTY:
        return [region]
    return []


def _draws_visible(*, user) -> QuerySet[Draw]:
    return Draw.objects.filter(scope.region_q(user, prefix="region__")).select_related(
        "region", "campaign", "created_by"
    )


def draw_list(*, user) -> QuerySet[Draw]:
    """Draws whose county (or city) the user may see, newest first, with their pairing count.

    Without their inputs and results: a county's draw records every branch that took part
    (hundreds of kilobytes of JSON at province scale), which the list never shows.
    """
    pairings = Pairing.objects.filter(draw=OuterRef("pk")).order_by().values("draw").annotate(n=Count("pk")).values("n")
    return (
        _draws_visible(user=user)
        .defer("inputs", "result")
        .annotate(pairing_count=Coalesce(Subquery(pairings), 0))
        .order_by("-created_at", "-id")
    )


def draw_get(*, user, pk: int) -> Draw:
    return get_object_or_404(_draws_visible(user=user), pk=pk)


def draw_result_visible(*, user, draw: Draw) -> dict:
    """The rows of a draw's result the user may see: staff and leaders (whose region holds the draw)
    every row; a secretary, member or community secretary, whose scope is their branch, only the
    rows naming their own branch (its pair, or the branch left unpaired)."""
    result = draw.result
    if scope.sees_region(user):
        return result
    own = set(Branch.objects.filter(pk=user.branch_id).values_list("code", flat=True)) if user.branch_id else set()
    return result | {
        "pairs": [p for p in result["pairs"] if p["helper"] in own or p["partner"] in own],
        "unpaired_helpers": [code for code in result["unpaired_helpers"] if code in own],
        "unpaired_partners": [code for code in result["unpaired_partners"] if code in own],
    }


def helpers_for(*, user, partner: Branch | None = None) -> QuerySet[Branch]:
    """Helper branches in scope; for a partner, those that may take it (its county's, or 市直 for the central city)."""
    qs = Branch.objects.filter(scope.branch_q(user), kind__in=HELPER_KINDS).select_related("county")
    if partner is not None:
        central = partner.region_id is not None and partner.region.is_central_city
        q = Q(county_id=partner.county_id, level=UnitLevel.COUNTY)
        if central or partner.county_id is None:
            q |= Q(city_id=partner.city_id, level=UnitLevel.CITY)
        qs = qs.filter(q)
    return qs.order_by("code")


def uncovered_partners(*, user) -> QuerySet[Branch]:
    """Partner branches in scope without an active pairing in their city's current campaign (未结对).

    "Not paired" is NOT IN a hashed set of the active partners' ids: with NOT EXISTS the planner
    expected most partners to be uncovered and walked all of them in page order probing the
    pairing index per branch (~0.3 s at 200,000 branches, for 12 uncovered).
    """
    active = Pairing.objects.filter(status=PairingStatus.ACTIVE, campaign__is_current=True).order_by()
    return (
        Branch.objects.filter(scope.branch_q(user), kind__in=PARTNER_KINDS)
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
    in_scope = Branch.objects.filter(scope.branch_q(user)).order_by()
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
