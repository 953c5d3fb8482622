"""Pairings as the activities pages read them: the one a secretary records for, a secretary's own,
and keyset pages of a region's pairings (the compliance grid and the N list page by these)."""

from __future__ import annotations

from django.db.models import F, Q, QuerySet
from django.shortcuts import get_object_or_404

from pairing import scope
from pairing.choices import PairingStatus, RegionLevel
from pairing.models import Pairing, Region
from pairing.selectors.pairings import pairings_visible
from twinning.keyset import Keyset, Page, keyset_page, merged_keyset_page


def activity_pairing_get(*, user, pk: int) -> Pairing:
    return get_object_or_404(pairings_visible(user=user), pk=pk)


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
    pairings = Pairing.objects.visible_to(user).select_related("helper", "partner")
    return get_object_or_404(pairings.only(*RECORD_PAIRING_FIELDS), pk=pk)


def my_pairings(*, user) -> QuerySet[Pairing]:
    """The active pairings of a secretary's own branch (empty for everyone else)."""
    if not user.branch_id:
        return Pairing.objects.none()
    return (
        pairings_visible(user=user)
        .filter(Q(helper_id=user.branch_id) | Q(partner_id=user.branch_id), status=PairingStatus.ACTIVE)
        .order_by("pk")
    )


def branch_pairings(*, user) -> dict | None:
    """The pairings in scope of a user who sees pairings through their own branch (a secretary or a
    member: a handful, every status), by pk, as rows (pk, status, helper_id, partner_id,
    helper_name, partner_name). None for those who see pairings by region, or all of them.

    The index reads a branch's theme days by these pairings' ids, and their names from these rows:
    no joins on the list's query nor on the to-do's.
    """
    if scope.sees_region(user) or not user.branch_id:
        return None
    rows = (
        Pairing.objects.visible_to(user)
        .annotate(helper_name=F("helper__name"), partner_name=F("partner__name"))
        .values_list("pk", "status", "helper_id", "partner_id", "helper_name", "partner_name", named=True)
        .order_by("pk")
    )
    return {row.pk: row for row in rows}


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
    scoped = pairings_visible(user=user).filter(where).select_related(None).select_related("helper", "partner")
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
    if sees_whole if sees_whole is not None else sees_every_pairing_in(user, region):
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
    are read from its side. Only a reading hint: the rows are still those of ``pairings_visible``."""
    region = scope.scope_region(user)
    return region if region is not None and region.level == RegionLevel.COUNTY else None


def sees_every_pairing_in(user, region: Region) -> bool:
    """Whether the scope rule shows the user every pairing with a side in ``region``: the region is
    inside the region of a staff member or leader (``scope.pairing_q`` matches either side)."""
    if user.is_superuser or (scope.is_region_scoped(user) and user.region_id == region.pk):
        return True
    return scope.is_region_scoped(user) and Region.objects.visible_to(user).filter(pk=region.pk).exists()
