"""Reads of 双报到、双服务, always starting from what the user may see.

A community's own rows are reached through ``pairing.scope.community_q`` (staff and leaders
in their region, the community secretary in their community); members and unit
secretaries additionally see what belongs to them (their registrations, the demand list of
the communities where they are registered, their own hours).

Quarters are calendar quarters of dates in Asia/Shanghai (``timezone.localdate()``).
Targets are DB aggregates:
- member: verified hours with a service date in the quarter ≥ 10;
- unit: claims of projects starting in the year ≥ 2; "community activity in a quarter" =
  a project the unit claimed that starts in the quarter, or a whistle in the quarter that
  the unit answered — at least one.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from pairing import scope
from pairing.choices import HELPER_KINDS, REGION_SCOPED_ROLES, BranchKind, Role
from pairing.models import Branch

from .choices import (
    MEMBER_QUARTER_TARGET_HOURS,
    UNIT_QUARTER_TARGET_ACTIVITIES,
    UNIT_YEAR_TARGET_PROJECTS,
    HourStatus,
    RegistrationKind,
    RegistrationStatus,
)
from .models import Claim, HourEntry, Project, Registration, Whistle, WhistleResponse, Wish


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int

    @property
    def start(self) -> datetime.date:
        return datetime.date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> datetime.date:
        """The last day of the quarter."""
        if self.number == 4:
            return datetime.date(self.year, 12, 31)
        return datetime.date(self.year, 3 * self.number + 1, 1) - datetime.timedelta(days=1)

    @property
    def label(self) -> str:
        return _("%(year)d年第%(number)d季度") % {"year": self.year, "number": self.number}

    @classmethod
    def of(cls, day: datetime.date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def current(cls) -> Quarter:
        return cls.of(timezone.localdate())


# --- what the user may see -------------------------------------------------------------------


def _own_registrations_q(user, prefix: str = "") -> Q:
    """A member's own registrations; a unit secretary's unit's registrations."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return scope.NOTHING
    if user.role == Role.MEMBER:
        return Q(**{f"{prefix}member_id": user.pk})
    if user.role == Role.SECRETARY and user.branch_id:
        return Q(**{f"{prefix}branch_id": user.branch_id})
    return scope.NOTHING


def _registered_communities_q(user) -> Q:
    """Rows of the communities where the user (or their unit) holds an accepted registration."""
    own = _own_registrations_q(user)
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
    return Registration.objects.filter(
        scope.community_q(user, "community__") | _own_registrations_q(user)
    ).select_related("community", "branch", "member")


def registration_get(*, user, pk: int) -> Registration:
    return get_object_or_404(registrations_visible(user=user), pk=pk)


def projects_visible(*, user) -> QuerySet[Project]:
    return (
        Project.objects.filter(scope.community_q(user, "community__") | _registered_communities_q(user))
        .select_related("community")
        .annotate(claimed=Count("claims"))
    )


def project_get(*, user, pk: int) -> Project:
    return get_object_or_404(projects_visible(user=user), pk=pk)


def project_claims(*, project: Project) -> QuerySet[Claim]:
    return project.claims.select_related("registration__branch", "registration__member", "claimed_by")


def wishes_visible(*, user) -> QuerySet[Wish]:
    return Wish.objects.filter(scope.community_q(user, "community__") | _registered_communities_q(user)).select_related(
        "community", "claimed_by"
    )


def wish_get(*, user, pk: int) -> Wish:
    return get_object_or_404(wishes_visible(user=user), pk=pk)


def resident_name_for(*, user, wish: Wish) -> str:
    """The resident's name is shown to the community and the claiming member; masked (张**) for others."""
    from .services import is_community_secretary

    if is_community_secretary(user, wish.community) or (wish.claimed_by_id and wish.claimed_by_id == user.pk):
        return wish.resident_name
    name = wish.resident_name
    return name[:1] + "*" * max(1, len(name) - 1)


def whistles_visible(*, user) -> QuerySet[Whistle]:
    return (
        Whistle.objects.filter(scope.community_q(user, "community__") | _registered_communities_q(user))
        .select_related("community")
        .annotate(responded=Count("responses"))
    )


def whistle_get(*, user, pk: int) -> Whistle:
    return get_object_or_404(whistles_visible(user=user), pk=pk)


def whistle_responses(*, whistle: Whistle) -> QuerySet[WhistleResponse]:
    return whistle.responses.select_related("registration__branch", "registration__member")


