"""Reads of members' records and units' standing, as far as the user may read them."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import User
from pairing import scope
from pairing.choices import HELPER_KINDS, Role
from pairing.models import Branch

from .. import perms
from ..models import Registration


def members_visible(*, user) -> QuerySet[User]:
    """Members whose record the user may read: themself; members registered at a community in
    the user's community scope; a unit secretary's own members; staff/leaders by workplace branch."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return User.objects.none()
    registered_here = Registration.objects.filter(scope.community_q(user, "community__"), member_id=OuterRef("pk"))
    visible = Q(pk=user.pk) | Q(Exists(registered_here))
    if perms.is_branch_secretary(user):
        visible |= Q(branch_id=user.branch_id)
    if perms.oversees_region(user):
        visible |= scope.branch_q(user, "branch__")
    return User.objects.filter(visible, role=Role.MEMBER).select_related("branch", "unit")


def member_get(*, user, pk: int) -> User:
    return get_object_or_404(members_visible(user=user), pk=pk)


def unit_branches_visible(*, user) -> QuerySet[Branch]:
    """Unit (helper-side) branches whose standing the user may read: a secretary their own,
    staff and leaders those in their region."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Branch.objects.none()
    if perms.is_branch_secretary(user):
        visible = Q(pk=user.branch_id)
    elif perms.oversees_region(user):
        visible = scope.branch_q(user)
    else:
        return Branch.objects.none()
    return Branch.objects.filter(visible, kind__in=HELPER_KINDS)


def unit_get(*, user, pk: int) -> Branch:
    return get_object_or_404(unit_branches_visible(user=user).select_related("unit", "county"), pk=pk)
