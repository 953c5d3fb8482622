"""The dashboard's reads: the regions it shows, its snapshot and bands, and the report runs."""

from __future__ import annotations

from django.db import connection
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from pairing import scope
from pairing.choices import RegionLevel
from pairing.models import Region

from ..models import Metric, ReportRun, Snapshot, Threshold


def dashboard_regions(*, user) -> QuerySet[Region]:
    """The regions a dashboard (and an assessment export) may be of: a city or county inside the
    user's region."""
    return Region.objects.filter(scope.region_q(user), level__in=[RegionLevel.CITY, RegionLevel.COUNTY])


def dashboard_region(*, user, region_id: int | None = None) -> Region:
    """The region a dashboard shows: the user's own, or a city/county inside it (404 outside)."""
    # The dashboard shows a county's city (bands, the way up).
    regions = dashboard_regions(user=user).select_related("parent")
    if region_id is None:
        if user.region_id:
            return user.region
        return get_object_or_404(regions.filter(level=RegionLevel.CITY).order_by("path")[:1])
    return get_object_or_404(regions, pk=region_id)


def figures_stamp(*, region: Region) -> tuple:
    """What a dashboard's figures move with, in one cheap query (index lookups only): the latest
    snapshot of the region (id and computing time; None without a snapshot; a re-run for the same
    date keeps the id and moves the time) and the city's bands (every save moves ``updated_at``)."""
    snapshots, bands = Snapshot._meta.db_table, Threshold._meta.db_table
    latest = f"FROM {snapshots} WHERE region_id = %s ORDER BY as_of DESC LIMIT 1"
    city_id = region.pk if region.level == RegionLevel.CITY else region.parent_id
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT id {latest}), (SELECT computed_at {latest}),"
            f" (SELECT MAX(updated_at) FROM {bands} WHERE city_id = %s), (SELECT COUNT(*) FROM {bands} WHERE city_id = %s)",
            [region.pk, region.pk, city_id, city_id],
        )
        return tuple(cursor.fetchone())


def snapshot_get(*, pk: int) -> Snapshot:
    """A snapshot found by ``figures_stamp`` (of a region ``dashboard_region`` gave)."""
    return Snapshot.objects.get(pk=pk)


def child_regions(*, region: Region) -> dict[str, Region]:
    return {r.name: r for r in Region.objects.filter(parent=region).order_by("path")}


def city_of(region: Region) -> Region:
    """A city itself, or a county's city."""
    return region if region.level == RegionLevel.CITY else region.parent


def thresholds(*, city: Region) -> dict[str, Threshold]:
    """Every metric's bands; unsaved defaults (95 % / 80 %) where staff set none."""
    saved = {t.metric: t for t in Threshold.objects.filter(city=city)}
    return {m: saved.get(m) or Threshold(city=city, metric=m) for m in Metric.values}


def report_runs(*, user) -> QuerySet[ReportRun]:
    """Runs of a region inside the user's (a city's run covers the city; a county's, the county), and the
    runs the user started."""
    whole_city = Q(county__isnull=True) & scope.region_q(user, prefix="city__")
    return ReportRun.objects.filter(
        whole_city | scope.region_q(user, prefix="county__") | Q(requested_by_id=user.pk)
    ).select_related("city", "county", "requested_by")