def hours_visible(*, user) -> QuerySet[HourEntry]:
    """Hour entries: the community's (staff/leaders in region, community secretary), a member's own."""
    own = Q(member_id=user.pk) if getattr(user, "is_authenticated", False) else scope.NOTHING
    return HourEntry.objects.filter(scope.community_q(user, "community__") | own).select_related(
        "member", "community", "project", "wish", "whistle"
    )


def hours_get(*, user, pk: int) -> HourEntry:
    return get_object_or_404(hours_visible(user=user), pk=pk)


def members_visible(*, user) -> QuerySet[User]:
    """Members whose record the user may read: themself; members registered at a community in
    the user's community scope; a unit secretary's own members; staff/leaders by workplace branch."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return User.objects.none()
    registered_here = Registration.objects.filter(scope.community_q(user, "community__"), member_id=OuterRef("pk"))
    visible = Q(pk=user.pk) | Q(Exists(registered_here))
    if user.role == Role.SECRETARY and user.branch_id:
        visible |= Q(branch_id=user.branch_id)
    if user.is_superuser or user.role in REGION_SCOPED_ROLES:
        visible |= scope.branch_q(user, "branch__")
    return User.objects.filter(visible, role=Role.MEMBER).select_related("branch", "unit")


def member_get(*, user, pk: int) -> User:
    return get_object_or_404(members_visible(user=user), pk=pk)


def units_visible(*, user) -> QuerySet[Branch]:
    """Unit (helper-side) branches whose standing the user may read: a secretary their own,
    staff and leaders those in their region."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Branch.objects.none()
    if user.role == Role.SECRETARY and user.branch_id:
        visible = Q(pk=user.branch_id)
    elif user.is_superuser or user.role in REGION_SCOPED_ROLES:
        visible = scope.branch_q(user)
    else:
        return Branch.objects.none()
    return Branch.objects.filter(visible, kind__in=HELPER_KINDS)


def unit_get(*, user, pk: int) -> Branch:
    return get_object_or_404(units_visible(user=user).select_related("unit", "county"), pk=pk)


# --- figures and targets -----------------------------------------------------------------------


