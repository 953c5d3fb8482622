"""Celery tasks of the reports app: thin wrappers around report services."""

from __future__ import annotations

import datetime

from celery import shared_task
from django.utils import timezone

from pairing.choices import RegionLevel
from pairing.models import Region

from .models import ReportRun
from .services.snapshots import snapshots_refresh


@shared_task(
    name="reports.refresh_snapshots",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=5,
)
def refresh_snapshots(city_id: int | None = None, as_of: str | None = None, run_id: int | None = None) -> list[int]:
    """Refresh the snapshots of one city (or every city) for a date (default: today, Asia/Shanghai).

    Idempotent by (region, date): a redelivered or retried task rewrites the same rows.
    """
    day = datetime.date.fromisoformat(as_of) if as_of else timezone.localdate()
    cities = Region.objects.filter(level=RegionLevel.CITY)
    if city_id is not None:
        cities = cities.filter(pk=city_id)
    run = ReportRun.objects.filter(pk=run_id).first() if run_id else None
    try:
        return [s.pk for city in cities for s in snapshots_refresh(city=city, as_of=day, run=run)]
    except Exception as exc:
        if run is not None:
            ReportRun.objects.filter(pk=run.pk).update(status=ReportRun.Status.FAILED, error=str(exc)[:2000])
        raise
