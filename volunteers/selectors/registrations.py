"""Reads of registrations (报到) and of the communities a user may open or register at.

A community's own rows are reached through ``pairing.scope.community_q`` (staff and leaders
in their region, the community secretary in their community); members and unit
secretaries additionally see what belongs to them (their registrations, the demand list of
the communities where they are registered, their own hours) through ``own_registrations_q``.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import User
from pairing import scope
from pairing.choices import BranchKind
from pairing.models import Branch

from .. import perms
from ..choices import RegistrationStatus
from ..models import Registration


def own_registrations_q(user, prefix: str = "") -> Q:
    """A member's own registrations; a unit secretary's unit's registrations."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return scope.NOTHING
    if perms.is_member(user):
        return Q(**{f"{prefix}member_id": user.pk})
    if perms.is_branch_secretary(user):
        return Q(**{f"{prefix}branch_id": user.branch_id})
    return scope.NOTHING


def registered_communities_q(user) -> Q:
    """Rows of the communities where the user (or their unit) holds an accepted registration."""
    own = own_registrations_q(user)
    if own == scope.NOTHING:
        return scope.NOTHING
    ids = Registration.objects.filter(own, status=RegistrationStatus.ACCEPTED).values("community_id")
    return Q(community_id__in=ids)


def communities_visible(*, user) -> QuerySet[Branch]:
    """Community branches whose pages the user may open (staff/leaders in region, own community)."""
    return Branch.objects.filter(scope.community_q(user), kind=BranchKind.COMMUNITY)


def community_get(*, user, pk: int) -> Branch:
    return get_object_or_404(communities_visible(user=user).select_related("county", "township", "region"), pk=pk)


def communities_to_register(*, user) -> QuerySet[Branch]:
    """Communities a member or unit may register at: those of their city."""
    branch = user.branch if user.branch_id else None
    if branch is None:
        return Branch.objects.none()
    return (
        Branch.objects.filter(kind=BranchKind.COMMUNITY, city_id=branch.city_id)
        .select_related("county", "township")
        .order_by("county__path", "township__name", "name")
    )


def registrations_visible(*, user) -> QuerySet[Registration]:
    return Registration.objects.visible_to(user).select_related("community", "branch", "member")


def registration_get(*, user, pk: int) -> Registration:
    return get_object_or_404(registrations_visible(user=user), pk=pk)


def registration_of(*, user: User, community_id: int) -> Registration | None:
    """The acting user's accepted registration at a community: their own as a member, their
    unit's as a branch secretary."""
    own = own_registrations_q(user)
    if own == scope.NOTHING:
        return None
    return Registration.objects.filter(own, community_id=community_id, status=RegistrationStatus.ACCEPTED).first()


def registrations_accepted(*, community: Branch) -> QuerySet[Registration]:
    """The accepted registrations at a community: who may be assigned a claim there."""
    return Registration.objects.filter(community=community, status=RegistrationStatus.ACCEPTED)


def registrations_unclaimed(*, project, claims) -> QuerySet[Registration]:
    """Who may still be assigned the project: accepted at its community, not among ``claims`` (in hand)."""
    return (
        registrations_accepted(community=project.community)
        .exclude(pk__in=[c.registration_id for c in claims])
        .select_related("branch", "member")
    )


def member_home_registration(*, member: User) -> Registration | None:
    """The community where a member is (first) accepted, for the certificate."""
    return (
        Registration.objects.filter(member=member, status=RegistrationStatus.ACCEPTED)
        .select_related("community")
        .first()
    )


def unit_registrations(*, branch: Branch) -> QuerySet[Registration]:
    return Registration.objects.filter(branch=branch).select_related("community")


def registrations_own(*, user) -> QuerySet[Registration]:
    """The user's own registrations (a member's), or their unit's (a branch secretary's), as history."""
    return registrations_visible(user=user).filter(own_registrations_q(user))


def member_registrations(*, user, member: User) -> QuerySet[Registration]:
    """A member's registrations as the user may see them."""
    return registrations_visible(user=user).filter(member=member)
