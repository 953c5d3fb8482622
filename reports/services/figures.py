"""The programme's figures, computed by grouped aggregate queries in the database.

Each ``*_counts`` function takes the rows of one area (a city's or a county's branches,
pairings or communities, already restricted) and a grouping: ``None`` for the area as a whole,
or a tuple of lookups such as ``("county_id", "township_id")``. It returns ``{key: counts}``
(``WHOLE`` or the tuple of the group's values) from a fixed number of queries however many rows
there are. Counts add up (``add``), so the snapshots compute them once at the finest grouping a
report shows and sum them into the coarser ones; the ``*_row`` functions then turn counts into
the stored figures with their truncated rates.
"""

from __future__ import annotations

import datetime
import operator
from functools import reduce

from django.db.models import (
    Count,
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
from django.db.models.functions import Coalesce, ExtractMonth

from activities.choices import TaskProgress, ThemeDayStatus
from activities.models import KeyTaskList, KeyTaskReport, ThemeDay
from activities.selectors import month_end, month_starts
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
Group = tuple[str, ...] | None


def _grouped(queryset: QuerySet, group: Group, **aggregates) -> dict:
    if group is None:
        return {WHOLE: queryset.aggregate(**aggregates)}
    rows = queryset.order_by().values(*group).annotate(**aggregates)
    return {tuple(row.pop(lookup) for lookup in group): row for row in rows}


def _of_pairing(area: dict) -> dict:
    """The lookups of ``area`` (from a pairing) from a row that belongs to a pairing."""
    return {f"pairing__{lookup}": value for lookup, value in area.items()}


def prefixed(prefix: str, group: Group) -> Group:
    return None if group is None else tuple(f"{prefix}{lookup}" for lookup in group)


def add(a, b):
    """The sum of two counts of the same shape: numbers, lists of counts, dicts of counts."""
    if isinstance(a, dict):
        return {k: add(a[k], b[k]) if k in a and k in b else a.get(k, b.get(k)) for k in {**a, **b}}
    if isinstance(a, list):
        return [add(x, y) for x, y in zip(a, b, strict=True)]
    return a + b


def pairing_active_on(day: datetime.date, prefix: str = "") -> Q:
    """A pairing counts on a day if it had started and was not yet dissolved."""
    return Q(**{f"{prefix}started_on__lte": day}) & (
        Q(**{f"{prefix}dissolved_on__isnull": True}) | Q(**{f"{prefix}dissolved_on__gt": day})
    )


# --- optimisation and coverage -------------------------------------------------------------------


def branch_counts(
    branches: QuerySet[Branch], *, campaign: OptimisationCampaign | None, as_of: datetime.date, group: Group
) -> dict:
    """One pass over the branches for two figures.

    优化率: ``optimised`` (a record in the campaign by ``as_of``) of ``total``; without a campaign
    nothing matches (``campaign_id IS NULL`` never holds), so the rate is 0.
    结对覆盖率: ``paired`` (an active pairing in a current campaign on ``as_of``) of ``partners``;
    ``helpers_engaged`` of ``helpers``.
    """
    # Uncorrelated IN (…) sets, hashed once: a correlated EXISTS per branch costs the same at run
    # time but its estimate (millions) makes PostgreSQL spend about a second JIT-compiling.
    optimised = OptimisationRecord.objects.filter(campaign=campaign, done_on__lte=as_of).values("branch_id")
    current = Pairing.objects.filter(pairing_active_on(as_of), campaign__is_current=True)
    partner, helper = Q(kind__in=PARTNER_KINDS), Q(kind__in=HELPER_KINDS)
    return _grouped(
        branches,
        group,
        total=Count("pk"),
        optimised=Count("pk", filter=Q(pk__in=optimised)),
        partners=Count("pk", filter=partner),
        paired=Count("pk", filter=partner & Q(pk__in=current.values("partner_id"))),
        helpers=Count("pk", filter=helper),
        helpers_engaged=Count("pk", filter=helper & Q(pk__in=current.values("helper_id"))),
    )


BRANCH_COUNTS = ("total", "optimised", "partners", "paired", "helpers", "helpers_engaged")


def optimisation_row(counts: dict | None) -> dict:
    counts = counts or dict.fromkeys(BRANCH_COUNTS, 0)
    return figure(counts["optimised"], counts["total"], num_key="optimised")


def has_coverage(counts: dict) -> bool:
    """A group has coverage figures when it has partner or helper branches."""
    return bool(counts["partners"] or counts["helpers"])


def coverage_row(counts: dict | None) -> dict:
    counts = counts or dict.fromkeys(BRANCH_COUNTS, 0)
    return {
        "paired": counts["paired"],
        "total": counts["partners"],
        "helpers_engaged": counts["helpers_engaged"],
        "helpers": counts["helpers"],
        "rate": truncated_rate(counts["paired"], counts["partners"]),
        "helpers_rate": truncated_rate(counts["helpers_engaged"], counts["helpers"]),
    }


# --- theme-day compliance ----------------------------------------------------------------------


def active_in_month(month: datetime.date, *, as_of: datetime.date, prefix: str = "") -> Q:
    """The activities rule (``activities.selectors.month_counts``): a month counts for a pairing
    active on at least one day of it — here only days up to ``as_of``."""
    last = min(month_end(month), as_of)
    return Q(**{f"{prefix}started_on__lte": last}) & (
        Q(**{f"{prefix}dissolved_on__isnull": True}) | Q(**{f"{prefix}dissolved_on__gte": month})
    )


def theme_day_months(as_of: datetime.date) -> list[datetime.date]:
    """The months of the as-of year up to the as-of month (the compliance grid's months)."""
    return month_starts(as_of.year, today=as_of)


def theme_day_counts(*, area: dict, as_of: datetime.date, group: Group) -> dict:
    """主题党日达标率 per month: ``{key: {"pairings": n, "months": [[active, confirmed], ...]}}``.

    A pairing is active in a month if it was on a day of it up to ``as_of``, and confirmed if it
    also had a confirmed theme day in the month by ``as_of``. ``area`` (lookups from the pairing,
    e.g. ``{"partner__city": city}``) restricts the pairings and ``group`` groups them
    (``("partner__county_id", ...)``). Two queries for all months: the active pairings
    from the pairings, the confirmed ones from the year's theme days grouped by month once —
    not one correlated look-up per pairing and month.
    """
    months = theme_day_months(as_of)
    pairings = Pairing.objects.filter(**area)
    active = {f"a{i}": Count("pk", filter=active_in_month(m, as_of=as_of)) for i, m in enumerate(months)}
    result = {
        key: {"pairings": row["pairings"], "months": [[row[f"a{i}"], 0] for i in range(len(months))]}
        for key, row in _grouped(pairings, group, pairings=Count("pk"), **active).items()
    }
    in_active_month = reduce(
        operator.or_,
        (
            Q(held_on__gte=m, held_on__lte=min(month_end(m), as_of))
            & active_in_month(m, as_of=as_of, prefix="pairing__")
            for m in months
        ),
    )
    confirmed = (
        ThemeDay.objects.filter(in_active_month, status=ThemeDayStatus.CONFIRMED, **_of_pairing(area))
        .order_by()
        .values(*(prefixed("pairing__", group) or ()), month=ExtractMonth("held_on"))
        .annotate(confirmed=Count("pairing_id", distinct=True))
    )
    for row in confirmed:
        key = WHOLE if group is None else tuple(row[f"pairing__{lookup}"] for lookup in group)
        result[key]["months"][int(row["month"]) - 1][1] = row["confirmed"]
    return result


def theme_days_row(counts: dict | None, *, as_of: datetime.date) -> dict:
    months = theme_day_months(as_of)
    counts = counts or {"pairings": 0, "months": [[0, 0] for _ in months]}
    by_month = [
        {"month": m.strftime("%Y-%m"), **figure(confirmed, active, num_key="confirmed", den_key="active")}
        for m, (active, confirmed) in zip(months, counts["months"], strict=True)
    ]
    return {**by_month[-1], "by_month": by_month}


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


def lists_of(region: Region, task_lists: list[KeyTaskList]) -> list[KeyTaskList]:
    """Those of ``task_lists`` that ``task_lists_for(region)`` would return (same order)."""
    return [tl for tl in task_lists if tl.region.path.startswith(region.path) or tl.region_id == region.parent_id]


def n_task_counts(*, area: dict, task_lists: list[KeyTaskList], as_of: datetime.date, group: Group) -> dict:
    """重点任务完成率 counts: ``{key: {list id: [pairings, done]}}``.

    A list asks its items due by ``as_of`` of every pairing active on ``as_of`` with either side
    in the list's region; ``done`` counts those pairings' items reported done. Two queries for
    all lists: the pairings asked, and the done reports grouped by list.
    """
    if not task_lists:
        return {}
    reporting = Pairing.objects.filter(pairing_active_on(as_of), **area)
    asked = {f"p{tl.pk}": Count("pk", filter=scope.region_pairing_q(tl.region)) for tl in task_lists}
    result = {
        key: {tl.pk: [row[f"p{tl.pk}"], 0] for tl in task_lists}
        for key, row in _grouped(reporting, group, **asked).items()
    }
    of_its_list = reduce(
        operator.or_,
        (Q(task__task_list=tl) & scope.region_pairing_q(tl.region, prefix="pairing__") for tl in task_lists),
    )
    done = (
        KeyTaskReport.objects.filter(
            of_its_list,
            pairing_active_on(as_of, prefix="pairing__"),
            status=TaskProgress.DONE,
            task__due_on__lte=as_of,
            **_of_pairing(area),
        )
        .order_by()
        .values(*(prefixed("pairing__", group) or ()), "task__task_list_id")
        .annotate(done=Count("pk"))
    )
    for row in done:
        key = WHOLE if group is None else tuple(row[f"pairing__{lookup}"] for lookup in group)
        result[key][row["task__task_list_id"]][1] = row["done"]
    return result


def n_tasks_row(counts: dict, *, task_lists: list[KeyTaskList], whole: bool) -> dict | None:
    """The figures over ``task_lists`` (the lists of the snapshot's region), each list's and in
    total. A group shows the lists that asked any of its pairings (the region as a whole shows
    every list); None when there is none."""
    row: dict = {"done": 0, "due": 0, "lists": {}}
    for tl in task_lists:
        asked, done = counts.get(tl.pk, (0, 0))
        if not (asked or whole):
            continue
        due = asked * tl.due_items
        row["lists"][f"{tl.region.name}{tl.period_label}"] = figure(done, due, num_key="done", den_key="due")
        row["done"] += done
        row["due"] += due
    if not row["lists"]:
        return None
    row["rate"] = truncated_rate(row["done"], row["due"])
    return row


# --- volunteers ----------------------------------------------------------------------------------


def volunteer_counts(communities: QuerySet[Branch], *, as_of: datetime.date, group: Group) -> dict:
    """双报到、双服务 in the quarter of ``as_of``, by the community's region (``group`` from the
    community branch, e.g. ``("county_id",)``), with the volunteers app's targets:
    members ≥10 verified hours in the quarter; units ≥2 projects claimed in the year and ≥1
    community activity (a claimed project starting, or a whistle answered) in the quarter.

    Units and members are counted distinct within each group (a unit may register at several
    communities), so these counts do not add up across groups: ask for each grouping.
    """
    quarter = Quarter.of(as_of)
    in_quarter = (quarter.start, quarter.end)  # whole quarter, as volunteers.selectors.unit_targets
    community_ids = communities.order_by().values("pk")
    by_community = prefixed("community__", group)

    regs = Registration.objects.filter(community_id__in=community_ids, status=RegistrationStatus.ACCEPTED)
    claims = Claim.objects.filter(registration__branch_id=OuterRef("branch_id"))
    year_projects = count_subquery(claims.filter(project__starts_on__year=quarter.year), "project_id")
    quarter_projects = count_subquery(claims.filter(project__starts_on__range=in_quarter), "project_id")
    quarter_whistles = count_subquery(
        WhistleResponse.objects.filter(
            registration__branch_id=OuterRef("branch_id"), whistle__happens_on__range=in_quarter
        ),
        "whistle_id",
    )
    units = _grouped(
        regs.filter(kind=RegistrationKind.UNIT).annotate(
            yp=year_projects, qa=ExpressionWrapper(quarter_projects + quarter_whistles, output_field=IntegerField())
        ),
        by_community,
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
        by_community,
        members=Count("member_id", distinct=True),
        members_on_target=Count("member_id", distinct=True, filter=Q(vm__gte=MEMBER_QUARTER_TARGET_HOURS * 60)),
    )
    projects = _grouped(
        Project.objects.filter(community_id__in=community_ids, starts_on__range=in_quarter),
        by_community,
        projects=Count("pk", distinct=True),
        projects_claimed=Count("pk", distinct=True, filter=Q(claims__isnull=False)),
    )
    hours = _grouped(
        HourEntry.objects.filter(
            community_id__in=community_ids, status=HourStatus.VERIFIED, served_on__range=in_quarter
        ),
        by_community,
        verified_minutes=Sum("minutes"),
    )
    result = {}
    for key in units.keys() | members.keys() | projects.keys() | hours.keys():
        row = dict.fromkeys(VOLUNTEER_COUNTS, 0)
        for part in (units, members, projects, hours):
            row.update({name: value or 0 for name, value in part.get(key, {}).items()})
        result[key] = row
    return result


VOLUNTEER_COUNTS = (
    "units",
    "units_year_on_target",
    "units_quarter_on_target",
    "members",
    "members_on_target",
    "projects",
    "projects_claimed",
    "verified_minutes",
)


def volunteers_row(counts: dict | None, *, as_of: datetime.date) -> dict:
    quarter = Quarter.of(as_of)
    row = {"quarter": f"{quarter.year}Q{quarter.number}", **(counts or dict.fromkeys(VOLUNTEER_COUNTS, 0))}
    row["verified_hours"] = round(row.pop("verified_minutes") / 60, 1)
    row["rate"] = truncated_rate(row["members_on_target"], row["members"])
    return row


def hour_counts(communities: QuerySet[Branch], *, as_of: datetime.date, group: Group) -> dict:
    """Verified volunteer minutes in each quarter of the as-of year up to as_of:
    ``{key: [minutes of Q1, ...]}`` (one query)."""
    quarters = _quarters_to(as_of)
    rows = _grouped(
        HourEntry.objects.filter(
            community_id__in=communities.order_by().values("pk"),
            status=HourStatus.VERIFIED,
            served_on__gte=quarters[0].start,
            served_on__lte=quarters[-1].end,
        ),
        prefixed("community__", group),
        **{f"q{q.number}": Sum("minutes", filter=Q(served_on__range=(q.start, q.end))) for q in quarters},
    )
    return {key: [row[f"q{q.number}"] or 0 for q in quarters] for key, row in rows.items()}


def hours_by_quarter_row(minutes: list[int] | None, *, as_of: datetime.date) -> list[dict]:
    quarters = _quarters_to(as_of)
    minutes = minutes or [0] * len(quarters)
    return [
        {"quarter": f"{q.year}Q{q.number}", "hours": round(m / 60, 1)} for q, m in zip(quarters, minutes, strict=True)
    ]


def _quarters_to(as_of: datetime.date) -> list[Quarter]:
    return [Quarter(as_of.year, n) for n in range(1, Quarter.of(as_of).number + 1)]


def count_subquery(queryset: QuerySet, field: str) -> Coalesce:
    """COUNT(DISTINCT field) of a correlated queryset, as a scalar subquery (0 when empty)."""
    counted = queryset.order_by().annotate(
        n=Func(F(field), function="COUNT", template="COUNT(DISTINCT %(expressions)s)", output_field=IntegerField())
    )
    return Coalesce(Subquery(counted.values("n")[:1], output_field=IntegerField()), Value(0))
