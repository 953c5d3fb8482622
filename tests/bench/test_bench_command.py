"""The bench command runs end to end on a small dataset (a smoke test, not a timing assertion)."""

import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from benchmarks.measure import peak_memory, timed
from pairing.models import Branch


@pytest.mark.django_db
def test_bench_builds_the_dataset_and_prints_one_table():
    out = io.StringIO()
    # --no-memory: the memory runs are fresh processes on the configured database, not the test's.
    call_command(
        "bench",
        "--branches",
        "2000",
        "--months",
        "2",
        "--runs",
        "1",
        "--roster-rows",
        "300",
        "--no-memory",
        "--allow-default-database",
        stdout=out,
    )
    text = out.getvalue()
    assert Branch.objects.count() >= 2000
    table = [line for line in text.splitlines() if line.startswith("| ")]
    assert table[0].startswith("| operation | median of 1 | queries | floor | floor median | ratio")
    operations = [line.split(" | ")[0][2:] for line in table[1:]]
    for expected in (
        "branch list (unfiltered)",
        "branch detail",
        "dashboard (leader, city)",
        "compliance grid (largest county)",
        "build_reports (whole province)",
        "assessment workbook (city)",
        "roster import 300 rows (preview)",
    ):
        assert any(op.startswith(expected) for op in operations), (expected, operations)
    assert any(op.startswith("draw preview (") for op in operations)
    # Every row has a median and a floor with a ratio.
    assert all(line.split(" | ")[5].endswith("×") for line in table[1:])


def test_bench_migrates_a_fresh_database_before_building():
    """Run directly (README), not through `make bench`: an empty database is migrated first, not
    "no such table: pairing_branch". A process of its own on an in-memory SQLite database."""
    env = {"DATABASE_URL": "sqlite://:memory:", "DEBUG": "1", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "manage.py", "bench", "--branches", "1", "--months", "1", "--build-only"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "Dataset ready" in done.stdout


@pytest.mark.django_db
def test_bench_reuses_a_dataset_that_is_big_enough():
    call_command("seed_demo", "--branches", "300", stdout=io.StringIO())
    out = io.StringIO()
    call_command("bench", "--branches", "300", "--build-only", "--allow-default-database", stdout=out)
    assert "already there, reused" in out.getvalue()


@pytest.mark.django_db
def test_bench_refuses_the_default_database_without_database_url(monkeypatch):
    """Without DATABASE_URL, `make bench` benchmarked the demo database and changed its branches."""
    call_command("seed_demo", "--branches", "300", stdout=io.StringIO())
    before = list(Branch.objects.order_by("pk").values_list("pk", "member_count"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(CommandError, match="DATABASE_URL is not set"):
        call_command("bench", "--branches", "400", "--build-only", stdout=io.StringIO())
    assert list(Branch.objects.order_by("pk").values_list("pk", "member_count")) == before


def test_bench_rejects_bad_arguments():
    with pytest.raises(CommandError):
        call_command("bench", "--months", "13", "--allow-default-database", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("bench", "--only", "pages,everything", "--allow-default-database", stdout=io.StringIO())


def test_timed_takes_the_median():
    calls = []
    measure = timed(lambda: calls.append(1), runs=3, count_queries=False, warmup=True)
    assert len(calls) == 4 and measure.seconds >= 0 and measure.queries is None


def test_peak_memory_runs_a_fresh_django_process():
    peak, growth = peak_memory("benchmarks.memory.idle")
    assert peak > 20 and abs(growth) < 20
