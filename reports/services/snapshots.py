"""Building and reading dated snapshots of the figures for a city and its counties."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from activities.models import KeyTaskList
from pairing.choices import UNIT_LEVEL_NAMES, BranchKind, RegionLevel
from pairing.models import Branch, OptimisationCampaign, Region

from ..models import ReportRun, Snapshot
from ..selectors.dashboard import city_of
from . import figures as f

NO_TOWNSHIP = gettext_noop("县直单位")  # stored in snapshots; the dashboard translates it
# A metric with no row at all (no N list) for the region as a whole.
EMPTY = {"n_tasks": {"done": 0, "due": 0, "rate": None, "lists": {}}}
# The finest grouping any snapshot shows: a city's counties, a county's townships.
CELL = ("county_id", "township_id")
# The computation's steps, reported as progress (the write is one more).
STEPS = 4


@dataclass
class AreaCounts:
    """The counts of a city (or of one county) by cell: (county id, township id).

    Additive counts are kept per cell and summed into whatever a snapshot shows. Volunteer
    counts are distinct within a group, so they are kept per grouping: ``volunteers[0]`` for
    the area, ``[1]`` by county, ``[2]`` by cell.
    """

    as_of: datetime.date
    campaign: OptimisationCampaign | None
    task_lists: list[KeyTaskList]
    branches: dict  # (county, township, level) -> f.branch_counts
    theme_days: dict  # cell -> f.theme_day_counts
    n_tasks: dict  # cell -> f.n_task_counts
    volunteers: list[dict]  # by grouping, see above -> f.volunteer_counts
    hours: dict  # (county,) -> f.hour_counts
    names: dict[int, str]  # the counties and townships met


def area_counts(
    *, city: Region, as_of: datetime.date, county: Region | None = None, step: Callable[[], None] = lambda: None
) -> AreaCounts:
    """Run every grouped query of the city (or of ``county`` only) once, calling ``step`` after
    each of the ``STEPS`` parts (progress)."""
    campaign = OptimisationCampaign.objects.filter(city=city, is_current=True).first()
    if county is None:
        branches, pairings = Branch.objects.filter(city=city), {"partner__city": city}
    else:
        branches, pairings = Branch.objects.filter(county=county), {"partner__county": county}
    task_lists = list(f.task_lists_for(county or city, as_of=as_of))
    by_partner = f.prefixed("partner__", CELL)

    branch_rows = f.branch_counts(branches, campaign=campaign, as_of=as_of, group=(*CELL, "level"))
    step()
    theme_days = f.theme_day_counts(area=pairings, as_of=as_of, group=by_partner)
    step()
    n_tasks = f.n_task_counts(area=pairings, task_lists=task_lists, as_of=as_of, group=by_partner)
    step()
    communities = branches.filter(kind=BranchKind.COMMUNITY)
    volunteers = [f.volunteer_counts(communities, as_of=as_of, group=group) for group in (None, CELL[:1], CELL)]
    hours = f.hour_counts(communities, as_of=as_of, group=CELL[:1])
    step()
    ids = {i for cells in (branch_rows, theme_days, n_tasks, *volunteers[1:]) for cell in cells for i in cell[:2]}
    names = dict(Region.objects.filter(pk__in=ids - {None}).values_list("pk", "name")) if ids - {None} else {}
    return AreaCounts(as_of, campaign, task_lists, branch_rows, theme_days, n_tasks, volunteers, hours, names)


def _summed(cells: dict, key: Callable) -> dict:
    """Counts by cell summed by ``key(cell)``; cells whose key is None are left out."""
    result: dict = {}
    for cell, counts in cells.items():
        if (k := key(cell)) is not None:
            result[k] = f.add(result[k], counts) if k in result else counts
    return result


def _figures(counts: AreaCounts, *, key: Callable, task_lists: list[KeyTaskList], whole: bool = False) -> dict:
    """{key: {metric: figures}}: the cells summed by ``key(cell)``, each metric where it has rows."""
    as_of, result = counts.as_of, {}
    for k, row in _summed(counts.branches, lambda cell: key(cell[:2])).items():
        result.setdefault(k, {})["optimisation"] = f.optimisation_row(row)
        if f.has_coverage(row):
            result[k]["coverage"] = f.coverage_row(row)
    for k, row in _summed(counts.theme_days, key).items():
        result.setdefault(k, {})["theme_days"] = f.theme_days_row(row, as_of=as_of)
    for k, row in _summed(counts.n_tasks, key).items():
        if n_tasks := f.n_tasks_row(row, task_lists=task_lists, whole=whole):
            result.setdefault(k, {})["n_tasks"] = n_tasks
    return result


def region_snapshot(counts: AreaCounts, region: Region) -> tuple[dict, dict]:
    """The region's own figures and each child region's (a city's counties, a county's townships),
    summed from the counts of its area."""
    as_of = counts.as_of
    if region.level == RegionLevel.CITY:
        task_lists = counts.task_lists
        mine = lambda county_id: True  # noqa: E731
        child = lambda cell: counts.names[cell[0]] if cell[0] else None  # noqa: E731  (市直: in no county)
        own_volunteers, child_volunteers = counts.volunteers[0].get(f.WHOLE), counts.volunteers[1]
    else:
        task_lists = f.lists_of(region, counts.task_lists)
        mine = lambda county_id: county_id == region.pk  # noqa: E731
        child = lambda cell: counts.names.get(cell[1]) or NO_TOWNSHIP  # noqa: E731
        own_volunteers, child_volunteers = counts.volunteers[1].get((region.pk,)), counts.volunteers[2]

    found = _figures(
        counts, key=lambda cell: f.WHOLE if mine(cell[0]) else None, task_lists=task_lists, whole=True
    ).get(f.WHOLE, {})
    hours = _summed(counts.hours, lambda group: f.WHOLE if mine(group[0]) else None).get(f.WHOLE)
    own = {
        "optimisation": found.get("optimisation") or f.optimisation_row(None),
        "coverage": found.get("coverage") or f.coverage_row(None),
        "theme_days": found.get("theme_days") or f.theme_days_row(None, as_of=as_of),
        "n_tasks": found.get("n_tasks") or f.n_tasks_row({}, task_lists=task_lists, whole=True) or EMPTY["n_tasks"],
        "volunteers": f.volunteers_row(own_volunteers, as_of=as_of),
        "hours_by_quarter": f.hours_by_quarter_row(hours, as_of=as_of),
    }
    if region.level == RegionLevel.CITY:
        by_level = _summed(counts.branches, lambda cell: cell[2])
        own["optimisation_by_level"] = {
            label: f.optimisation_row(by_level.get(level)) for level, label in UNIT_LEVEL_NAMES.items()
        }
    own["campaign"] = counts.campaign.name if counts.campaign else None

    children = _figures(counts, key=lambda cell: child(cell) if mine(cell[0]) else None, task_lists=task_lists)
    for group, row in child_volunteers.items():
        if mine(group[0]) and (name := child((*group, None))) is not None:
            children.setdefault(name, {})["volunteers"] = f.volunteers_row(row, as_of=as_of)
    return own, children


def region_figures(*, region: Region, as_of: datetime.date) -> tuple[dict, dict]:
    """The region's own figures and each child region's, computed with grouped aggregates."""
    city = city_of(region)
    counts = area_counts(city=city, as_of=as_of, county=None if region.level == RegionLevel.CITY else region)
    return region_snapshot(counts, region)


def snapshots_refresh(
    *, city: Region, as_of: datetime.date, county: Region | None = None, run: ReportRun | None = None, delay: float = 0
) -> list[Snapshot]:
    """Recompute the city's and every county's snapshot for ``as_of`` (only ``county``'s when given).

    The figures of the whole city are computed once, by cell, then summed for each snapshot,
    and written in one transaction, so a worker killed half way leaves the previous snapshots
    untouched; a re-run for the same date replaces them (idempotent by period).
    """
    if county is None:
        regions = [city, *Region.objects.filter(parent=city, level=RegionLevel.COUNTY).order_by("path")]
    else:
        regions = [county]
    if run is not None:
        run.status, run.total, run.progress = ReportRun.Status.RUNNING, STEPS + 1, 0
        run.save(update_fields=["status", "total", "progress"])

    def step():
        if delay:
            time.sleep(delay)  # the worker-kill test needs a task slow enough to kill
        if run is not None:
            run.progress += 1
            run.save(update_fields=["progress"])

    counts = area_counts(city=city, as_of=as_of, county=county, step=step)
    snapshots = [
        Snapshot(region=region, as_of=as_of, figures=own, children=children)
        for region in regions
        for own, children in [region_snapshot(counts, region)]
    ]
    with transaction.atomic():
        Snapshot.objects.bulk_create(
            snapshots,
            update_conflicts=True,
            unique_fields=["region", "as_of"],
            update_fields=["figures", "children", "computed_at"],
        )
        if run is not None:
            run.status, run.progress, run.finished_at = ReportRun.Status.DONE, run.total, timezone.now()
            run.save(update_fields=["status", "progress", "finished_at"])
    return snapshots


def headline_json(*, city: Region, as_of: datetime.date) -> dict:
    """The ``build_reports --json`` shape, read from the stored snapshots of the city."""
    snapshot = Snapshot.objects.get(region=city, as_of=as_of)
    own, children = snapshot.figures, snapshot.children
    counties = sorted(children)
    return {
        "as_of": as_of.isoformat(),
        "optimisation": {
            **own["optimisation_by_level"],
            "total": own["optimisation"],
            "by_county": {name: children[name].get("optimisation") for name in counties},
        },
        "coverage": {
            "city": own["coverage"],
            "by_county": {name: children[name].get("coverage") for name in counties},
        },
        "theme_days": {
            "city": own.get("theme_days"),
            "by_county": {name: children[name].get("theme_days") for name in counties},
        },
        "n_tasks": {
            "city": own.get("n_tasks"),
            "by_county": {name: children[name].get("n_tasks") for name in counties},
        },
        "volunteers": {
            "city": own.get("volunteers"),
            "by_quarter": own.get("hours_by_quarter"),
            "by_county": {name: children[name].get("volunteers") for name in counties},
        },
    }
