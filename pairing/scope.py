"""The one scope rule: what a user may see and change.

Every view, export, task and API reads through these functions. A model that is
reached through a branch (a pairing, a theme day, an hour entry) builds its filter
with ``branch_q(user, prefix=...)``; a model that belongs to a region (an N list)
with ``region_q(user, prefix=...)``. Objects outside the scope are 404, never 403,
so that their existence does not leak: views fetch with ``get_object_or_404`` on a
scoped queryset.

Every scoped model's queryset answers ``visible_to(user)`` (reads) and ``manageable_by(user)``
(writes) with these filters; ``Model.objects.visible_to(user)`` is the one entry point.

Writes ask the same module: ``can_manage(user)`` (may the user change registry data at all), then
``manages_region(user, region)`` / ``manages_branch(user, branch)`` for the object in hand. The
apps' ``perms.py`` modules build their "may this user do X" on these predicates, and templates read
booleans from ``accounts.perms.Can`` (the ``can`` context value), never role strings. Role sets
(``REGION_SCOPED_ROLES``, ``BRANCH_SCOPED_ROLES``) are read here and in the perms modules only.
"""

from __future__ import annotations

from django.db.models import Q

from .choices import BRANCH_SCOPED_ROLES, REGION_SCOPED_ROLES, PairingStatus, RegionLevel, Role, UnitLevel

NOTHING = Q(pk__in=[])


def _region_branch_q(region, prefix: str) -> Q:
    if region.level == RegionLevel.CITY:
        return Q(**{f"{prefix}city_id": region.pk})
    if region.level == RegionLevel.COUNTY:
        return Q(**{f"{prefix}county_id": region.pk})
    if region.level == RegionLevel.TOWNSHIP:
        return Q(**{f"{prefix}township_id": region.pk})
    return Q(**{f"{prefix}region__path__startswith": region.path})


def branch_q(user, prefix: str = "") -> Q:
    """Filter for rows whose branch (reached through ``prefix``, e.g. ``"helper__"``) the user may see."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOTHING
    if user.is_superuser:
        return Q()
    if user.role in REGION_SCOPED_ROLES and user.region_id:
        return _region_branch_q(user.region, prefix)
    if user.role in BRANCH_SCOPED_ROLES and user.branch_id:
        return Q(**{f"{prefix}pk": user.branch_id}) | _paired_branch_q(user.branch_id, prefix)
    if user.role == Role.MEMBER and user.branch_id:
        return Q(**{f"{prefix}pk": user.branch_id})
    return NOTHING


def _paired_branch_q(branch_id: int, prefix: str) -> Q:
    """The branches actively paired with a secretary's branch: a secretary sees their partner."""
    from .models import Pairing

    active = Pairing.objects.filter(status=PairingStatus.ACTIVE).order_by()
    return Q(**{f"{prefix}pk__in": active.filter(helper_id=branch_id).values("partner_id")}) | Q(
        **{f"{prefix}pk__in": active.filter(partner_id=branch_id).values("helper_id")}
    )


def region_q(user, prefix: str = "") -> Q:
    """Filter for regions (reached through ``prefix``) inside the user's region subtree.

    Branch-scoped users see the regions their branch belongs to (their county and city),
    so that lists published for a region reach them.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOTHING
    if user.is_superuser:
        return Q()
    if user.role in REGION_SCOPED_ROLES and user.region_id:
        return Q(**{f"{prefix}path__startswith": user.region.path})
    if user.branch_id:
        branch = user.branch
        ids = [i for i in (branch.city_id, branch.county_id, branch.township_id, branch.region_id) if i]
        return Q(**{f"{prefix}pk__in": ids})
    return NOTHING


def sees_region(user) -> bool:
    """Whether the user's scope is a region (staff, leaders, superusers) rather than one branch."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and (user.is_superuser or (user.role in REGION_SCOPED_ROLES and user.region_id))
    )


def is_region_scoped(user) -> bool:
    """Staff or a leader with their region (not a superuser as such): the scope is that region's subtree."""
    return getattr(user, "role", None) in REGION_SCOPED_ROLES and bool(user.region_id)


def scope_region(user):
    """The region whose subtree is the user's scope (staff and leaders), or None."""
    return user.region if is_region_scoped(user) else None


def is_secretary(user) -> bool:
    """A branch or community secretary with their branch: speaks for the branch (records, is notified)."""
    return getattr(user, "role", None) in BRANCH_SCOPED_ROLES and bool(user.branch_id)


def is_branch_secretary(user) -> bool:
    """A branch secretary (not a community's) with their branch."""
    return getattr(user, "role", None) == Role.SECRETARY and bool(user.branch_id)


def is_community_secretary(user) -> bool:
    """A community secretary with their community: runs its 双报到 (``community_q``)."""
    return getattr(user, "role", None) == Role.COMMUNITY_SECRETARY and bool(user.branch_id)


def is_member(user) -> bool:
    """An in-service member (在职党员): sees their own branch (``branch_q``)."""
    return getattr(user, "role", None) == Role.MEMBER


def scope_key(user) -> tuple:
    """What every filter of this module depends on: users with equal keys see the same rows, so a
    memo of rows in scope is keyed by this (no query: ids only)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ("none",)
    if user.is_superuser:
        return ("all",)
    if is_region_scoped(user):
        return ("region", user.region_id)
    return (user.role, user.branch_id)


def can_manage(user) -> bool:
    """Whether the user may change registry data (in their scope): org-department staff."""
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and (user.is_superuser or (user.role == Role.STAFF and user.region_id))
    )


def manages_region(user, region) -> bool:
    """Whether the user may change things of ``region`` (a draw, a report run): staff whose region
    holds it (its subtree), or a superuser."""
    if not can_manage(user):
        return False
    return user.is_superuser or region.path.startswith(user.region.path)


def manages_branch(user, branch) -> bool:
    """Whether the user may change ``branch`` (grade it, optimise it): staff of its city or county,
    or a superuser (``may_place_branch`` for a branch in hand)."""
    return can_manage(user) and may_place_branch(user, city_id=branch.city_id, county_id=branch.county_id)


def managed_region_q(user, prefix: str = "") -> Q:
    """``manages_region`` as a filter: regions (reached through ``prefix``) in a staff member's subtree."""
    if not can_manage(user):
        return NOTHING
    if user.is_superuser:
        return Q()
    return Q(**{f"{prefix}path__startswith": user.region.path})