def _minutes_subquery(*, status: str, quarter: Quarter, **match) -> Coalesce:
    rows = (
        HourEntry.objects.filter(status=status, served_on__range=(quarter.start, quarter.end), **match)
        .order_by()
        .values("member_id")
        .annotate(total=Sum("minutes"))
        .values("total")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def members_with_standing(members: QuerySet[User], *, quarter: Quarter) -> QuerySet[User]:
    """Members annotated with verified and pending minutes in the quarter and ``on_target``."""
    return members.annotate(
        verified_minutes=_minutes_subquery(status=HourStatus.VERIFIED, quarter=quarter, member_id=OuterRef("pk")),
        pending_minutes=_minutes_subquery(status=HourStatus.PENDING, quarter=quarter, member_id=OuterRef("pk")),
    ).order_by("-verified_minutes", "display_name", "pk")


def member_summary(*, member: User, quarter: Quarter) -> dict:
    """A member's minutes in the quarter by status, in one aggregate query."""
    totals = HourEntry.objects.filter(member=member, served_on__range=(quarter.start, quarter.end)).aggregate(
        verified=Coalesce(Sum("minutes", filter=Q(status=HourStatus.VERIFIED)), 0),
        pending=Coalesce(Sum("minutes", filter=Q(status=HourStatus.PENDING)), 0),
        rejected=Coalesce(Sum("minutes", filter=Q(status=HourStatus.REJECTED)), 0),
    )
    totals["verified_hours"] = round(totals["verified"] / 60, 1)
    totals["target_hours"] = MEMBER_QUARTER_TARGET_HOURS
    totals["on_target"] = totals["verified"] >= MEMBER_QUARTER_TARGET_HOURS * 60
    return totals


def member_yearly_record(*, member: User, year: int) -> list[dict]:
    """Verified hours per quarter of a year (for the certificate), one grouped query."""
    rows = (
        HourEntry.objects.filter(member=member, status=HourStatus.VERIFIED, served_on__year=year)
        .values("served_on__month")
        .annotate(total=Sum("minutes"))
        .order_by()
    )
    per_quarter = {q: 0 for q in range(1, 5)}
    for row in rows:
        per_quarter[(row["served_on__month"] - 1) // 3 + 1] += row["total"]
    return [
        {
            "quarter": Quarter(year, q),
            "hours": round(m / 60, 1),
            "on_target": m >= MEMBER_QUARTER_TARGET_HOURS * 60,
        }
        for q, m in per_quarter.items()
    ]


def unit_targets(*, branch: Branch, quarter: Quarter) -> dict:
    """A unit's claimed projects in the quarter's year and its community activities in the quarter."""
    claims = Claim.objects.filter(registration__branch=branch)
    year_projects = claims.filter(project__starts_on__year=quarter.year).values("project_id").distinct().count()
    in_quarter = (quarter.start, quarter.end)
    quarter_projects = claims.filter(project__starts_on__range=in_quarter).values("project_id").distinct().count()
    quarter_whistles = (
        WhistleResponse.objects.filter(registration__branch=branch, whistle__happens_on__range=in_quarter)
        .values("whistle_id")
        .distinct()
        .count()
    )
    activities = quarter_projects + quarter_whistles
    return {
        "year_projects": year_projects,
        "year_target": UNIT_YEAR_TARGET_PROJECTS,
        "year_on_target": year_projects >= UNIT_YEAR_TARGET_PROJECTS,
        "quarter_activities": activities,
        "quarter_target": UNIT_QUARTER_TARGET_ACTIVITIES,
        "quarter_on_target": activities >= UNIT_QUARTER_TARGET_ACTIVITIES,
    }


def unit_members(*, branch: Branch, quarter: Quarter) -> QuerySet[User]:
    """The unit's in-service members (workplace branch) with their standing in the quarter."""
    return members_with_standing(
        User.objects.filter(role=Role.MEMBER, branch=branch, is_active=True).select_related("branch"), quarter=quarter
    )


def community_registrations(*, community: Branch, quarter: Quarter) -> QuerySet[Registration]:
    """Accepted and pending registrations at a community, annotated with ``active`` this quarter:
    a member with verified hours here in the quarter; a unit that claimed a project starting in
    the quarter or answered a whistle of the quarter here."""
    in_quarter = (quarter.start, quarter.end)
    member_active = HourEntry.objects.filter(
        member_id=OuterRef("member_id"),
        community_id=community.pk,
        status=HourStatus.VERIFIED,
        served_on__range=in_quarter,
    )
    unit_claimed = Claim.objects.filter(registration_id=OuterRef("pk"), project__starts_on__range=in_quarter)
    unit_answered = WhistleResponse.objects.filter(
        registration_id=OuterRef("pk"), whistle__happens_on__range=in_quarter
    )
    return (
        Registration.objects.filter(
            community=community, status__in=[RegistrationStatus.PENDING, RegistrationStatus.ACCEPTED]
        )
        .select_related("branch", "member", "member__branch")
        .annotate(
            member_active=Exists(member_active), unit_claimed=Exists(unit_claimed), unit_answered=Exists(unit_answered)
        )
        .order_by("-status", "kind", "-created_at")
    )


def community_figures(*, community: Branch, quarter: Quarter) -> dict:
    in_quarter = (quarter.start, quarter.end)
    hours = HourEntry.objects.filter(community=community).aggregate(
        verified=Coalesce(Sum("minutes", filter=Q(status=HourStatus.VERIFIED, served_on__range=in_quarter)), 0),
        pending=Count("pk", filter=Q(status=HourStatus.PENDING)),
    )
    regs = Registration.objects.filter(community=community).aggregate(
        units=Count("pk", filter=Q(kind=RegistrationKind.UNIT, status=RegistrationStatus.ACCEPTED)),
        members=Count("pk", filter=Q(kind=RegistrationKind.MEMBER, status=RegistrationStatus.ACCEPTED)),
        pending=Count("pk", filter=Q(status=RegistrationStatus.PENDING)),
    )
    return {"verified_hours": round(hours["verified"] / 60, 1), "pending_hours": hours["pending"], **regs}


def communities_with_figures(*, user, quarter: Quarter) -> QuerySet[Branch]:
    """Communities in scope with registration and hour figures (one query per page)."""
    in_quarter = (quarter.start, quarter.end)

    def count_regs(kind):
        rows = (
            Registration.objects.filter(community_id=OuterRef("pk"), kind=kind, status=RegistrationStatus.ACCEPTED)
            .order_by()
            .values("community_id")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))

    verified = (
        HourEntry.objects.filter(community_id=OuterRef("pk"), status=HourStatus.VERIFIED, served_on__range=in_quarter)
        .order_by()
        .values("community_id")
        .annotate(total=Sum("minutes"))
        .values("total")
    )
    return (
        communities_visible(user=user)
        .select_related("county", "township")
        .annotate(
            unit_count=count_regs(RegistrationKind.UNIT),
            member_count_registered=count_regs(RegistrationKind.MEMBER),
            verified_minutes=Coalesce(Subquery(verified, output_field=IntegerField()), Value(0)),
        )
        .order_by("county__path", "township__name", "name")
    )
