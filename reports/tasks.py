"""Celery tasks of the reports app: thin wrappers around report services."""

from __future__ import annotations

import datetime

from celery import shared_task
from django.utils import timezone

from pairing.choices import RegionLevel
from pairing.models import Region

from .models import ReportRun
from .periods import period_end
from .services.assessment_exports import assessment_export_build
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
def refresh_snapshots(
    city_id: int | None = None,
    as_of: str | None = None,
    run_id: int | None = None,
    period: str | None = None,
    delay_seconds: float = 0,
    county_id: int | None = None,
) -> list[int]:
    """Refresh the snapshots of one city (or every city, or only ``county_id`` of the city) for a date
    (default: today, Asia/Shanghai).

    ``period="month"`` / ``"quarter"``: as of the last day of the previous month / quarter (the
    beat entries of the 1st). Idempotent by (region, date): a redelivered or retried task
    rewrites the same rows. ``delay_seconds`` slows each step of the computation down; only the
    worker-kill test uses it.
    """
    day = period_end(period, today=timezone.localdate()) if period else None
    day = day or (datetime.date.fromisoformat(as_of) if as_of else timezone.localdate())
    cities = Region.objects.filter(level=RegionLevel.CITY)
    if city_id is not None:
        cities = cities.filter(pk=city_id)
    county = Region.objects.get(pk=county_id, parent_id=city_id) if county_id is not None else None
    run = ReportRun.objects.filter(pk=run_id).first() if run_id else None
    try:
        return [
            s.pk
            for city in cities
            for s in snapshots_refresh(city=city, county=county, as_of=day, run=run, delay=delay_seconds)
        ]
    except Exception as exc:
        if run is not None:
            ReportRun.objects.filter(pk=run.pk).update(status=ReportRun.Status.FAILED, error=str(exc)[:2000])
        raise


@shared_task(
    name="reports.build_assessment",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OSError,),
    retry_backoff=30,
    max_retries=3,
)
def build_assessment(export_id: int) -> int:
    """Build one quarterly assessment workbook; the service re-applies the requester's scope."""
    return assessment_export_build(export_id=export_id).pk
