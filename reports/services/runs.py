"""Starting a snapshot refresh on demand."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerUnavailable

from pairing import scope
from pairing.models import Region

from ..models import ReportRun


class QueueUnavailable(Exception):
    """The task queue (Redis) could not take the job."""


def report_run_start(*, city: Region, as_of: datetime.date, acting_user) -> ReportRun:
    """Record a run and queue the refresh once the run row is committed."""
    from ..tasks import refresh_snapshots

    if not scope.can_manage(acting_user):
        raise PermissionDenied(_("只有组织部工作人员可以刷新统计。"))

    def enqueue():
        try:
            # ignore_result: the page follows the run row; subscribing to a result would wait ~20 s on a dead Redis.
            refresh_snapshots.apply_async(
                kwargs={"city_id": city.pk, "as_of": as_of.isoformat(), "run_id": run.pk}, ignore_result=True
            )
        except BrokerUnavailable as exc:  # say so instead of failing the page
            ReportRun.objects.filter(pk=run.pk).update(status=ReportRun.Status.FAILED, error=str(exc)[:2000])
            raise QueueUnavailable(_("任务队列暂时不可用，请稍后再试。")) from exc

    with transaction.atomic():
        run = ReportRun.objects.create(city=city, as_of=as_of, requested_by=acting_user)
        # Queued only once the run is committed: a rolled-back caller's transaction queues nothing.
        transaction.on_commit(enqueue)
    return run
