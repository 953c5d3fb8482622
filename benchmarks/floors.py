"""Floors: the least any implementation could spend on the same work, measured in the same run.

- ``sql_floor``: raw SQL computing every figure the report snapshots store (optimisation,
  coverage, monthly theme days, N lists, volunteers), grouped as the snapshots show them, with
  no ORM and no Python arithmetic.
- ``xlsx_write_floor``: bare openpyxl write-only writing back every value of the real workbook
  (same sheets, rows and cell values), plain cells, no styles.
- ``xlsx_read_floor``: bare openpyxl read-only, one pass over every value of the roster.
- the trivial view (``benchmarks.urls``): a login-protected page rendering one small template.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator

from django.db import connection
from django.http import HttpResponse
from django.template import engines
from openpyxl import Workbook, load_workbook

from activities.models import ThemeDay
from pairing.models import Branch, OptimisationCampaign, OptimisationRecord, Pairing
from volunteers.choices import MEMBER_QUARTER_TARGET_HOURS, UNIT_QUARTER_TARGET_ACTIVITIES, UNIT_YEAR_TARGET_PROJECTS


def _month_end(month: datetime.date) -> datetime.date:
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)


def _rate(num: str, den: str) -> str:
    """The truncated percentage in SQL (integer division on both databases), NULL for 0 / 0."""
    return f"CASE WHEN {den} > 0 THEN ({num}) * 10000 / ({den}) / 100.0 END"


def _month_of(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"CAST(EXTRACT(MONTH FROM {column}) AS INTEGER)"
    return f"CAST(strftime('%%m', {column}) AS INTEGER)"


_TYPES = {"level": "VARCHAR(16)"}  # key columns that are not ids (typed NULLs: PostgreSQL needs them in a UNION)


def _rollup(select: str, groupings: dict[str, tuple[str, ...]], source: str) -> str:
    """``select`` (aggregates over ``source``) once per grouping, as one UNION ALL: the level name
    and its key columns first (NULL where a grouping has none)."""
    keys = list(dict.fromkeys(k for cols in groupings.values() for k in cols))
    parts = []
    for name, cols in groupings.items():
        head = ", ".join(k if k in cols else f"CAST(NULL AS {_TYPES.get(k, 'INTEGER')}) AS {k}" for k in keys)
        group = f" GROUP BY {', '.join(cols)}" if cols else ""
        parts.append(f"SELECT '{name}' AS grouping, {head}, {select} FROM {source}{group}")
    return "\nUNION ALL ".join(parts)


# The groupings the snapshots show: a city, its two levels (市直/县区), its counties, and each
# county's townships (cells of branches without a township give the 县直 row).
_BY_REGION = {
    "city": ("city_id",),
    "county": ("city_id", "county_id"),
    "township": ("city_id", "county_id", "township_id"),
}


def _branch_sql(t: dict) -> str:
    """优化率 and 结对覆盖率: one pass over the branches into cells, rolled up."""
    partner, helper = "b.kind IN ('village', 'community')", "b.kind IN ('organ', 'enterprise', 'institution')"
    sums = (
        "SUM(total) AS total, SUM(optimised) AS optimised, "
        f"{_rate('SUM(optimised)', 'SUM(total)')} AS optimisation_rate, "
        "SUM(partners) AS partners, SUM(paired) AS paired, "
        f"{_rate('SUM(paired)', 'SUM(partners)')} AS coverage_rate, "
        "SUM(helpers) AS helpers, SUM(engaged) AS engaged, "
        f"{_rate('SUM(engaged)', 'SUM(helpers)')} AS helpers_rate"
    )
    return f"""
