"""Starting a snapshot refresh on demand."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerUnavailable

from pairing import scope
from pairing.choices import RegionLevel
from pairing.models import Region

from ..models import ReportRun


class QueueUnavailable(Exception):
    """The task queue (Redis) could not take the job."""


def report_run_start(*, region: Region, as_of: datetime.date, acting_user) -> ReportRun:
    """Record a run of ``region`` (a city, or a county) and queue the refresh once the run row is committed.

    Staff refresh their own scope: a city's staff the city and its counties, a county's staff their county.
    """
    from ..tasks import refresh_snapshots

    if not scope.can_manage(acting_user):
        raise PermissionDenied(_("只有组织部工作人员可以刷新统计。"))
    if not Region.objects.filter(scope.region_q(acting_user), pk=region.pk).exists():
        raise PermissionDenied(_("您没有权限执行此操作。"))
    city, county = (region, None) if region.level == RegionLevel.CITY else (region.parent, region)

    def enqueue():
        try:
            # ignore_result: the page follows the run row; subscribing to a result would wait ~20 s on a dead Redis.
            refresh_snapshots.apply_async(
                kwargs={
                    "city_id": city.pk,
                    "county_id": county.pk if county else None,
                    "as_of": as_of.isoformat(),
                    "run_id": run.pk,
                },
                ignore_result=True,
            )
        except BrokerUnavailable as exc:  # say so instead of failing the page
            ReportRun.objects.filter(pk=run.pk).update(status=ReportRun.Status.FAILED, error=str(exc)[:2000])
            raise QueueUnavailable(_("任务队列暂时不可用，请稍后再试。")) from exc

    with transaction.atomic():
        run = ReportRun.objects.create(city=city, county=county, as_of=as_of, requested_by=acting_user)
        # Queued only once the run is committed: a rolled-back caller's transaction queues nothing.
        transaction.on_commit(enqueue)
    return run
