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

from django.db import connection, transaction

from pairing.choices import RegionLevel
from pairing.models import Branch, Region

APPS = ("pairing", "accounts", "activities", "volunteers")
DEMO_BRANCHES = 3000  # seed_demo's default, the size its volunteer constants were chosen for
# seed_demo makes one partner branch per village/community of its region tree (about 1,300), so
# at province scale the bench adds villages until about this share of branches can be partners.
PARTNER_SHARE = 0.25


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
        _villages_for(branches=branches, seed=seed, stdout=stdout)
        for app in APPS:
            stdout.write(f"  dataset: {app}")
            if app == "pairing":
                _pairing_stages(seed=seed, branches=branches, stdout=stdout)
            else:
                importlib.import_module(f"{app}.demo").seed(seed=seed, branches=branches, stdout=stdout)
            _analyze()
        _key_tasks_everywhere(seed=seed, stdout=stdout)
        importlib.import_module("reports.demo").seed(seed=seed, branches=branches, stdout=stdout)
    finally:
        for patch in patches:
            patch.stop()


@transaction.atomic
def _pairing_stages(*, seed: int, branches: int, stdout) -> None:
    """pairing.demo.seed's stages in its order and with its generators, with ANALYZE before the
    draws: the branches were inserted in this very transaction, so PostgreSQL has no statistics
    for them yet and would plan the draw's queries as if the tables were empty (minutes, not ms)."""
    from pairing import demo
    from pairing.models import Pairing

    city = demo.seed_regions(random.Random(f"{seed}:regions"))
    demo.seed_units(city)
    created = demo.seed_branches(random.Random(f"{seed}:branches"), city, branches)
    demo.seed_grades_and_optimisation(random.Random(f"{seed}:grades"), city)
    stdout.write(f"  branches: {Branch.objects.count()} ({created} new)")
    _analyze()
    demo.seed_pairings(random.Random(f"{seed}:pairings"), city)
    stdout.write(f"  pairings: {Pairing.objects.filter(status='active').count()} active")


def _analyze() -> None:
    """Fresh planner statistics after a bulk load (PostgreSQL; a no-op elsewhere)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


@transaction.atomic
def _villages_for(*, branches: int, seed: int, stdout) -> None:
    """Add numbered villages under the rural townships so that the demo plan, which gives each
    village one branch, has about ``PARTNER_SHARE`` partner branches. Idempotent by name."""
    from pairing.demo import seed_regions

    if Branch.objects.exists():
        return  # the plan has run; more villages now would change nothing but the tree
    seed_regions(random.Random(f"{seed}:regions"))  # what seed_demo's first stage makes
    have = Region.objects.filter(level__in=[RegionLevel.VILLAGE, RegionLevel.COMMUNITY]).count()
    townships = list(Region.objects.filter(level=RegionLevel.TOWNSHIP).exclude(name__endswith="街道").order_by("path"))
    missing = int(branches * PARTNER_SHARE) - have
    if missing <= 0 or not townships:
        return
    per_township = -(-missing // len(townships))
    new = [
        Region(name=f"第{k}行政村", level=RegionLevel.VILLAGE, parent=township)
        for township in townships
        for k in range(1, per_township + 1)
    ]
    Region.objects.bulk_create(new, batch_size=5000)
    parents = {t.pk: t.path for t in townships}
    for region in new:
        region.path = f"{parents[region.parent_id]}{region.pk:06d}/"
    Region.objects.bulk_update(new, ["path"], batch_size=5000)
    stdout.write(f"  villages added for scale: {len(new):,}")


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