WITH active AS (
    SELECT p.partner_id, p.helper_id FROM {t["pairing"]} p JOIN {t["pairing_campaign"]} pc ON pc.id = p.campaign_id
    WHERE pc.is_current AND p.started_on <= %(as_of)s AND (p.dissolved_on IS NULL OR p.dissolved_on > %(as_of)s)
), optimised AS (
    SELECT c.city_id, r.branch_id FROM {t["opt_record"]} r JOIN {t["opt_campaign"]} c ON c.id = r.campaign_id
    WHERE c.is_current AND r.done_on <= %(as_of)s
), cells AS (
    SELECT b.city_id, b.county_id, b.township_id, b.level, COUNT(*) AS total,
        SUM(CASE WHEN (b.city_id, b.id) IN (SELECT city_id, branch_id FROM optimised) THEN 1 ELSE 0 END) AS optimised,
        SUM(CASE WHEN {partner} THEN 1 ELSE 0 END) AS partners,
        SUM(CASE WHEN {partner} AND b.id IN (SELECT partner_id FROM active) THEN 1 ELSE 0 END) AS paired,
        SUM(CASE WHEN {helper} THEN 1 ELSE 0 END) AS helpers,
        SUM(CASE WHEN {helper} AND b.id IN (SELECT helper_id FROM active) THEN 1 ELSE 0 END) AS engaged
    FROM {t["branch"]} b
    GROUP BY b.city_id, b.county_id, b.township_id, b.level
)
{_rollup(sums, {**_BY_REGION, "level": ("city_id", "level")}, "cells")}"""


def _theme_day_sql(t: dict, months: list[datetime.date]) -> str:
    """主题党日达标率 per month: one pass over the pairings for each cell's active pairings of every
    month, one over the year's confirmed theme days (joined to their pairing if it was active in
    the theme day's month) for the pairings confirmed, counted distinct per cell and month."""

    def active(m: datetime.date) -> str:
        n = m.month
        return f"p.started_on <= %(last{n})s AND (p.dissolved_on IS NULL OR p.dissolved_on >= %(first{n})s)"

    columns = ", ".join(f"SUM(CASE WHEN {active(m)} THEN 1 ELSE 0 END) AS a{m.month}" for m in months)
    in_active_month = " OR ".join(
        f"(t.held_on >= %(first{m.month})s AND t.held_on <= %(last{m.month})s AND {active(m)})" for m in months
    )
    per_month = " ".join(f"WHEN {m.month} THEN a.a{m.month}" for m in months)
    same_cell = " AND ".join(
        f"COALESCE(c.{k}, 0) = COALESCE(a.{k}, 0)" for k in ("city_id", "county_id", "township_id")
    )
    sums = f"SUM(active) AS active, SUM(confirmed) AS confirmed, {_rate('SUM(confirmed)', 'SUM(active)')} AS rate"
    return f"""
WITH months (month) AS (VALUES {", ".join(f"({m.month})" for m in months)}),
active AS (
    SELECT b.city_id, b.county_id, b.township_id, {columns}
    FROM {t["pairing"]} p JOIN {t["branch"]} b ON b.id = p.partner_id
    GROUP BY b.city_id, b.county_id, b.township_id
), confirmed AS (
    SELECT b.city_id, b.county_id, b.township_id, {_month_of("t.held_on")} AS month,
        COUNT(DISTINCT t.pairing_id) AS confirmed
    FROM {t["theme_day"]} t JOIN {t["pairing"]} p ON p.id = t.pairing_id JOIN {t["branch"]} b ON b.id = p.partner_id
    WHERE t.status = 'confirmed' AND ({in_active_month})
    GROUP BY b.city_id, b.county_id, b.township_id, {_month_of("t.held_on")}
), cells AS (
    SELECT a.city_id, a.county_id, a.township_id, m.month,
        CASE m.month {per_month} END AS active, COALESCE(c.confirmed, 0) AS confirmed
    FROM active a CROSS JOIN months m LEFT JOIN confirmed c ON c.month = m.month AND {same_cell}
)
{_rollup(sums, {k: (*v, "month") for k, v in _BY_REGION.items()}, "cells")}"""


