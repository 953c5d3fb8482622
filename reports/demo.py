"""Demo data of the reports app: today's snapshots, so the dashboard has figures right after seeding.

Idempotent: a snapshot is unique by (region, date) and a re-run rewrites the same rows.
"""

from __future__ import annotations

from django.utils import timezone

from pairing.choices import RegionLevel
from pairing.models import Region

from .services.snapshots import snapshots_refresh


def seed(*, seed: int, branches: int, stdout) -> None:
    if branches == 0:
        return
    today = timezone.localdate()
    count = 0
    for city in Region.objects.filter(level=RegionLevel.CITY, parent=None).order_by("path"):
        count += len(snapshots_refresh(city=city, as_of=today))
    stdout.write(f"  snapshots as of {today}: {count}")
