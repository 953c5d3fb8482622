"""Reads of the demand list (需求清单): service projects and their claims, micro-wishes, whistles
and their responses, of the communities the user may see or is registered at."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import User
from pairing.models import Branch
from twinning.keyset import Keyset

from .. import perms
from ..choices import OpenClosed, WishStatus
from ..models import Claim, Project, Whistle, WhistleResponse, Wish


def projects_visible(*, user) -> QuerySet[Project]:
    return Project.objects.visible_to(user).select_related("community").annotate(claimed=Count("claims"))


def project_get(*, user, pk: int) -> Project:
    return get_object_or_404(projects_visible(user=user), pk=pk)


def project_claims(*, project: Project) -> QuerySet[Claim]:
    return project.claims.select_related("registration__branch", "registration__member", "claimed_by")


def wishes_visible(*, user) -> QuerySet[Wish]:
    return Wish.objects.visible_to(user).select_related("community", "claimed_by")


def wish_get(*, user, pk: int) -> Wish:
    return get_object_or_404(wishes_visible(user=user), pk=pk)


def resident_name_for(*, user, wish: Wish) -> str:
    """The resident's name is shown to the community and the claiming member; masked (张**) for others."""
    if perms.may_read_resident_name(user, wish):
        return wish.resident_name
    name = wish.resident_name
    return name[:1] + "*" * max(1, len(name) - 1)


def whistles_visible(*, user) -> QuerySet[Whistle]:
    return Whistle.objects.visible_to(user).select_related("community").annotate(responded=Count("responses"))


def whistle_get(*, user, pk: int) -> Whistle:
    return get_object_or_404(whistles_visible(user=user), pk=pk)


def whistle_responses(*, whistle: Whistle) -> QuerySet[WhistleResponse]:
    return whistle.responses.select_related("registration__branch", "registration__member")


def unit_claims(*, branch: Branch) -> QuerySet[Claim]:
    """A unit's latest claims, with their projects."""
    return (
        Claim.objects.filter(registration__branch=branch)
        .select_related("project", "project__community")
        .order_by("-project__starts_on")
    )


def wishes_claimed_by(*, member: User) -> QuerySet[Wish]:
    return Wish.objects.filter(claimed_by=member).select_related("community")


# The open projects of the 需求清单: the soonest first.
PROJECTS_BY_START = Keyset("starts_on", "pk")


def demands_open(*, user) -> dict[str, QuerySet]:
    """需求清单: the open projects (soonest first), wishes and whistles the user may see."""
    return {
        "projects": projects_visible(user=user).filter(status=OpenClosed.OPEN).order_by(*PROJECTS_BY_START.keys),
        "wishes": wishes_visible(user=user).filter(status=WishStatus.OPEN),
        "whistles": whistles_visible(user=user).filter(status=OpenClosed.OPEN),
    }


def demands_of_community(*, user, community: Branch) -> dict[str, QuerySet]:
    """A community's projects, wishes and whistles, as the user may see them."""
    return {
        "projects": projects_visible(user=user).filter(community=community),
        "wishes": wishes_visible(user=user).filter(community=community),
        "whistles": whistles_visible(user=user).filter(community=community),
    }
