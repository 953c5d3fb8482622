"""Figures and targets of 双报到、双服务, as database aggregates.

Quarters are calendar quarters of dates in Asia/Shanghai (``timezone.localdate()``).
Targets:
- member: verified hours with a service date in the quarter ≥ 10;
- unit: claims of projects starting in the year ≥ 2; "community activity in a quarter" =
  a project the unit claimed that starts in the quarter, or a whistle in the quarter that
  the unit answered — at least one.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import CharField, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from pairing.choices import Role
from pairing.models import Branch
from twinning.keyset import Keyset

from ..choices import (
    MEMBER_QUARTER_TARGET_HOURS,
    UNIT_QUARTER_TARGET_ACTIVITIES,
    UNIT_YEAR_TARGET_PROJECTS,
    HourStatus,
    RegistrationKind,
    RegistrationStatus,
)
from ..models import Claim, HourEntry, Registration, WhistleResponse
from .registrations import communities_visible


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


def _minutes_subquery(*, status: str, quarter: Quarter, **match) -> Coalesce:
    rows = (
        HourEntry.objects.filter(status=status, served_on__range=(quarter.start, quarter.end), **match)
        .order_by()
        .values("member_id")
        .annotate(total=Sum("minutes"))
        .values("total")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


# Members by their standing: the most verified minutes first, then by name.
BY_STANDING = Keyset("-verified_minutes", "display_name", "pk", annotations={"verified_minutes": IntegerField()})
# Communities by county, township and name (a community without a county or township comes first).
COMMUNITIES_BY_PLACE = Keyset(
    "county_path", "township_name", "name", "pk", annotations={"county_path": CharField(), "township_name": CharField()}
)


def members_with_standing(members: QuerySet[User], *, quarter: Quarter) -> QuerySet[User]:
    """Members annotated with verified and pending minutes in the quarter and ``on_target``."""
    return members.annotate(
        verified_minutes=_minutes_subquery(status=HourStatus.VERIFIED, quarter=quarter, member_id=OuterRef("pk")),
        pending_minutes=_minutes_subquery(status=HourStatus.PENDING, quarter=quarter, member_id=OuterRef("pk")),
    ).order_by(*BY_STANDING.keys)


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
            county_path=Coalesce("county__path", Value("")),
            township_name=Coalesce("township__name", Value("")),
        )
        .order_by(*COMMUNITIES_BY_PLACE.keys)
    )
