"""bench: build a province-sized dataset on the configured database and time the heavy operations.

Not part of the test suite (tests/bench only proves it runs). See docs/performance.md.
"""

import os
import shutil
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import override_settings

from benchmarks.dataset import dataset_build, dataset_ready
from benchmarks.operations import GROUPS, Bench


class Command(BaseCommand):
    help = "Build N branches of demo data (seed_demo's generators) and print the timings table."

    def add_arguments(self, parser):
        parser.add_argument("--branches", type=int, default=200_000)
        parser.add_argument("--months", type=int, default=12, help="months of theme days (default 12)")
        parser.add_argument("--seed", type=int, default=2022)
        parser.add_argument("--runs", type=int, default=3, help="runs per operation; the median is printed")
        parser.add_argument("--roster-rows", type=int, default=50_000, help="rows of the roster import")
        parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory runs (fresh processes)")
        parser.add_argument("--build-only", action="store_true", help="build the dataset, time nothing")
        parser.add_argument(
            "--allow-default-database",
            action="store_true",
            help="run without DATABASE_URL, on the default database (db.sqlite3, the demo data, which bench changes)",
        )
        parser.add_argument(
            "--only", help=f"comma-separated groups to time: {', '.join(sorted(GROUPS))} (default: all)"
        )

    def handle(self, *args, branches, months, seed, runs, roster_rows, no_memory, build_only, only, **options):
        if not os.environ.get("DATABASE_URL") and not options["allow_default_database"]:
            # The dataset is seed_demo's generators topping up what is there, and some stages rewrite
            # what they find (every branch's member count): never the demo database by accident.
            raise CommandError(
                "DATABASE_URL is not set: bench would build its dataset in the default database "
                "(db.sqlite3, the demo data) and change it. Point DATABASE_URL at a throwaway database "
                "(README: Performance), or pass --allow-default-database."
            )
        if branches < 1 or runs < 1 or not 1 <= months <= 12 or roster_rows < 1:
            raise CommandError("--branches, --runs, --roster-rows must be positive; --months 1..12")
        groups = frozenset(g.strip() for g in only.split(",") if g.strip()) if only else GROUPS
        if not groups or groups - GROUPS:
            raise CommandError(f"--only takes {', '.join(sorted(GROUPS))}")
        self.stdout.write(f"Database: {connection.vendor} {connection.settings_dict.get('NAME')}")
        start = time.perf_counter()
        # `make bench` migrates first; the command run directly on a fresh database must too.
        call_command("migrate", interactive=False, verbosity=0)
        if dataset_ready(branches=branches):
            self.stdout.write(f"Dataset: {branches:,}+ branches already there, reused.")
        else:
            self.stdout.write(f"Dataset: building {branches:,} branches, {months} months of theme days...")
            dataset_build(branches=branches, months=months, seed=seed, stdout=self.stdout)
        self.stdout.write(f"Dataset ready in {time.perf_counter() - start:.0f} s: {_counts()}")
        if build_only:
            return
        hosts = [*settings.ALLOWED_HOSTS, "testserver"]
        with override_settings(ROOT_URLCONF="benchmarks.urls", ALLOWED_HOSTS=hosts, SECURE_SSL_REDIRECT=False):
            bench = Bench(runs=runs, roster_rows=roster_rows, memory=not no_memory, stdout=self.stdout)
            try:
                rows = bench.rows(groups)
            finally:
                shutil.rmtree(bench.tmp, ignore_errors=True)
        self.stdout.write(table(rows, runs=runs))


def _counts() -> str:
    from activities.models import KeyTaskReport, ThemeDay
    from pairing.models import Branch, Pairing
    from volunteers.models import HourEntry, Registration

    parts = [
        ("branches", Branch),
        ("pairings", Pairing),
        ("theme days", ThemeDay),
        ("N-task reports", KeyTaskReport),
        ("registrations", Registration),
        ("hour entries", HourEntry),
    ]
    return ", ".join(f"{model.objects.count():,} {name}" for name, model in parts)


def _seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def table(rows, *, runs: int) -> str:
    """One table: operation, median, queries, floor, floor median, ratio, peak memory."""
    header = ("operation", f"median of {runs}", "queries", "floor", "floor median", "ratio", "peak RSS / growth")
    lines = []
    for row in rows:
        m, f = row.measure, row.floor
        memory = f"{m.peak_mib:.0f} / +{m.grow_mib:.0f} MiB" if m.peak_mib is not None else ""
        if f is not None and f.peak_mib is not None:
            memory += f" (floor {f.peak_mib:.0f} / +{f.grow_mib:.0f})"
        name = row.operation + (f" [{m.note}]" if m.note else "")
        lines.append(
            (
                name,
                _seconds(m.seconds),
                "" if m.queries is None else str(m.queries),
                row.floor_name,
                _seconds(f.seconds) if f else "",
                f"{row.ratio:.1f}×" if row.ratio is not None else "",
                memory,
            )
        )
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(cells) + " |" for cells in lines]
    return "\n".join(out)
