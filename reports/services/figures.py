"""The programme's figures, each computed by grouped aggregate queries in the database.

Every function takes the branches of a region (already restricted) and a grouping
field (``"level"``, ``"county__name"``, ``"township__name"``, or ``None`` for the region
as a whole) and returns ``{group: figures}``: one query per figure however many
branches there are.
"""

from __future__ import annotations

import datetime

from django.db.models import (
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from activities.choices import TaskProgress, ThemeDayStatus
from activities.models import KeyTaskList, ThemeDay
from activities.selectors import _month_end, month_starts
from pairing import scope
from pairing.choices import HELPER_KINDS, PARTNER_KINDS
from pairing.models import Branch, OptimisationCampaign, OptimisationRecord, Pairing, Region
from volunteers.choices import (
    MEMBER_QUARTER_TARGET_HOURS,
    UNIT_QUARTER_TARGET_ACTIVITIES,
    UNIT_YEAR_TARGET_PROJECTS,
    HourStatus,
    RegistrationKind,
    RegistrationStatus,
)
from volunteers.models import Claim, HourEntry, Project, Registration, WhistleResponse
from volunteers.selectors import Quarter

from .rates import figure, truncated_rate

WHOLE = "__all__"


def _grouped(queryset: QuerySet, group: str | None, **aggregates) -> dict[str, dict]:
    if group is None:
        return {WHOLE: queryset.aggregate(**aggregates)}
    rows = queryset.order_by().values(group).annotate(**aggregates)
    return {(row.pop(group) or ""): row for row in rows}


def pairing_active_on(day: datetime.date, prefix: str = "") -> Q:
    """A pairing counts on a day if it had started and was not yet dissolved."""
    return Q(**{f"{prefix}started_on__lte": day}) & (
        Q(**{f"{prefix}dissolved_on__isnull": True}) | Q(**{f"{prefix}dissolved_on__gt": day})
    )


def optimisation(
    branches: QuerySet[Branch], *, campaign: OptimisationCampaign | None, as_of: datetime.date, group: str | None
) -> dict[str, dict]:
    """优化率: branches with an optimisation record in the campaign by ``as_of`` ÷ branches.

    Without a campaign nothing matches (``campaign_id IS NULL`` never holds), so the rate is 0.
    """
    records = OptimisationRecord.objects.filter(branch=OuterRef("pk"), campaign=campaign, done_on__lte=as_of)
    result = _grouped(branches, group, total=Count("pk"), optimised=Count("pk", filter=Q(Exists(records))))
    for row in result.values():
        row["rate"] = truncated_rate(row["optimised"], row["total"])
    return result


def coverage(branches: QuerySet[Branch], *, as_of: datetime.date, group: str | None) -> dict[str, dict]:
    """结对覆盖率: partner branches with an active pairing in the current campaign ÷ partner branches;
    and helpers engaged ÷ helper branches."""
    current = Pairing.objects.filter(pairing_active_on(as_of), campaign__is_current=True)
    partners = _grouped(
        branches.filter(kind__in=PARTNER_KINDS),
        group,
        total=Count("pk"),
        paired=Count("pk", filter=Q(Exists(current.filter(partner=OuterRef("pk"))))),
    )
    helpers = _grouped(
        branches.filter(kind__in=HELPER_KINDS),
        group,
        helpers=Count("pk"),
        helpers_engaged=Count("pk", filter=Q(Exists(current.filter(helper=OuterRef("pk"))))),
    )
    result = {}
    for key in partners.keys() | helpers.keys():
        row = {"paired": 0, "total": 0, "helpers_engaged": 0, "helpers": 0}
        row.update(partners.get(key, {}))
        row.update(helpers.get(key, {}))
        row["rate"] = truncated_rate(row["paired"], row["total"])
        row["helpers_rate"] = truncated_rate(row["helpers_engaged"], row["helpers"])
        result[key] = row
    return result


# --- theme-day compliance ----------------------------------------------------------------------


def active_in_month(month: datetime.date, *, as_of: datetime.date, prefix: str = "") -> Q:
    """The activities rule (``activities.selectors.month_counts``): a month counts for a pairing
    active on at least one day of it — here only days up to ``as_of``."""
    last = min(_month_end(month), as_of)
    return Q(**{f"{prefix}started_on__lte": last}) & (
        Q(**{f"{prefix}dissolved_on__isnull": True}) | Q(**{f"{prefix}dissolved_on__gte": month})
    )


def theme_day_months(as_of: datetime.date) -> list[datetime.date]:
    """The months of the as-of year up to the as-of month (the compliance grid's months)."""
    return month_starts(as_of.year, today=as_of)


def theme_days(pairings: QuerySet[Pairing], *, as_of: datetime.date, group: str | None) -> dict[str, dict]:
    """主题党日达标率 per month: active pairings with a confirmed theme day in the month ÷ active pairings.

    ``pairings`` is already restricted to the region (by the partner's side) and ``group`` is a
    lookup from the pairing (``"partner__county__name"``). One query for all months.
    """
    months = theme_day_months(as_of)
    aggregates = {}
    for i, month in enumerate(months):
        active = active_in_month(month, as_of=as_of)
        confirmed = ThemeDay.objects.filter(
            pairing=OuterRef("pk"),
            status=ThemeDayStatus.CONFIRMED,
            held_on__gte=month,
            held_on__lte=min(_month_end(month), as_of),
        )
        aggregates[f"a{i}"] = Count("pk", filter=active)
        aggregates[f"c{i}"] = Count("pk", filter=active & Q(Exists(confirmed)))
    result = {}
    for key, row in _grouped(pairings, group, **aggregates).items() if months else []:
        by_month = [
            {"month": m.strftime("%Y-%m"), **figure(row[f"c{i}"], row[f"a{i}"], num_key="confirmed", den_key="active")}
            for i, m in enumerate(months)
        ]
        result[key] = {**by_month[-1], "by_month": by_month}
    return result


# --- the N list --------------------------------------------------------------------------------


def half_of(day: datetime.date) -> int:
    return 1 if day.month <= 6 else 2


def task_lists_for(region: Region, *, as_of: datetime.date) -> QuerySet[KeyTaskList]:
    """The N lists of the as-of half year that the region's pairings report on: those of the
    region, of its ancestors and of its descendants."""
    ancestors = [p for p in (region.parent_id,) if p]
    return (
        KeyTaskList.objects.filter(year=as_of.year, half=half_of(as_of))
        .filter(Q(region__path__startswith=region.path) | Q(region_id__in=ancestors))
        .select_related("region")
        .annotate(due_items=Count("tasks", filter=Q(tasks__due_on__lte=as_of)))
        .order_by("region__path")
    )


def n_tasks(
    pairings: QuerySet[Pairing], *, task_lists: list[KeyTaskList], as_of: datetime.date, group: str | None
) -> dict[str, dict]:
    """重点任务完成率: items reported done ÷ items due (``due_on`` ≤ as_of) × pairings active on
    as_of in the list's region; per list and in total. One grouped query per list."""
    result: dict[str, dict] = {}
    for task_list in task_lists:
        reporting = pairings.filter(pairing_active_on(as_of), scope.region_pairing_q(task_list.region))
        rows = _grouped(
            reporting,
            group,
            pairings=Count("pk", distinct=True),
            done=Count(
                "task_reports",
                filter=Q(
                    task_reports__status=TaskProgress.DONE,
                    task_reports__task__task_list=task_list,
                    task_reports__task__due_on__lte=as_of,
                ),
            ),
        )
        label = f"{task_list.region.name}{task_list.period_label}"
        for key, row in rows.items():
            due = row["pairings"] * task_list.due_items
            entry = result.setdefault(key, {"done": 0, "due": 0, "lists": {}})
            entry["lists"][label] = figure(row["done"], due, num_key="done", den_key="due")
            entry["done"] += row["done"]
            entry["due"] += due
    for entry in result.values():
        entry["rate"] = truncated_rate(entry["done"], entry["due"])
    return result


# --- volunteers ----------------------------------------------------------------------------------


def volunteers(communities: QuerySet[Branch], *, as_of: datetime.date, group: str | None) -> dict[str, dict]:
    """双报到、双服务 in the quarter of ``as_of``, by the community's region (``group`` from the
    community branch, e.g. ``"county__name"``), with the volunteers app's targets:
    members ≥10 verified hours in the quarter; units ≥2 projects claimed in the year and ≥1
    community activity (a claimed project starting, or a whistle answered) in the quarter."""
    quarter = Quarter.of(as_of)
    in_quarter = (quarter.start, quarter.end)  # whole quarter, as volunteers.selectors.unit_targets
    community_ids = communities.order_by().values("pk")
    prefixed = f"community__{group}" if group else None

    regs = Registration.objects.filter(community_id__in=community_ids, status=RegistrationStatus.ACCEPTED)
    claims = Claim.objects.filter(registration__branch_id=OuterRef("branch_id"))
    year_projects = _count_subquery(claims.filter(project__starts_on__year=quarter.year), "project_id")
    quarter_projects = _count_subquery(claims.filter(project__starts_on__range=in_quarter), "project_id")
    quarter_whistles = _count_subquery(
        WhistleResponse.objects.filter(
            registration__branch_id=OuterRef("branch_id"), whistle__happens_on__range=in_quarter
        ),
        "whistle_id",
    )
    units = _grouped(
        regs.filter(kind=RegistrationKind.UNIT).annotate(
            yp=year_projects, qa=ExpressionWrapper(quarter_projects + quarter_whistles, output_field=IntegerField())
        ),
        prefixed,
        units=Count("branch_id", distinct=True),
        units_year_on_target=Count("branch_id", distinct=True, filter=Q(yp__gte=UNIT_YEAR_TARGET_PROJECTS)),
        units_quarter_on_target=Count("branch_id", distinct=True, filter=Q(qa__gte=UNIT_QUARTER_TARGET_ACTIVITIES)),
    )
    member_minutes = Coalesce(
        Subquery(
            HourEntry.objects.filter(
                member_id=OuterRef("member_id"), status=HourStatus.VERIFIED, served_on__range=in_quarter
            )
            .order_by()
            .values("member_id")
            .annotate(total=Sum("minutes"))
            .values("total"),
            output_field=IntegerField(),
        ),
        Value(0),
    )
    members = _grouped(
        regs.filter(kind=RegistrationKind.MEMBER).annotate(vm=member_minutes),
        prefixed,
        members=Count("member_id", distinct=True),
        members_on_target=Count("member_id", distinct=True, filter=Q(vm__gte=MEMBER_QUARTER_TARGET_HOURS * 60)),
    )
    projects = _grouped(
        Project.objects.filter(community_id__in=community_ids, starts_on__range=in_quarter),
        prefixed,
        projects=Count("pk", distinct=True),
        projects_claimed=Count("pk", distinct=True, filter=Q(claims__isnull=False)),
    )
    hours = _grouped(
        HourEntry.objects.filter(
            community_id__in=community_ids, status=HourStatus.VERIFIED, served_on__range=in_quarter
        ),
        prefixed,
        verified_minutes=Sum("minutes"),
    )
    result = {}
    for key in units.keys() | members.keys() | projects.keys() | hours.keys():
        row = {
            "quarter": f"{quarter.year}Q{quarter.number}",
            "units": 0,
            "units_year_on_target": 0,
            "units_quarter_on_target": 0,
            "members": 0,
            "members_on_target": 0,
            "projects": 0,
            "projects_claimed": 0,
        }
        for part in (units, members, projects):
            row.update(part.get(key, {}))
        minutes = (hours.get(key) or {}).get("verified_minutes") or 0
        row["verified_hours"] = round(minutes / 60, 1)
        row["rate"] = truncated_rate(row["members_on_target"], row["members"])
        result[key] = row
    return result


def quarterly_hours(communities: QuerySet[Branch], *, as_of: datetime.date) -> list[dict]:
    """Verified volunteer hours in each quarter of the as-of year up to as_of (one query)."""
    community_ids = communities.order_by().values("pk")
    quarters = [Quarter(as_of.year, n) for n in range(1, Quarter.of(as_of).number + 1)]
    sums = HourEntry.objects.filter(
        community_id__in=community_ids,
        status=HourStatus.VERIFIED,
        served_on__gte=quarters[0].start,
        served_on__lte=quarters[-1].end,
    ).aggregate(**{f"q{q.number}": Sum("minutes", filter=Q(served_on__range=(q.start, q.end))) for q in quarters})
    return [{"quarter": f"{q.year}Q{q.number}", "hours": round((sums[f"q{q.number}"] or 0) / 60, 1)} for q in quarters]


def _count_subquery(queryset: QuerySet, field: str) -> Coalesce:
    """COUNT(DISTINCT field) of a correlated queryset, as a scalar subquery (0 when empty)."""
    counted = queryset.order_by().annotate(
        n=Func(F(field), function="COUNT", template="COUNT(DISTINCT %(expressions)s)", output_field=IntegerField())
    )
    return Coalesce(Subquery(counted.values("n")[:1], output_field=IntegerField()), Value(0))
