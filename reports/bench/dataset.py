"""The bench dataset: seed_demo's own generators, scaled.

Each app's ``demo.seed`` already bulk-creates (with history rows) and is idempotent, so the bench
reuses them instead of a second generator that could drift from the real shapes. Three knobs are
turned for scale: the number of theme-day months, N-list reports in every county (seed_demo fills
the demo county only) and the number of volunteer communities (in proportion to the branches).
"""

from __future__ import annotations

import importlib
import random
from unittest import mock

from django.db import transaction

from pairing.choices import RegionLevel
from pairing.models import Branch, Region

APPS = ("pairing", "accounts", "activities", "volunteers")
DEMO_BRANCHES = 3000  # seed_demo's default, the size its volunteer constants were chosen for


def dataset_build(*, branches: int, months: int, seed: int, stdout) -> None:
    """Build (or top up) the dataset; returns when every app's stage has run."""
    import activities.demo as activities_demo
    import volunteers.demo as volunteers_demo

    month_starts = activities_demo._month_starts
    communities = max(
        volunteers_demo.OTHER_COMMUNITIES, round(volunteers_demo.OTHER_COMMUNITIES * branches / DEMO_BRANCHES)
    )
    patches = [
        mock.patch.object(activities_demo, "_month_starts", lambda today, count=months: month_starts(today, count)),
        mock.patch.object(volunteers_demo, "OTHER_COMMUNITIES", communities),
    ]
    for patch in patches:
        patch.start()
    try:
        for app in APPS:
            stdout.write(f"  dataset: {app}")
            importlib.import_module(f"{app}.demo").seed(seed=seed, branches=branches, stdout=stdout)
        _key_tasks_everywhere(seed=seed, stdout=stdout)
        importlib.import_module("reports.demo").seed(seed=seed, branches=branches, stdout=stdout)
    finally:
        for patch in patches:
            patch.stop()


def _key_tasks_everywhere(*, seed: int, stdout) -> None:
    """seed_demo writes the N list of its demo county only; the bench gives every county one."""
    import activities.demo as activities_demo

    total = 0
    for county in Region.objects.filter(level=RegionLevel.COUNTY).order_by("path"):
        with mock.patch.object(activities_demo, "DEMO_COUNTY", county.name), transaction.atomic():
            total += activities_demo.seed_key_tasks(seed, _today())
    stdout.write(f"  N-task reports in every county: {total} new")


def _today():
    from django.utils import timezone

    return timezone.localdate()


def dataset_ready(*, branches: int) -> bool:
    return Branch.objects.count() >= branches


def rng_for(seed: int, stage: str) -> random.Random:
    return random.Random(f"{seed}:bench:{stage}")
