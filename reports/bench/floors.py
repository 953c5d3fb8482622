"""Floors: the least any implementation could spend on the same work, measured in the same run.

- ``sql_floor``: the raw SQL aggregates behind the report (optimisation, coverage, monthly theme
  days), grouped by county and by township, with no ORM and no Python arithmetic.
- ``xlsx_write_floor``: bare openpyxl write-only, the same sheets, rows and columns, plain cells.
- ``xlsx_read_floor``: bare openpyxl read-only, one pass over every value of the roster.
- the trivial view (``reports.bench.urls``): a login-protected page rendering one small template.
"""

from __future__ import annotations

import datetime

from django.db import connection
from django.http import HttpResponse
from django.template import engines
from openpyxl import Workbook, load_workbook

from activities.models import ThemeDay
from pairing.models import Branch, OptimisationCampaign, OptimisationRecord, Pairing


def _month_end(month: datetime.date) -> datetime.date:
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)


def sql_floor(*, as_of: datetime.date) -> int:
    """Run the report's core aggregates as raw SQL; returns the number of result rows."""
    b, p, t = Branch._meta.db_table, Pairing._meta.db_table, ThemeDay._meta.db_table
    o, oc = OptimisationRecord._meta.db_table, OptimisationCampaign._meta.db_table
    months = [datetime.date(as_of.year, m, 1) for m in range(1, as_of.month + 1)]
    rows = 0
    with connection.cursor() as cursor:
        for group in ("county_id", "township_id"):
            cursor.execute(
                f"SELECT b.{group}, COUNT(*), SUM(CASE WHEN EXISTS (SELECT 1 FROM {o} r JOIN {oc} c"
                f" ON c.id = r.campaign_id WHERE r.branch_id = b.id AND c.is_current AND r.done_on <= %s)"
                f" THEN 1 ELSE 0 END) FROM {b} b GROUP BY b.{group}",
                [as_of],
            )
            rows += len(cursor.fetchall())
            cursor.execute(
                f"SELECT b.{group}, COUNT(*), SUM(CASE WHEN EXISTS (SELECT 1 FROM {p} p WHERE p.partner_id = b.id"
                f" AND p.status = 'active' AND p.started_on <= %s) THEN 1 ELSE 0 END)"
                f" FROM {b} b WHERE b.kind IN ('village', 'community') GROUP BY b.{group}",
                [as_of],
            )
            rows += len(cursor.fetchall())
            columns, params = [], []
            for month in months:
                last = min(_month_end(month), as_of)
                active = "p.started_on <= %s AND (p.dissolved_on IS NULL OR p.dissolved_on >= %s)"
                columns.append(f"SUM(CASE WHEN {active} THEN 1 ELSE 0 END)")
                params += [last, month]
                columns.append(
                    f"SUM(CASE WHEN {active} AND EXISTS (SELECT 1 FROM {t} t WHERE t.pairing_id = p.id"
                    f" AND t.status = 'confirmed' AND t.held_on BETWEEN %s AND %s) THEN 1 ELSE 0 END)"
                )
                params += [last, month, month, last]
            cursor.execute(
                f"SELECT b.{group}, {', '.join(columns)} FROM {p} p JOIN {b} b ON b.id = p.partner_id"
                f" GROUP BY b.{group}",
                params,
            )
            rows += len(cursor.fetchall())
    return rows


def workbook_shape(path) -> list[tuple[str, int, list]]:
    """(sheet title, row count, the first data row's values) of a workbook, read once."""
    shape = []
    workbook = load_workbook(path, read_only=True)
    try:
        for sheet in workbook.worksheets:
            count, sample = 0, []
            for row in sheet.iter_rows(values_only=True):
                if count == 1:
                    sample = list(row)
                count += 1
            shape.append((sheet.title, count, sample))
    finally:
        workbook.close()
    return shape


def xlsx_write_floor(shape: list[tuple[str, int, list]], out) -> None:
    """A bare write-only workbook with the same sheets, rows and cell types (numbers vary by row)."""
    workbook = Workbook(write_only=True)
    for title, count, sample in shape:
        sheet = workbook.create_sheet(title)
        for i in range(count):
            sheet.append([v + i if isinstance(v, int | float) and not isinstance(v, bool) else v for v in sample])
    workbook.save(out)


def xlsx_read_floor(path) -> int:
    """Read every value of the first sheet once (read-only mode); returns the number of rows."""
    workbook = load_workbook(path, read_only=True)
    try:
        count = 0
        for _row in workbook.worksheets[0].iter_rows(values_only=True):
            count += 1
        return count
    finally:
        workbook.close()


_TRIVIAL = engines["django"].from_string("<!doctype html><title>bench</title><p>{{ user.get_username }}</p>")


def trivial_view(request):
    """The page floor: session + user lookup (two queries) and one small template."""
    if not request.user.is_authenticated:
        return HttpResponse(status=403)
    return HttpResponse(_TRIVIAL.render({"user": request.user}, request))
