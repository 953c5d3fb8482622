"""Starting a snapshot refresh on demand."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from pairing import scope
from pairing.choices import RegionLevel
from pairing.models import Region
from twinning.queue import QueueUnavailable, enqueue_on_commit

from ..models import ReportRun

__all__ = ["QueueUnavailable", "report_run_start"]


def report_run_start(*, region: Region, as_of: datetime.date, acting_user) -> ReportRun:
    """Record a run of ``region`` (a city, or a county) and queue the refresh once the run row is committed.

    Staff refresh their own scope: a city's staff the city and its counties, a county's staff their county.
    """
    from ..tasks import refresh_snapshots

    if not scope.can_manage(acting_user):
        raise PermissionDenied(_("只有组织部工作人员可以刷新统计。"))
    if not scope.manages_region(acting_user, region):
        raise PermissionDenied(_("您没有权限执行此操作。"))
    city, county = (region, None) if region.level == RegionLevel.CITY else (region.parent, region)
    with transaction.atomic():
        run = ReportRun.objects.create(city=city, county=county, as_of=as_of, requested_by=acting_user)
        # Queued only once the run is committed: a rolled-back caller's transaction queues nothing.
        enqueue_on_commit(
            refresh_snapshots,
            city_id=city.pk,
            county_id=county.pk if county else None,
            as_of=as_of.isoformat(),
            run_id=run.pk,
            on_unavailable=lambda message: ReportRun.objects.filter(pk=run.pk).update(
                status=ReportRun.Status.FAILED, error=message
            ),
        )
    return run
