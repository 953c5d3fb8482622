"""The quarterly assessment's reads (双考核): the figures of every unit and branch of a region, the
weights a city scores them with, and the exports a user may see.

The figures come from one query over the region's pairings (each pairing's theme-day and N-list
figures, added to both of its sides and their units in Python) and a few small grouped queries for
the volunteer figures, however many rows. The summary printed on the workbook's 说明 is the
dashboard's snapshot of the date, or else ``snapshots.region_figures`` — the very function the
snapshots are built with — so the two agree.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from activities.choices import TaskProgress, ThemeDayStatus
from activities.models import KeyTaskList, KeyTaskReport, ThemeDay
from activities.selectors import month_end
from pairing import scope
from pairing.choices import RegionLevel
from pairing.models import Branch, Pairing, Region, Unit
from volunteers.choices import (
    MEMBER_QUARTER_TARGET_HOURS,
    HourStatus,
    RegistrationKind,
    RegistrationStatus,
)
from volunteers.models import Claim, HourEntry, Registration, WhistleResponse
from volunteers.selectors import Quarter

from ..models import AssessmentExport, AssessmentWeights, Snapshot
from ..periods import quarter_as_of
from ..services import figures as f
from ..services.snapshots import region_figures
from .dashboard import city_of, dashboard_regions

# --- figures keyed by branch and by unit ---------------------------------------------------------

# A row's figures, in the order of the lists ``assessment_figures`` returns.
FIGURE_KEYS = (
    "branches",
    "paired",
    "td_due",
    "td_held",
    "td_confirmed",
    "n_done",
    "n_due",
    "year_projects",
    "quarter_activities",
    "members",
    "members_on_target",
)
BRANCHES, PAIRED = FIGURE_KEYS.index("branches"), FIGURE_KEYS.index("paired")
# The figures one pairing adds to each side in the region (the order of _pairing_rows' annotations).
PAIRING_KEYS = ("td_due", "td_held", "td_confirmed", "n_done", "n_due")
PAIRING_INDEXES = tuple(FIGURE_KEYS.index(k) for k in PAIRING_KEYS)
# Blank on the branch sheet for partner branches (农村/社区): they claim no projects.
VOLUNTEER_INDEXES = frozenset(FIGURE_KEYS.index(k) for k in ("year_projects", "quarter_activities"))


@dataclass(frozen=True)
class Keys:
    """Where the grouping key lives from each volunteer model: the branch itself, or its unit."""

    reg_branch: str
    member: str

    @classmethod
    def by(cls, level: str) -> Keys:
        if level == "branch":
            return cls("registration__branch_id", "member__branch_id")
        return cls("registration__branch__unit_id", "member__branch__unit_id")


def _rows(queryset: QuerySet, key: str, **aggregates) -> dict:
    return {row.pop(key): row for row in queryset.order_by().values(key).annotate(**aggregates) if row[key] is not None}


def _region_field(region: Region) -> str:
    """The field that places a branch or a unit in the region (a city's, else a county's)."""
    return "city" if region.level == RegionLevel.CITY else "county"


def units_of(region: Region) -> QuerySet[Unit]:
    return Unit.objects.filter(**{_region_field(region): region})


def branches_of(region: Region) -> QuerySet[Branch]:
    return Branch.objects.filter(**{_region_field(region): region})


def _month_sum(whens: list[When]):
    return sum((Case(w, default=Value(0), output_field=IntegerField()) for w in whens), Value(0))


def _pairing_rows(*, region: Region, quarter: Quarter) -> QuerySet:
    """One row per pairing with either side in the region: (helper, helper's unit, partner,
    partner's unit, helper in the region, partner in the region, active on as-of, *PAIRING_KEYS).

    A pairing's figures are computed once and added to both of its sides in Python, instead of
    one grouped query per side and per level (four passes over the theme days before).
    """
    as_of = quarter_as_of(quarter)
    field = _region_field(region)
    helper_in, partner_in = Q(**{f"helper__{field}": region}), Q(**{f"partner__{field}": region})
    active_now = f.pairing_active_on(as_of)

    months = [datetime.date(quarter.year, m, 1) for m in range(quarter.start.month, quarter.end.month + 1)]
    due, held, confirmed = [], [], []
    for month in (m for m in months if m <= as_of):
        active = f.active_in_month(month, as_of=as_of)
        in_month = ThemeDay.objects.filter(
            pairing=OuterRef("pk"), held_on__gte=month, held_on__lte=min(month_end(month), as_of)
        )
        due.append(When(active, then=Value(1)))
        held.append(When(active & Q(Exists(in_month.exclude(status=ThemeDayStatus.RETURNED))), then=Value(1)))
        confirmed.append(When(active & Q(Exists(in_month.filter(status=ThemeDayStatus.CONFIRMED))), then=Value(1)))

    city = city_of(region)
    lists = list(
        KeyTaskList.objects.filter(year=as_of.year, half=f.half_of(as_of), region__path__startswith=city.path)
        .select_related("region")
        .annotate(due_items=Count("tasks", filter=Q(tasks__due_on__lte=as_of)))
    )
    n_due = sum(
        (
            Case(
                When(active_now & scope.region_pairing_q(tl.region), then=Value(tl.due_items)),
                default=Value(0),
                output_field=IntegerField(),
            )
            for tl in lists
        ),
        Value(0),
    )
    done = KeyTaskReport.objects.filter(
        pairing=OuterRef("pk"),
        status=TaskProgress.DONE,
        task__task_list__in=[tl.pk for tl in lists],
        task__due_on__lte=as_of,
    )
    n_done = (
        Case(When(active_now, then=f.count_subquery(done, "pk")), default=Value(0), output_field=IntegerField())
        if lists
        else Value(0)
    )
    flag = {"default": Value(False), "output_field": BooleanField()}
    return (
        Pairing.objects.filter(helper_in | partner_in)
        .annotate(
            helper_inside=Case(When(helper_in, then=Value(True)), **flag),
            partner_inside=Case(When(partner_in, then=Value(True)), **flag),
            active_now=Case(When(active_now, then=Value(True)), **flag),
            td_due=_month_sum(due),
            td_held=_month_sum(held),
            td_confirmed=_month_sum(confirmed),
            n_done_one=n_done,
            n_due_one=n_due,
        )
        .order_by()
        .values_list(
            "helper_id",
            "helper__unit_id",
            "partner_id",
            "partner__unit_id",
            "helper_inside",
            "partner_inside",
            "active_now",
            "td_due",
            "td_held",
            "td_confirmed",
            "n_done_one",
            "n_due_one",
        )
    )


def _volunteer_rows(*, ids: QuerySet, quarter: Quarter, level: str) -> list[dict]:
    """Claims, whistles and members keyed by branch or unit (distinct per key, so not summed
    from branches to units). Volunteer data is small: a few grouped queries per level."""
    keys = Keys.by(level)
    in_quarter = (quarter.start, quarter.end)
    claims = Claim.objects.filter(registration__branch__in=ids)
    minutes = (
        HourEntry.objects.filter(
            member_id=OuterRef("member_id"), status=HourStatus.VERIFIED, served_on__range=in_quarter
        )
        .order_by()
        .values("member_id")
    )
    member_regs = Registration.objects.filter(
        kind=RegistrationKind.MEMBER, status=RegistrationStatus.ACCEPTED, member__branch__in=ids
    ).annotate(vm=Coalesce(Subquery(minutes.annotate(t=Sum("minutes")).values("t")[:1]), Value(0)))
    return [
        _rows(
            claims.filter(project__starts_on__year=quarter.year),
            keys.reg_branch,
            year_projects=Count("project_id", distinct=True),
        ),
        _rows(
            claims.filter(project__starts_on__range=in_quarter),
            keys.reg_branch,
            quarter_activities=Count("project_id", distinct=True),
        ),
        _rows(
            WhistleResponse.objects.filter(registration__branch__in=ids, whistle__happens_on__range=in_quarter),
            keys.reg_branch,
            quarter_activities=Count("whistle_id", distinct=True),
        ),
        _rows(
            member_regs,
            keys.member,
            members=Count("member_id", distinct=True),
            members_on_target=Count("member_id", distinct=True, filter=Q(vm__gte=MEMBER_QUARTER_TARGET_HOURS * 60)),
        ),
    ]


def assessment_figures(*, region: Region, quarter: Quarter) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    """({branch id: figures}, {unit id: figures}) of the region for the quarter, each a list in
    FIGURE_KEYS order. A branch missing from the first has ``branch_default()``; a unit missing
    from the second has zeros.

    - branches / paired: the branches, those with a pairing active on the as-of date (either side);
    - td_due / td_held / td_confirmed: pairing-months of the quarter (up to as-of) in which the
      pairing counted (active on a day of the month), had a theme day recorded (not returned),
      had one confirmed — summed over the pairings where the branch is either side;
    - n_done / n_due: the N list items of the half year due by as-of × the pairings active on
      as-of in each list's region, and the items those pairings reported done;
    - year_projects / quarter_activities: distinct projects claimed that start in the year; projects
      claimed that start in the quarter plus whistles answered in the quarter (the unit targets);
    - members / members_on_target: in-service members of the branch (workplace) registered at a
      community, and those with ≥10 verified hours in the quarter.

    A unit's figures are its branches' summed, except the volunteer ones, which count distinct
    projects, whistles and members per unit. Only the branches with a pairing or volunteer
    figure are held in memory, each as a list of ints (the branch sheet streams the rest).
    """
    branches = branches_of(region)
    by_branch: dict[int, list[int]] = {}
    by_unit: dict[int, list[int]] = {}

    for row in branches.filter(unit__isnull=False).order_by().values("unit_id").annotate(n=Count("pk")):
        by_unit.setdefault(row["unit_id"], unit_default())[BRANCHES] = row["n"]

    rows = _pairing_rows(region=region, quarter=quarter)
    for helper, helper_unit, partner, partner_unit, helper_in, partner_in, active, *figures in rows.iterator(
        chunk_size=5000
    ):
        for branch_id, unit_id, inside in ((helper, helper_unit, helper_in), (partner, partner_unit, partner_in)):
            if not inside:
                continue
            targets = [by_branch.get(branch_id) or by_branch.setdefault(branch_id, branch_default())]
            if unit_id is not None:
                targets.append(by_unit.get(unit_id) or by_unit.setdefault(unit_id, unit_default()))
            if active and not targets[0][PAIRED]:
                for target in targets:
                    target[PAIRED] += 1
            for target in targets:
                for index, value in zip(PAIRING_INDEXES, figures, strict=True):
                    target[index] += value

    _add_volunteer_figures(branches, quarter=quarter, by_branch=by_branch, by_unit=by_unit)
    return by_branch, by_unit


def _add_volunteer_figures(branches: QuerySet, *, quarter: Quarter, by_branch: dict, by_unit: dict) -> None:
    """Add the volunteer figures of each branch and each unit (counted per key, not summed)."""
    with_unit = branches.filter(unit__isnull=False).order_by().values("pk")
    for ids, level, result, default in (
        (branches.order_by().values("pk"), "branch", by_branch, branch_default),
        (with_unit, "unit", by_unit, unit_default),
    ):
        for grouped in _volunteer_rows(ids=ids, quarter=quarter, level=level):
            for key, values in grouped.items():
                target = result.get(key) or result.setdefault(key, default())
                for name, value in values.items():
                    target[FIGURE_KEYS.index(name)] += value or 0


def unit_default() -> list[int]:
    return [0] * len(FIGURE_KEYS)


def branch_default() -> list[int]:
    """The figures of a branch with no pairing and no volunteer figure: one branch, nothing else."""
    row = [0] * len(FIGURE_KEYS)
    row[BRANCHES] = 1
    return row


def dashboard_summary(*, region: Region, as_of: datetime.date) -> dict:
    """The region's headline figures as of the date: the dashboard's own snapshot of that date
    when there is one (the quarter-end and nightly refreshes write them), else computed with the
    function the snapshots are built with."""
    snapshot = Snapshot.objects.filter(region=region, as_of=as_of).values_list("figures", flat=True).first()
    if snapshot is not None:
        return snapshot
    own, _children = region_figures(region=region, as_of=as_of)
    return own


def weights_get(*, city: Region) -> AssessmentWeights:
    """The city's saved weights, or unsaved defaults where staff set none."""
    return AssessmentWeights.objects.filter(city=city).first() or AssessmentWeights(city=city)


def weights_for(city: Region) -> dict[str, int]:
    return weights_get(city=city).as_dict()


def assessment_regions(*, user) -> QuerySet[Region]:
    """The regions the user may export a workbook of: staff's dashboard regions (none for others)."""
    if not scope.can_manage(user):
        return Region.objects.none()
    return dashboard_regions(user=user)


def assessment_exports(*, user) -> QuerySet[AssessmentExport]:
    """Exports of regions inside the user's region, for staff only (others see none)."""
    if not scope.can_manage(user):
        return AssessmentExport.objects.none()
    return AssessmentExport.objects.filter(scope.region_q(user, prefix="region__")).select_related(
        "region", "requested_by"
    )
