"""Building and reading dated snapshots of the figures for a city and its counties."""

from __future__ import annotations

import datetime
import time

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from pairing.choices import BranchKind, RegionLevel, UnitLevel
from pairing.models import Branch, OptimisationCampaign, Pairing, Region

from ..models import ReportRun, Snapshot
from . import figures as f

LEVEL_LABELS = {UnitLevel.CITY: "市直", UnitLevel.COUNTY: "县区"}
NO_TOWNSHIP = gettext_noop("县直单位")  # stored in snapshots; the dashboard translates it
# A metric with no row at all (no pairings, no lists) for the region as a whole.
EMPTY = {
    "theme_days": {"confirmed": 0, "active": 0, "rate": None, "by_month": []},
    "n_tasks": {"done": 0, "due": 0, "rate": None, "lists": {}},
}


def _city_of(region: Region) -> Region:
    return region if region.level == RegionLevel.CITY else Region.objects.get(pk=region.parent_id)


def _metrics(branches, *, campaign, as_of, group, pairings, task_lists):
    """Each metric's grouped figures: {metric: {group: row}}.

    Pairings belong to their partner's region; volunteer figures to the community's.
    """
    pairing_group = f"partner__{group}" if group else None
    return {
        "optimisation": f.optimisation(branches, campaign=campaign, as_of=as_of, group=group),
        "coverage": f.coverage(branches, as_of=as_of, group=group),
        "theme_days": f.theme_days(pairings, as_of=as_of, group=pairing_group),
        "n_tasks": f.n_tasks(pairings, task_lists=task_lists, as_of=as_of, group=pairing_group),
        "volunteers": f.volunteers(branches.filter(kind=BranchKind.COMMUNITY), as_of=as_of, group=group),
    }


def region_figures(*, region: Region, as_of: datetime.date) -> tuple[dict, dict]:
    """The region's own figures and each child region's, computed with grouped aggregates."""
    city = _city_of(region)
    campaign = OptimisationCampaign.objects.filter(city=city, is_current=True).first()
    if region.level == RegionLevel.CITY:
        branches, child_group = Branch.objects.filter(city=region), "county__name"
        pairings = Pairing.objects.filter(partner__city=region)
    else:
        branches, child_group = Branch.objects.filter(county=region), "township__name"
        pairings = Pairing.objects.filter(partner__county=region)
    context = {
        "campaign": campaign,
        "as_of": as_of,
        "pairings": pairings,
        "task_lists": list(f.task_lists_for(region, as_of=as_of)),
    }

    own = {
        name: rows.get(f.WHOLE) or EMPTY.get(name, {})
        for name, rows in _metrics(branches, group=None, **context).items()
    }
    own["hours_by_quarter"] = f.quarterly_hours(branches.filter(kind=BranchKind.COMMUNITY), as_of=as_of)
    if region.level == RegionLevel.CITY:
        by_level = f.optimisation(branches, campaign=campaign, as_of=as_of, group="level")
        own["optimisation_by_level"] = {
            label: by_level.get(level, {"optimised": 0, "total": 0, "rate": None})
            for level, label in LEVEL_LABELS.items()
        }

    children: dict[str, dict] = {}
    for metric, rows in _metrics(branches, group=child_group, **context).items():
        for name, row in rows.items():
            if not name and region.level == RegionLevel.CITY:
                continue  # 市直 branches belong to no county
            children.setdefault(name or NO_TOWNSHIP, {})[metric] = row
    own["campaign"] = campaign.name if campaign else None
    return own, children


def snapshots_refresh(
    *, city: Region, as_of: datetime.date, run: ReportRun | None = None, delay: float = 0
) -> list[Snapshot]:
    """Recompute the city's and every county's snapshot for ``as_of``.

    The figures are computed first and written in one transaction, so a worker killed
    half way leaves the previous snapshots untouched; a re-run for the same date
    replaces them (idempotent by period).
    """
    regions = [city, *Region.objects.filter(parent=city, level=RegionLevel.COUNTY).order_by("path")]
    if run is not None:
        run.status, run.total, run.progress = ReportRun.Status.RUNNING, len(regions) + 1, 0
        run.save(update_fields=["status", "total", "progress"])
    computed = []
    for region in regions:
        computed.append((region, *region_figures(region=region, as_of=as_of)))
        if delay:
            time.sleep(delay)  # the worker-kill test needs a task slow enough to kill
        if run is not None:
            run.progress += 1
            run.save(update_fields=["progress"])
    with transaction.atomic():
        snapshots = [
            Snapshot.objects.update_or_create(
                region=region, as_of=as_of, defaults={"figures": own, "children": children}
            )[0]
            for region, own, children in computed
        ]
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