def managed_branch_q(user, prefix: str = "") -> Q:
    """``manages_branch`` as a filter: branches (reached through ``prefix``) of a staff member's city or county."""
    if not can_manage(user):
        return NOTHING
    if user.is_superuser:
        return Q()
    region = user.region
    if region.level == RegionLevel.CITY:
        return Q(**{f"{prefix}city_id": region.pk})
    return Q(**{f"{prefix}county_id": region.pk})


def unit_q(user, prefix: str = "") -> Q:
    """Filter for units (reached through ``prefix``) a user may attach a branch to: those of their
    city, limited to their county if they have one."""
    if getattr(user, "is_superuser", False):
        return Q()
    region = getattr(user, "region", None)
    if region is None:
        return NOTHING
    if region.level == RegionLevel.CITY:
        return Q(**{f"{prefix}city_id": region.pk})
    return Q(**{f"{prefix}county_id": region.pk})


def may_register_level(user, *, level: str) -> bool:
    """市直 branches are the city's: staff of a county register county-level branches only."""
    region = None if user.is_superuser else user.region
    return region is None or region.level != RegionLevel.COUNTY or level == UnitLevel.COUNTY


def may_place_branch(user, *, city_id: int | None, county_id: int | None) -> bool:
    """Whether a branch in this city and county (saved or not yet) is inside the user's region."""
    region = None if user.is_superuser else user.region
    if region is None:
        return True
    if region.level == RegionLevel.CITY:
        return city_id == region.pk
    return county_id == region.pk


def _region_holds(region, branch) -> bool:
    """``_region_branch_q`` for one branch in hand (anything with ``city_id``, ``county_id``, ``township_id``).

    Below a township (a community's or a grid's staff) it answers no: contact details stay masked.
    """
    if region.level == RegionLevel.CITY:
        return branch.city_id == region.pk
    if region.level == RegionLevel.COUNTY:
        return branch.county_id == region.pk
    if region.level == RegionLevel.TOWNSHIP:
        return branch.township_id == region.pk
    return False


def can_see_contact(user, branch) -> bool:
    """Whether the user may see a branch's contact details (its secretary's phone) in full:
    org-department staff whose region holds the branch. A pairing or a list reaching a branch outside the
    region (the other side of a city-level pairing) shows them masked, as it does to everyone else."""
    if not can_manage(user):
        return False
    return user.is_superuser or (branch is not None and _region_holds(user.region, branch))


def mask_phone(phone: str) -> str:
    """138****1234: keep the first three and last four digits."""
    phone = (phone or "").strip()
    if len(phone) <= 7:
        return "*" * len(phone)
    return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"


def phone_for(user, phone: str, *, branch) -> str:
    """``branch``'s secretary's phone as ``user`` may see it: in full (``can_see_contact``) or masked."""
    return phone if can_see_contact(user, branch) else mask_phone(phone)


def person_phone_for(user, phone: str) -> str:
    """A member's own phone (双报到 lists): in full to staff, whose lists reach only the registrations,
    claims and hours of their region's communities; masked for everyone else."""
    return phone if can_manage(user) else mask_phone(phone)


def pairing_q(user, prefix: str = "") -> Q:
    """Filter for pairings (reached through ``prefix``, e.g. ``"pairing__"`` from a theme day).

    Staff and leaders see a pairing when either side is in their region; a secretary or
    member sees only the pairings of their own branch.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOTHING
    if user.is_superuser:
        return Q()
    if user.role in REGION_SCOPED_ROLES and user.region_id:
        return _region_branch_q(user.region, f"{prefix}helper__") | _region_branch_q(user.region, f"{prefix}partner__")
    if user.branch_id:
        return Q(**{f"{prefix}helper_id": user.branch_id}) | Q(**{f"{prefix}partner_id": user.branch_id})
    return NOTHING


def managed_pairing_q(user, prefix: str = "") -> Q:
    """Pairings (reached through ``prefix``) a user may change: staff's (``can_manage``) in their scope."""
    return pairing_q(user, prefix) if can_manage(user) else NOTHING


def community_q(user, prefix: str = "") -> Q:
    """Filter for a community's own rows (双报到: registrations, demand list, hours), the community
    branch reached through ``prefix`` (e.g. ``"community__"``).

    Staff and leaders see the communities in their region; a community secretary sees only
    their own community (not the branches paired with it). Members and unit secretaries reach
    a community only through their own registrations, which the volunteers selectors add.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOTHING
    if user.is_superuser:
        return Q()
    if user.role in REGION_SCOPED_ROLES and user.region_id:
        return _region_branch_q(user.region, prefix)
    if user.role == Role.COMMUNITY_SECRETARY and user.branch_id:
        return Q(**{f"{prefix}pk": user.branch_id})
    return NOTHING


def region_pairing_q(region, prefix: str = "") -> Q:
    """Filter for pairings (reached through ``prefix``) with either side inside ``region``'s subtree.

    Used for what a region's list (an N list) asks of pairings, not for what a user may see.
    """
    return _region_branch_q(region, f"{prefix}helper__") | _region_branch_q(region, f"{prefix}partner__")
