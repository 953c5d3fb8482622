"""Reads of pairings. Every function starts from what the user may see."""

from __future__ import annotations

from django.db.models import F, Q, QuerySet
from django.shortcuts import get_object_or_404

from twinning.history import history_changes

from .. import scope
from ..choices import HELPER_KINDS, PairingStatus, RegionLevel, UnitLevel
from ..models import Branch, Pairing

# Newest first, as a keyset order (twinning/keyset.py) on the primary key index. The services record
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


def pairings_visible(*, user) -> QuerySet[Pairing]:
    """Pairings the user may see, with both branches and the campaign loaded: the base of other
    apps' reads of pairings (unordered, unfiltered; ``pairing_list`` is the list page's)."""
    return Pairing.objects.visible_to(user).select_related(
        "helper", "partner", "campaign", "helper__county", "partner__county"
    )


def pairing_list(*, user, filters: dict | None = None) -> QuerySet[Pairing]:
    """Pairings the user may see, both branches loaded; ``filters``: county, status, method, double."""
    filters = filters or {}
    qs = Pairing.objects.visible_to(user).select_related(
        "helper", "partner", "campaign", "helper__county", "partner__county", "partner__township"
    )
    region = scope.scope_region(user)
    if region is not None and not user.is_superuser and region.level != RegionLevel.CITY:
        # The scope again, as id sets (implied by pairing_q for a county or township user). Not for
        # a city: nearly every pairing is in scope there and the newest ones are found at once.
        qs = qs.filter(_either_side_in(Branch.objects.visible_to(user)))
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


PAIRING_PAGE_RELATED = ("helper", "partner", "campaign", "draw", "helper__county", "partner__county", "partner__region")


def pairing_get(*, user, pk: int) -> Pairing:
    """One pairing in the user's scope; 404 outside it."""
    return get_object_or_404(Pairing.objects.visible_to(user).select_related(*PAIRING_PAGE_RELATED), pk=pk)


def pairing_to_change(*, user, pk: int) -> Pairing:
    """One pairing the user may change (``manageable_by``), loaded as its page needs; 404 outside it."""
    return get_object_or_404(Pairing.objects.manageable_by(user).select_related(*PAIRING_PAGE_RELATED), pk=pk)


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


def pairings_of_branch(*, user, branch: Branch) -> QuerySet[Pairing]:
    """A branch's pairings (current first, then history), as far as the user may see them."""
    return (
        Pairing.objects.visible_to(user)
        .filter(Q(helper=branch) | Q(partner=branch))
        .select_related("helper", "partner", "campaign")
        .order_by("status", "-started_on", "-id")
    )


def branch_pairing_rows(*, user, branch: Branch, limit: int = 50) -> list:
    """``pairings_of_branch`` as named tuples of what the branch page shows of each."""
    pairings = pairings_of_branch(user=user, branch=branch).annotate(
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


def pairings_of_own_branch(*, user) -> QuerySet[Pairing]:
    """The active pairings of a secretary's own branch."""
    if not user.branch_id:
        return Pairing.objects.none()
    return (
        Pairing.objects.filter(status=PairingStatus.ACTIVE)
        .filter(Q(helper_id=user.branch_id) | Q(partner_id=user.branch_id))
        .select_related("helper", "partner", "campaign")
        .order_by("slot")
    )


def helpers_for(*, user, partner: Branch | None = None) -> QuerySet[Branch]:
    """Helper branches in scope; for a partner, those that may take it (its county's, or 市直 for the central city)."""
    qs = Branch.objects.visible_to(user).filter(kind__in=HELPER_KINDS).select_related("county")
    if partner is not None:
        central = partner.region_id is not None and partner.region.is_central_city
        q = Q(county_id=partner.county_id, level=UnitLevel.COUNTY)
        if central or partner.county_id is None:
            q |= Q(city_id=partner.city_id, level=UnitLevel.CITY)
        qs = qs.filter(q)
    return qs.order_by("code")
