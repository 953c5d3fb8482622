"""The operations the bench times, each paired with its floor (see floors.py)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from pairing.choices import BranchKind, PairingStatus, RegionLevel
from pairing.models import Branch, Pairing, Region
from pairing.roster import columns as roster_columns
from pairing.roster import imports as roster_imports
from pairing.roster.exports import branch_row, city_branches, text_cell
from pairing.services.draw import draw_preview
from pairing.services.roster import roster_import
from reports.selectors.assessment import weights_for
from reports.services.snapshots import snapshots_refresh
from reports.workbook import workbook_write
from twinning.keyset import cursor_encode
from volunteers.selectors import Quarter

from . import floors
from .measure import Measure, peak_memory, timed

GROUPS = frozenset({"pages", "reports", "draw", "assessment", "roster"})


@dataclass
class Row:
    operation: str
    measure: Measure
    floor_name: str
    floor: Measure | None

    @property
    def ratio(self) -> float | None:
        if self.floor is None or not self.floor.seconds:
            return None
        return self.measure.seconds / self.floor.seconds


class Bench:
    """Holds the clients, the places and the temporary files of one bench run."""

    def __init__(self, *, runs: int, roster_rows: int, memory: bool, stdout):
        self.runs = runs
        self.roster_rows = roster_rows
        self.memory = memory
        self.stdout = stdout
        self.tmp = tempfile.mkdtemp(prefix="twinning-bench-")
        users = get_user_model().objects
        self.staff = users.get(username="staff_city")
        self.leader = users.get(username="leader_city")
        self.city = Region.objects.filter(level=RegionLevel.CITY, parent=None).order_by("path").first()
        largest = (
            Branch.objects.filter(county__isnull=False)
            .values("county")
            .annotate(n=Count("pk"))
            .order_by("-n", "county")
            .first()
        )
        self.county = Region.objects.get(pk=largest["county"]) if largest else None
        self.county_size = largest["n"] if largest else 0
        self.today = timezone.localdate()

    def client_for(self, user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    # --- helpers ---------------------------------------------------------------------------

    def _page(self, client: Client, url: str) -> Callable[[], None]:
        def get():
            response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"GET {url}: {response.status_code}")

        return get

    def _with_memory(self, measure: Measure, fn_path: str, **kwargs) -> Measure:
        if self.memory:
            measure.peak_mib, measure.grow_mib = peak_memory(f"benchmarks.memory.{fn_path}", **kwargs)
        return measure

    def _log(self, text: str) -> None:
        self.stdout.write(f"  {text}")
        self.stdout.flush() if hasattr(self.stdout, "flush") else None

    # --- the operations --------------------------------------------------------------------

    def rows(self, only: frozenset[str] = GROUPS) -> list[Row]:
        rows = []
        if "pages" in only:
            rows += self.pages()
        if "reports" in only:
            rows.append(self.build_reports())
        if "draw" in only:
            rows.append(self.draw())
        if "assessment" in only:
            rows.append(self.assessment())
        if "roster" in only:
            rows += self.roster()
        return rows

    def pages(self) -> list[Row]:
        rows = []
        staff, leader = self.client_for(self.staff), self.client_for(self.leader)
        trivial = timed(self._page(staff, reverse("bench_trivial")), runs=max(self.runs, 5), warmup=True)
        branches = Branch.objects.count()
        # The list pages by keyset (twinning/keyset.py): the deepest page is the one after the 51st
        # branch from the end (with OFFSET the bench timed page 2,000 of 4,000, the middle).
        last_51 = list(Branch.objects.filter(city=self.city).order_by("-code").values_list("code", flat=True)[:51])
        deep_cursor = cursor_encode(last_51[-1:])
        detail = Branch.objects.filter(city=self.city).order_by("code").values_list("pk", flat=True)[branches // 2]
        county_id = self.county.pk if self.county else ""
        pages = [
            ("branch list (unfiltered)", staff, reverse("pairing:branch_list")),
            (
                "branch list (county+kind+未优化)",
                staff,
                f"{reverse('pairing:branch_list')}?county={county_id}&kind={BranchKind.VILLAGE}&optimised=no",
            ),
            ("branch list (last page, keyset)", staff, f"{reverse('pairing:branch_list')}?after={deep_cursor}"),
            ("branch detail", staff, reverse("pairing:branch_detail", args=[detail])),
            ("dashboard (leader, city)", leader, reverse("reports:dashboard")),
            ("dashboard (county drill-down)", leader, f"{reverse('reports:dashboard')}?region={county_id}"),
            ("compliance grid (largest county)", staff, f"{reverse('activities:compliance')}?county={county_id}"),
        ]
        # The month-end's busiest page: a secretary opens the theme-day form of their pairing.
        secretary = get_user_model().objects.filter(username="secretary_helper", branch__isnull=False).first()
        pairing = secretary and Pairing.objects.filter(helper=secretary.branch_id, status=PairingStatus.ACTIVE).first()
        if pairing:
            form = reverse("activities:theme_day_create", args=[pairing.pk])
            pages.append(("theme-day form (secretary)", self.client_for(secretary), form))
        for name, client, url in pages:
            self._log(name)
            rows.append(Row(name, timed(self._page(client, url), runs=self.runs, warmup=True), "trivial view", trivial))
        return rows

    def build_reports(self) -> Row:
        self._log("build_reports")
        cities = list(Region.objects.filter(level=RegionLevel.CITY, parent=None))

        def build():
            for city in cities:
                snapshots_refresh(city=city, as_of=self.today)

        return Row(
            "build_reports (whole province)",
            timed(build, runs=self.runs),
            "raw SQL aggregates",
            timed(lambda: floors.sql_floor(as_of=self.today), runs=self.runs),
        )

    def draw(self) -> Row:
        self._log("draw preview")
        county = self.county

        def preview():
            draw_preview(region=county, seed=20240601, acting_user=self.staff)

        def candidates():
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT id, code, kind FROM {Branch._meta.db_table} WHERE county_id = %s", [county.pk])
                cursor.fetchall()

        name = f"draw preview ({county.name}, {self.county_size:,} branches)"
        return Row(name, timed(preview, runs=self.runs), "raw SQL candidate fetch", timed(candidates, runs=self.runs))

    def assessment(self) -> Row:
        self._log("assessment workbook")
        path = os.path.join(self.tmp, "assessment.xlsx")
        weights = weights_for(self.city)
        quarter = Quarter.of(self.today)

        def write():
            workbook_write(region=self.city, quarter=quarter, weights=weights, out=path)

        measure = self._with_memory(timed(write, runs=self.runs), "assessment_write", region_id=self.city.pk, path=path)
        sheets = floors.workbook_values(path)  # the floor writes back these very values
        cells = sum(1 for _title, rows in sheets for row in rows for value in row if value is not None)
        measure.note = f"{cells:,} cells, {os.path.getsize(path) / 2**20:.1f} MiB"
        floor_path = os.path.join(self.tmp, "floor.xlsx")

        def floor_write():
            floors.xlsx_write_floor(sheets, floor_path)

        floor = self._with_memory(
            timed(floor_write, runs=self.runs, count_queries=False), "xlsx_write_floor", source=path, path=floor_path
        )
        return Row("assessment workbook (city)", measure, "bare openpyxl write-only", floor)

    def roster_file(self) -> tuple[str, int]:
        """A roster of existing branches with every 党员数 changed: an update of every row."""
        path = os.path.join(self.tmp, "roster.xlsx")
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("支部名册")
        sheet.append(list(roster_columns.HEADERS))
        count = 0
        for branch in city_branches(city=self.city)[: self.roster_rows].iterator(chunk_size=2000):
            values = branch_row(branch, user=None)
            values[9] = (values[9] or 0) + 1
            sheet.append([text_cell(sheet, value) for value in values])
            count += 1
        workbook.save(path)
        return path, count

    def roster(self) -> list[Row]:
        self._log("roster import")
        path, count = self.roster_file()

        def run(commit: bool):
            def go():
                with open(path, "rb") as fileobj:
                    result = roster_import(fileobj=fileobj, acting_user=self.staff, commit=commit)
                if result.errors:
                    raise RuntimeError(f"roster import: {result.errors[:3]}")
                return result

            return go

        dry = self._with_memory(timed(run(False), runs=self.runs), "roster_preview", path=path, user_id=self.staff.pk)
        dry.note = f"{count:,} rows, every row an update"
        floor = self._with_memory(
            timed(lambda: _roster_read_floor(path), runs=self.runs, count_queries=False),
            "xlsx_read_floor",
            path=path,
        )
        self._log("roster import (commit, one run)")
        commit = timed(run(True), runs=1)
        commit.note = f"{count:,} rows written, one run"
        return [
            Row(f"roster import {count:,} rows (preview)", dry, "bare openpyxl read-only", floor),
            Row(f"roster import {count:,} rows (commit)", commit, "bare openpyxl read-only", floor),
        ]


def _roster_read_floor(path: str) -> int:
    """Bare openpyxl read-only, one pass over every value, opened as the import opens it.

    ``openpyxl.load_workbook`` sizes a sheet without ``<dimension>`` (like this roster) by parsing
    it all once more before the first row; the import's loader reads the size and stops at the
    data (``pairing.roster.imports.load_workbook``), so the floor does not pay that pass either.
    """
    with open(path, "rb") as fileobj:
        workbook = roster_imports.load_workbook(fileobj)
        try:
            return sum(1 for _row in workbook.worksheets[0].iter_rows(values_only=True))
        finally:
            workbook.close()