def _n_task_sql(t: dict) -> str:
    """重点任务完成率: per list and pairing cell, then per snapshot region (a city or a county) over
    the lists it shows (its subtree's and its parent's), in total and per list, for the region and
    for each child region."""
    in_list = (
        "l.region_id IN (pb.city_id, pb.county_id, pb.township_id, hb.city_id, hb.county_id, hb.township_id)"
        " OR (l.level NOT IN ('city', 'county', 'township')"
        " AND (pr.path LIKE l.path || '%%' OR hr.path LIKE l.path || '%%'))"
    )
    sums = f"SUM(done) AS done, SUM(due) AS due, {_rate('SUM(done)', 'SUM(due)')} AS rate"
    groupings = {
        "own": ("snapshot_id",),
        "own list": ("snapshot_id", "list_id"),
        "child": ("snapshot_id", "child_id"),
        "child list": ("snapshot_id", "child_id", "list_id"),
    }
    return f"""
WITH lists AS (
    SELECT l.id, l.region_id, r.level, r.path,
        (SELECT COUNT(*) FROM {t["task"]} k WHERE k.task_list_id = l.id AND k.due_on <= %(as_of)s) AS due_items
    FROM {t["task_list"]} l JOIN {t["region"]} r ON r.id = l.region_id
    WHERE l.year = %(year)s AND l.half = %(half)s
), done AS (
    SELECT kr.pairing_id, k.task_list_id, COUNT(*) AS n
    FROM {t["task_report"]} kr JOIN {t["task"]} k ON k.id = kr.task_id
    WHERE kr.status = 'done' AND k.due_on <= %(as_of)s
    GROUP BY kr.pairing_id, k.task_list_id
), cells AS (
    SELECT l.id AS list_id, pb.city_id, pb.county_id, pb.township_id,
        COALESCE(SUM(d.n), 0) AS done, COUNT(*) * MAX(l.due_items) AS due
    FROM {t["pairing"]} p
    JOIN {t["branch"]} pb ON pb.id = p.partner_id JOIN {t["branch"]} hb ON hb.id = p.helper_id
    LEFT JOIN {t["region"]} pr ON pr.id = pb.region_id LEFT JOIN {t["region"]} hr ON hr.id = hb.region_id
    JOIN lists l ON {in_list}
    LEFT JOIN done d ON d.pairing_id = p.id AND d.task_list_id = l.id
    WHERE p.started_on <= %(as_of)s AND (p.dissolved_on IS NULL OR p.dissolved_on > %(as_of)s)
    GROUP BY l.id, pb.city_id, pb.county_id, pb.township_id
), snapshots AS (
    SELECT r.id, r.level, r.path, r.parent_id FROM {t["region"]} r
    WHERE r.level = 'city' OR (r.level = 'county' AND r.parent_id IN (SELECT id FROM {t["region"]} WHERE level = 'city'))
), shown AS (
    SELECT s.id AS snapshot_id, c.list_id, c.done, c.due,
        CASE WHEN s.level = 'city' THEN c.county_id ELSE c.township_id END AS child_id
    FROM snapshots s JOIN lists l ON l.path LIKE s.path || '%%' OR l.region_id = s.parent_id
    JOIN cells c ON c.list_id = l.id
        AND ((s.level = 'city' AND c.city_id = s.id) OR (s.level = 'county' AND c.county_id = s.id))
)
{_rollup(sums, groupings, "shown")}"""


