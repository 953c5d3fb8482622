"""A refresh whose worker is killed half way leaves no half-written snapshot and runs again.

Starts its OWN worker subprocesses on a unique queue (same environment as the test process,
pointed at the test database), kills the first one's whole process group with SIGKILL while
the task is computing, then starts a second worker: with ``acks_late`` the unacknowledged
message comes back from Redis after the visibility timeout (shortened to a few seconds for the
worker through ``CELERY_VISIBILITY_TIMEOUT``) and the refresh completes.
"""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from reports.models import ReportRun, Snapshot
from reports.services.snapshots import STEPS
from reports.tasks import refresh_snapshots
from tests.conftest import unavailable
from tests.factories import BranchFactory, PairingFactory, PartnerBranchFactory, RegionFactory

AS_OF = datetime.date(2022, 6, 30)
CELERY = Path(sys.executable).with_name("celery")
# The whole refresh (4 steps × DELAY) must stay well inside the visibility timeout, or Redis
# hands the message out again while it still runs, over and over: the same rule production keeps
# (visibility timeout above the task time limit).
VISIBILITY_TIMEOUT = 12
DELAY = 0.75


def _database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = quote(s["USER"] or "") + (":" + quote(s["PASSWORD"]) if s.get("PASSWORD") else "")
        return f"postgres://{auth}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{s['NAME']}"
    name = str(s["NAME"])
    if connection.vendor == "sqlite" and "memory" not in name:
        return f"sqlite:///{name}"
    unavailable("the worker cannot see an in-memory SQLite test database (set DATABASE_URL=postgres://...)")
    return ""


def _start_worker(queue: str, log: Path, env: dict) -> subprocess.Popen:
    handle = log.open("ab")
    worker = subprocess.Popen(
        [
            str(CELERY),
            "-A",
            "twinning",
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            "-Q",
            queue,
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"{queue}-{time.monotonic_ns()}@localhost",
        ],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so SIGKILL reaches the pool child too
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            pytest.fail(f"worker exited early:\n{log.read_text()[-3000:]}")
        if "ready." in log.read_text(errors="replace"):
            return worker
        time.sleep(0.2)
    _kill(worker)
    pytest.fail(f"worker not ready:\n{log.read_text()[-3000:]}")


def _kill(worker: subprocess.Popen) -> None:
    try:
        os.killpg(worker.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    worker.wait(timeout=30)


def _wait(predicate, *, timeout: float, what: str, log: Path, interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    pytest.fail(f"timed out waiting for {what}:\n{log.read_text(errors='replace')[-3000:]}")


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_killed_refresh_leaves_no_half_written_snapshot_and_is_redelivered(requires_celery_worker, tmp_path):
    city = RegionFactory(city=True, name="信阳市")
    counties = [RegionFactory(parent=city, name=name) for name in ("商城县", "固始县", "光山县")]
    for county in counties:
        PairingFactory(partner=PartnerBranchFactory(county=county), helper=BranchFactory(county=county))
    run = ReportRun.objects.create(city=city, as_of=AS_OF)

    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "twinning.settings_test",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "test-only-secret-key"),
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
    }
    queue = f"reports-kill-{uuid.uuid4().hex[:10]}"
    log = tmp_path / "worker.log"
    worker = _start_worker(queue, log, env)
    try:
        refresh_snapshots.apply_async(
            kwargs={"city_id": city.pk, "as_of": AS_OF.isoformat(), "run_id": run.pk, "delay_seconds": DELAY},
            queue=queue,
        )
        # half way: some regions computed, nothing written yet
        _wait(
            lambda: ReportRun.objects.filter(pk=run.pk, status="running", progress__gte=1).exists(),
            timeout=60,
            interval=0.05,
            what="the refresh to start",
            log=log,
        )
        _kill(worker)
        progress = ReportRun.objects.get(pk=run.pk).progress
        assert 1 <= progress < STEPS + 1
        assert not Snapshot.objects.filter(as_of=AS_OF).exists()

        worker = _start_worker(queue, log, env)
        _wait(
            lambda: ReportRun.objects.filter(pk=run.pk, status="done").exists(),
            timeout=VISIBILITY_TIMEOUT + 90,
            what="the redelivered refresh to finish",
            log=log,
        )
        assert Snapshot.objects.filter(as_of=AS_OF).count() == 1 + len(counties)
        assert Snapshot.objects.get(region=city, as_of=AS_OF).figures["coverage"]["rate"] == 100.0
    finally:
        _kill(worker)
