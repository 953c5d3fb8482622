"""Reads of volunteer hours (志愿服务时长): the community's entries, a member's own, and what a
member may log hours against."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from accounts.models import User
from twinning.keyset import Keyset

from ..choices import HourStatus
from ..models import Claim, HourEntry, Project, Registration, Whistle, WhistleResponse, Wish


def hours_visible(*, user) -> QuerySet[HourEntry]:
    """Hour entries: the community's (staff/leaders in region, community secretary), a member's own."""
    return HourEntry.objects.visible_to(user).select_related("member", "community", "project", "wish", "whistle")


def hours_get(*, user, pk: int) -> HourEntry:
    return get_object_or_404(hours_visible(user=user), pk=pk)


def serving_q(member: User, prefix: str = "") -> Q:
    """The registrations (reached through ``prefix``) a member serves under: their own, and their
    workplace unit's — hours may be logged against what the member's own unit claimed."""
    own = Q(**{f"{prefix}member": member})
    if member.branch_id:
        own |= Q(**{f"{prefix}branch_id": member.branch_id})
    return own


def hours_pending(*, user, community) -> QuerySet[HourEntry]:
    """The community's entries waiting for its secretary, oldest first."""
    return (
        hours_visible(user=user)
        .filter(community=community, status=HourStatus.PENDING)
        .order_by("served_on", "starts_at")
    )


# A member's entries as the member page lists them: the latest first (HourEntry's own order).
HOURS_NEWEST_FIRST = Keyset("-served_on", "-starts_at", "-pk")


def member_hours(*, user, member: User) -> QuerySet[HourEntry]:
    """A member's entries as the user may see them (others: only at the communities in their scope)."""
    return hours_visible(user=user).filter(member=member)


def hour_targets(*, user: User) -> list[tuple[str, str]]:
    """What a member may log hours against, as form choices: projects they or their unit
    claimed, wishes they claimed, whistles they or their unit answered."""
    own = Registration.objects.filter(serving_q(user))
    claims = Claim.objects.filter(registration__in=own).select_related("project").order_by("-project__starts_on")
    wishes = Wish.objects.filter(claimed_by=user).order_by("-claimed_at")
    responses = (
        WhistleResponse.objects.filter(registration__in=own).select_related("whistle").order_by("-whistle__happens_on")
    )
    choices = [(f"project:{c.project_id}", _("项目：%(t)s") % {"t": c.project.title}) for c in claims]
    choices += [(f"wish:{w.pk}", _("微心愿：%(t)s") % {"t": w.title}) for w in wishes]
    choices += [(f"whistle:{r.whistle_id}", _("吹哨：%(t)s") % {"t": r.whistle.title}) for r in responses]
    return list(dict(choices).items())


def hour_target(value: str) -> dict:
    """One of ``hour_targets`` (``"project:12"``) as the keyword the service takes (``{"project": …}``)."""
    kind, _sep, target_id = value.partition(":")
    model = {"project": Project, "wish": Wish, "whistle": Whistle}[kind]
    return {kind: model.objects.get(pk=int(target_id))}