def _volunteer_sql(t: dict) -> list[str]:
    """双报到、双服务 in the quarter: registrations (units and members against their targets),
    projects and verified hours by the community's region; hours per quarter of the year."""
    units = (
        "COUNT(DISTINCT CASE WHEN kind = 'unit' THEN branch_id END) AS units, "
        "COUNT(DISTINCT CASE WHEN kind = 'unit' AND year_projects >= %(year_target)s THEN branch_id END) AS units_year, "
        "COUNT(DISTINCT CASE WHEN kind = 'unit' AND activities >= %(quarter_target)s THEN branch_id END)"
        " AS units_quarter, "
        "COUNT(DISTINCT CASE WHEN kind = 'member' THEN member_id END) AS members, "
        "COUNT(DISTINCT CASE WHEN kind = 'member' AND minutes >= %(member_minutes)s THEN member_id END)"
        " AS members_on_target, "
        + _rate(
            "COUNT(DISTINCT CASE WHEN kind = 'member' AND minutes >= %(member_minutes)s THEN member_id END)",
            "COUNT(DISTINCT CASE WHEN kind = 'member' THEN member_id END)",
        )
        + " AS rate"
    )
    communities = f"SELECT id, city_id, county_id, township_id FROM {t['branch']} WHERE kind = 'community'"
    claimed = (
        f"SELECT r.branch_id, COUNT(DISTINCT c.project_id) AS n FROM {t['claim']} c"
        f" JOIN {t['registration']} r ON r.id = c.registration_id JOIN {t['project']} pr ON pr.id = c.project_id"
    )
    registrations = f"""
WITH communities AS ({communities}),
year_projects AS ({claimed} WHERE pr.starts_on BETWEEN %(year_start)s AND %(year_end)s GROUP BY r.branch_id),
activities AS (
    SELECT branch_id, SUM(n) AS n FROM (
        {claimed} WHERE pr.starts_on BETWEEN %(quarter_start)s AND %(quarter_end)s GROUP BY r.branch_id
        UNION ALL
        SELECT r.branch_id, COUNT(DISTINCT w.whistle_id) AS n FROM {t["whistle_response"]} w
        JOIN {t["registration"]} r ON r.id = w.registration_id JOIN {t["whistle"]} wh ON wh.id = w.whistle_id
        WHERE wh.happens_on BETWEEN %(quarter_start)s AND %(quarter_end)s GROUP BY r.branch_id
    ) parts GROUP BY branch_id
), minutes AS (
    SELECT member_id, SUM(minutes) AS n FROM {t["hour_entry"]}
    WHERE status = 'verified' AND served_on BETWEEN %(quarter_start)s AND %(quarter_end)s GROUP BY member_id
), registered AS (
    SELECT c.city_id, c.county_id, c.township_id, r.kind, r.branch_id, r.member_id,
        COALESCE(y.n, 0) AS year_projects, COALESCE(a.n, 0) AS activities, COALESCE(m.n, 0) AS minutes
    FROM {t["registration"]} r JOIN communities c ON c.id = r.community_id
    LEFT JOIN year_projects y ON y.branch_id = r.branch_id LEFT JOIN activities a ON a.branch_id = r.branch_id
    LEFT JOIN minutes m ON m.member_id = r.member_id
    WHERE r.status = 'accepted'
)
{_rollup(units, _BY_REGION, "registered")}"""
    projects = f"""
WITH communities AS ({communities}), projects AS (
    SELECT c.city_id, c.county_id, c.township_id, pr.id,
        CASE WHEN EXISTS (SELECT 1 FROM {t["claim"]} cl WHERE cl.project_id = pr.id) THEN 1 ELSE 0 END AS claimed
    FROM {t["project"]} pr JOIN communities c ON c.id = pr.community_id
    WHERE pr.starts_on BETWEEN %(quarter_start)s AND %(quarter_end)s
)
{_rollup("COUNT(*) AS projects, SUM(claimed) AS claimed", _BY_REGION, "projects")}"""
    quarter = " ".join(f"WHEN h.served_on <= %(q{n}_end)s THEN {n}" for n in range(1, 5))
    hours = f"""
WITH communities AS ({communities}), hours AS (
    SELECT c.city_id, c.county_id, c.township_id, h.minutes,
        CASE {quarter} END AS quarter
    FROM {t["hour_entry"]} h JOIN communities c ON c.id = h.community_id
    WHERE h.status = 'verified' AND h.served_on BETWEEN %(year_start)s AND %(quarter_end)s
)
{
        _rollup(
            "ROUND(SUM(CASE WHEN quarter = %(quarter)s THEN minutes ELSE 0 END) / 60.0, 1) AS quarter_hours",
            _BY_REGION,
            "hours",
        )
    }
UNION ALL {
        _rollup(
            "ROUND(SUM(minutes) / 60.0, 1) AS hours",
            {"city quarter": ("city_id", "quarter"), "county quarter": ("city_id", "county_id", "quarter")},
            "hours",
        )
    }"""
    return [registrations, projects, hours]


