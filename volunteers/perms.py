"""Who may do what in 双报到、双服务: one predicate a question, asked by the views (and, through
their context booleans, the templates), the API and the services.

What a user may *see* is the scope rule (``pairing.scope.community_q`` and the volunteers
selectors); these predicates answer "may this user do X (with this object)". They are about
the user's part in this app (a community secretary runs their own community, a member
registers and logs hours, a unit's branch secretary acts for the unit) and some read its
registrations, which ``pairing/scope.py`` cannot import (volunteers depends on pairing, not
the other way).
"""

from __future__ import annotations

from django.db.models import Q

from pairing import scope
from pairing.choices import HELPER_KINDS
from pairing.models import Branch

from .choices import OpenClosed, WishStatus
from .selectors.registrations import registration_of


def _active(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def is_member(user) -> bool:
    """An in-service member (在职党员): registers at their home community, claims wishes and logs hours."""
    return scope.is_member(user)


def is_branch_secretary(user) -> bool:
    """A branch secretary with their branch: acts for the branch's registrations and reads its members."""
    return scope.is_branch_secretary(user)


def runs_unit(user) -> bool:
    """A unit's branch secretary (机关、企事业单位党支部书记): registers the unit and claims for it."""
    return is_branch_secretary(user) and user.branch.kind in HELPER_KINDS


def runs_a_community(user) -> bool:
    """A community secretary with their community: they land on its page."""
    return scope.is_community_secretary(user)


def runs_community(user, community: Branch) -> bool:
    """Whether the user runs this community (its community secretary, or a superuser): accepts
    registrations, publishes projects, wishes and whistles, assigns claims, verifies hours."""
    if not _active(user):
        return False
    return user.is_superuser or (scope.is_community_secretary(user) and user.branch_id == community.pk)


def runs_community_q(user, prefix: str = "") -> Q:
    """``runs_community`` as a filter: rows whose community (reached through ``prefix``) the user runs."""
    if not _active(user):
        return scope.NOTHING
    if user.is_superuser:
        return Q()
    if scope.is_community_secretary(user):
        return Q(**{f"{prefix}pk": user.branch_id})
    return scope.NOTHING


def oversees_region(user) -> bool:
    """Staff, leaders and superusers: their volunteers page is the list of their region's communities."""
    return scope.sees_region(user)


def may_list_communities(user) -> bool:
    return oversees_region(user) or scope.is_community_secretary(user)


def may_take_part(user, item, *, taken) -> bool:
    """Whether to offer 自主认领 of a project or answering a whistle (``item``): the user (or their
    unit) is registered at its community, it is open, and none of ``taken`` (its claims or
    responses, in hand) is theirs yet. The services check the same under a row lock."""
    registration = registration_of(user=user, community_id=item.community_id)
    return (
        registration is not None
        and item.status == OpenClosed.OPEN
        and all(t.registration_id != registration.pk for t in taken)
    )


def may_claim_wish(user, wish) -> bool:
    """An open wish may be claimed by a member registered at its community."""
    return (
        wish.status == WishStatus.OPEN
        and is_member(user)
        and registration_of(user=user, community_id=wish.community_id) is not None
    )


def claimed_wish(user, wish) -> bool:
    """The member who claimed the wish: they report it fulfilled."""
    return bool(wish.claimed_by_id) and wish.claimed_by_id == user.pk


def may_fulfil_wish(user, wish) -> bool:
    return claimed_wish(user, wish) and wish.status == WishStatus.CLAIMED


def may_read_resident_name(user, wish) -> bool:
    """The resident's name is shown to the community and the claiming member; masked for others."""
    return runs_community(user, wish.community) or claimed_wish(user, wish)