def sql_floor(*, as_of: datetime.date) -> dict[str, list[tuple]]:
    """Every figure the snapshots store, for every city, as raw SQL with no ORM and no Python
    arithmetic: grouped as the snapshots show them (each city, its levels, its counties, each
    county's townships), the N lists per snapshot region over the lists that region shows, rates
    truncated in SQL. Returns each statement's rows."""
    from activities.models import KeyTask, KeyTaskList, KeyTaskReport
    from pairing.models import PairingCampaign, Region
    from volunteers.models import Claim, HourEntry, Project, Registration, Whistle, WhistleResponse

    models = {
        "branch": Branch, "pairing": Pairing, "pairing_campaign": PairingCampaign, "region": Region,
        "opt_record": OptimisationRecord, "opt_campaign": OptimisationCampaign, "theme_day": ThemeDay,
        "task_list": KeyTaskList, "task": KeyTask, "task_report": KeyTaskReport, "registration": Registration,
        "claim": Claim, "project": Project, "whistle": Whistle, "whistle_response": WhistleResponse,
        "hour_entry": HourEntry,
    }  # fmt: skip
    t = {name: connection.ops.quote_name(model._meta.db_table) for name, model in models.items()}
    months = [datetime.date(as_of.year, m, 1) for m in range(1, as_of.month + 1)]
    number = (as_of.month - 1) // 3 + 1
    quarter_ends = [_month_end(datetime.date(as_of.year, 3 * n, 1)) for n in range(1, 5)]
    params = {
        "as_of": as_of,
        "year": as_of.year,
        "half": 1 if as_of.month <= 6 else 2,
        "year_start": datetime.date(as_of.year, 1, 1),
        "year_end": datetime.date(as_of.year, 12, 31),
        "quarter": number,
        "quarter_start": datetime.date(as_of.year, 3 * number - 2, 1),
        "quarter_end": quarter_ends[number - 1],
        "year_target": UNIT_YEAR_TARGET_PROJECTS,
        "quarter_target": UNIT_QUARTER_TARGET_ACTIVITIES,
        "member_minutes": MEMBER_QUARTER_TARGET_HOURS * 60,
        **{f"q{n}_end": end for n, end in enumerate(quarter_ends, start=1)},
        **{f"first{m.month}": m for m in months},
        **{f"last{m.month}": min(_month_end(m), as_of) for m in months},
    }
    statements = {
        "branches": _branch_sql(t),
        "theme days": _theme_day_sql(t, months),
        "N lists": _n_task_sql(t),
        **dict(zip(("volunteers", "projects", "hours"), _volunteer_sql(t), strict=True)),
    }
    result = {}
    with connection.cursor() as cursor:
        for name, sql in statements.items():
            used = {k: v for k, v in params.items() if f"%({k})s" in sql}
            cursor.execute(sql, used)
            result[name] = cursor.fetchall()
    return result


def workbook_rows(path) -> Iterator[tuple[str, Iterator[tuple]]]:
    """Each sheet's title and its rows of values, streamed from a workbook (read-only mode)."""
    workbook = load_workbook(path, read_only=True)
    try:
        for sheet in workbook.worksheets:
            yield sheet.title, sheet.iter_rows(values_only=True)
    finally:
        workbook.close()


def workbook_values(path) -> list[tuple[str, list[tuple]]]:
    """Every sheet's title and rows of values, read once into memory, so that timing the floor
    times writing them and nothing else."""
    return [(title, [_trimmed(row) for row in rows]) for title, rows in workbook_rows(path)]


def _trimmed(row: tuple) -> tuple:
    end = len(row)
    while end and row[end - 1] is None:
        end -= 1
    return row[:end]


def xlsx_write_floor(sheets: Iterable[tuple[str, Iterable[tuple]]], out) -> None:
    """A bare write-only workbook with the same sheets, rows and cell values as the one read by
    ``workbook_values``: every value written as a plain cell, no styles, widths or print setup."""
    workbook = Workbook(write_only=True)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
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
