"""The quarterly assessment workbook (双考核): a row per unit, a row per branch, and how it is computed.

The figures come from one query over the region's pairings (each pairing's theme-day and N-list
figures, added to both of its sides and their units in Python) and a few small grouped queries for
the volunteer figures, however many rows; the branch sheet is then streamed from the database in
chunks into openpyxl's write-only mode, so memory stays flat. The summary printed on 说明 is the
dashboard's snapshot of the date, or else ``snapshots.region_figures`` — the very function the
snapshots are built with — so the two agree.
"""

from __future__ import annotations

import datetime
import functools
import os
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from activities.choices import TaskProgress, ThemeDayStatus
from activities.models import KeyTaskList, KeyTaskReport, ThemeDay
from activities.selectors import _month_end
from pairing import scope
from pairing.choices import HELPER_KINDS, RegionLevel
from pairing.models import Branch, Pairing, Region, Unit
from twinning.rows import choice_labels
from volunteers.choices import (
    MEMBER_QUARTER_TARGET_HOURS,
    UNIT_QUARTER_TARGET_ACTIVITIES,
    UNIT_YEAR_TARGET_PROJECTS,
    HourStatus,
    RegistrationKind,
    RegistrationStatus,
)
from volunteers.models import Claim, HourEntry, Registration, WhistleResponse
from volunteers.selectors import Quarter

from ..models import AssessmentExport, AssessmentWeights, Snapshot
from . import figures as f
from .rates import truncated_rate
from .snapshots import region_figures

RED = PatternFill("solid", start_color="FFC7CE", end_color="FFC7CE")
HEADER_FILL = PatternFill("solid", start_color="C8102E", end_color="C8102E")
HEADER_FONT = Font(bold=True, color="FFFFFF")
FORMULA_START = ("=", "+", "-", "@")
RISKY_FIRST = frozenset("=+-@#")  # formulas and error codes (#N/A) start with one of these
PROGRESS_EVERY = 500

FIGURE_KEYS = (
    "branches",
    "paired",
    "td_due",
    "td_held",
    "td_confirmed",
    "n_done",
    "n_due",
    "year_projects",
    "quarter_activities",
    "members",
    "members_on_target",
)


# --- the period ------------------------------------------------------------------------------


def parse_quarter(text: str) -> Quarter:
    """``2024Q3`` → Quarter(2024, 3); ValueError with a clear message otherwise."""
    text = (text or "").strip().upper()
    year, sep, number = text.partition("Q")
    if not (sep and year.isdigit() and number.isdigit() and 1 <= int(number) <= 4 and 2000 <= int(year) <= 2100):
        raise ValueError(_("季度格式应为 2024Q3。"))
    return Quarter(int(year), int(number))


def quarter_as_of(quarter: Quarter) -> datetime.date:
    """The figures of a past quarter are as of its last day; of the current one, as of today."""
    return min(quarter.end, timezone.localdate())


# --- figures keyed by branch and by unit ---------------------------------------------------------

BRANCHES, PAIRED = FIGURE_KEYS.index("branches"), FIGURE_KEYS.index("paired")
# The figures one pairing adds to each side in the region (the order of _pairing_rows' annotations).
PAIRING_KEYS = ("td_due", "td_held", "td_confirmed", "n_done", "n_due")
PAIRING_INDEXES = tuple(FIGURE_KEYS.index(k) for k in PAIRING_KEYS)
# Blank on the branch sheet for partner branches (农村/社区): they claim no projects.
VOLUNTEER_INDEXES = frozenset(FIGURE_KEYS.index(k) for k in ("year_projects", "quarter_activities"))


@dataclass(frozen=True)
class Keys:
    """Where the grouping key lives from each volunteer model: the branch itself, or its unit."""

    reg_branch: str
    member: str

    @classmethod
    def by(cls, level: str) -> Keys:
        if level == "branch":
            return cls("registration__branch_id", "member__branch_id")
        return cls("registration__branch__unit_id", "member__branch__unit_id")


def _rows(queryset: QuerySet, key: str, **aggregates) -> dict:
    return {row.pop(key): row for row in queryset.order_by().values(key).annotate(**aggregates) if row[key] is not None}


def _region_field(region: Region) -> str:
    """The branch field that places a branch in the region (see ``branches_of``)."""
    return "city" if region.level == RegionLevel.CITY else "county"


def _month_sum(whens: list[When]):
    return sum((Case(w, default=Value(0), output_field=IntegerField()) for w in whens), Value(0))


def _pairing_rows(*, region: Region, quarter: Quarter) -> QuerySet:
    """One row per pairing with either side in the region: (helper, helper's unit, partner,
    partner's unit, helper in the region, partner in the region, active on as-of, *PAIRING_KEYS).

    A pairing's figures are computed once and added to both of its sides in Python, instead of
    one grouped query per side and per level (four passes over the theme days before).
    """
    as_of = quarter_as_of(quarter)
    field = _region_field(region)
    helper_in, partner_in = Q(**{f"helper__{field}": region}), Q(**{f"partner__{field}": region})
    active_now = f.pairing_active_on(as_of)

    months = [datetime.date(quarter.year, m, 1) for m in range(quarter.start.month, quarter.end.month + 1)]
    due, held, confirmed = [], [], []
    for month in (m for m in months if m <= as_of):
        active = f.active_in_month(month, as_of=as_of)
        in_month = ThemeDay.objects.filter(
            pairing=OuterRef("pk"), held_on__gte=month, held_on__lte=min(_month_end(month), as_of)
        )
        due.append(When(active, then=Value(1)))
        held.append(When(active & Q(Exists(in_month.exclude(status=ThemeDayStatus.RETURNED))), then=Value(1)))
        confirmed.append(When(active & Q(Exists(in_month.filter(status=ThemeDayStatus.CONFIRMED))), then=Value(1)))

    city = _city(region)
    lists = list(
        KeyTaskList.objects.filter(year=as_of.year, half=f.half_of(as_of), region__path__startswith=city.path)
        .select_related("region")
        .annotate(due_items=Count("tasks", filter=Q(tasks__due_on__lte=as_of)))
    )
    n_due = sum(
        (
            Case(
                When(active_now & scope.region_pairing_q(tl.region), then=Value(tl.due_items)),
                default=Value(0),
                output_field=IntegerField(),
            )
            for tl in lists
        ),
        Value(0),
    )
    done = KeyTaskReport.objects.filter(
        pairing=OuterRef("pk"),
        status=TaskProgress.DONE,
        task__task_list__in=[tl.pk for tl in lists],
        task__due_on__lte=as_of,
    )
    n_done = (
        Case(When(active_now, then=f._count_subquery(done, "pk")), default=Value(0), output_field=IntegerField())
        if lists
        else Value(0)
    )
    flag = {"default": Value(False), "output_field": BooleanField()}
    return (
        Pairing.objects.filter(helper_in | partner_in)
        .annotate(
            helper_inside=Case(When(helper_in, then=Value(True)), **flag),
            partner_inside=Case(When(partner_in, then=Value(True)), **flag),
            active_now=Case(When(active_now, then=Value(True)), **flag),
            td_due=_month_sum(due),
            td_held=_month_sum(held),
            td_confirmed=_month_sum(confirmed),
            n_done_one=n_done,
            n_due_one=n_due,
        )
        .order_by()
        .values_list(
            "helper_id",
            "helper__unit_id",
            "partner_id",
            "partner__unit_id",
            "helper_inside",
            "partner_inside",
            "active_now",
            "td_due",
            "td_held",
            "td_confirmed",
            "n_done_one",
            "n_due_one",
        )
    )


def _volunteer_rows(*, ids: QuerySet, quarter: Quarter, level: str) -> list[dict]:
    """Claims, whistles and members keyed by branch or unit (distinct per key, so not summed
    from branches to units). Volunteer data is small: a few grouped queries per level."""
    keys = Keys.by(level)
    in_quarter = (quarter.start, quarter.end)
    claims = Claim.objects.filter(registration__branch__in=ids)
    minutes = (
        HourEntry.objects.filter(
            member_id=OuterRef("member_id"), status=HourStatus.VERIFIED, served_on__range=in_quarter
        )
        .order_by()
        .values("member_id")
    )
    member_regs = Registration.objects.filter(
        kind=RegistrationKind.MEMBER, status=RegistrationStatus.ACCEPTED, member__branch__in=ids
    ).annotate(vm=Coalesce(Subquery(minutes.annotate(t=Sum("minutes")).values("t")[:1]), Value(0)))
    return [
        _rows(
            claims.filter(project__starts_on__year=quarter.year),
            keys.reg_branch,
            year_projects=Count("project_id", distinct=True),
        ),
        _rows(
            claims.filter(project__starts_on__range=in_quarter),
            keys.reg_branch,
            quarter_activities=Count("project_id", distinct=True),
        ),
        _rows(
            WhistleResponse.objects.filter(registration__branch__in=ids, whistle__happens_on__range=in_quarter),
            keys.reg_branch,
            quarter_activities=Count("whistle_id", distinct=True),
        ),
        _rows(
            member_regs,
            keys.member,
            members=Count("member_id", distinct=True),
            members_on_target=Count("member_id", distinct=True, filter=Q(vm__gte=MEMBER_QUARTER_TARGET_HOURS * 60)),
        ),
    ]


def assessment_figures(*, region: Region, quarter: Quarter) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    """({branch id: figures}, {unit id: figures}) of the region for the quarter, each a list in
    FIGURE_KEYS order. A branch missing from the first has ``branch_default()``; a unit missing
    from the second has zeros.

    - branches / paired: the branches, those with a pairing active on the as-of date (either side);
    - td_due / td_held / td_confirmed: pairing-months of the quarter (up to as-of) in which the
      pairing counted (active on a day of the month), had a theme day recorded (not returned),
      had one confirmed — summed over the pairings where the branch is either side;
    - n_done / n_due: the N list items of the half year due by as-of × the pairings active on
      as-of in each list's region, and the items those pairings reported done;
    - year_projects / quarter_activities: distinct projects claimed that start in the year; projects
      claimed that start in the quarter plus whistles answered in the quarter (the unit targets);
    - members / members_on_target: in-service members of the branch (workplace) registered at a
      community, and those with ≥10 verified hours in the quarter.

    A unit's figures are its branches' summed, except the volunteer ones, which count distinct
    projects, whistles and members per unit. Only the branches with a pairing or volunteer
    figure are held in memory, each as a list of ints (the branch sheet streams the rest).
    """
    branches = branches_of(region)
    by_branch: dict[int, list[int]] = {}
    by_unit: dict[int, list[int]] = {}

    for row in branches.filter(unit__isnull=False).order_by().values("unit_id").annotate(n=Count("pk")):
        by_unit.setdefault(row["unit_id"], unit_default())[BRANCHES] = row["n"]

    rows = _pairing_rows(region=region, quarter=quarter)
    for helper, helper_unit, partner, partner_unit, helper_in, partner_in, active, *figures in rows.iterator(
        chunk_size=5000
    ):
        for branch_id, unit_id, inside in ((helper, helper_unit, helper_in), (partner, partner_unit, partner_in)):
            if not inside:
                continue
            targets = [by_branch.get(branch_id) or by_branch.setdefault(branch_id, branch_default())]
            if unit_id is not None:
                targets.append(by_unit.get(unit_id) or by_unit.setdefault(unit_id, unit_default()))
            if active and not targets[0][PAIRED]:
                for target in targets:
                    target[PAIRED] += 1
            for target in targets:
                for index, value in zip(PAIRING_INDEXES, figures, strict=True):
                    target[index] += value

    with_unit = branches.filter(unit__isnull=False).order_by().values("pk")
    for ids, level, result, default in (
        (branches.order_by().values("pk"), "branch", by_branch, branch_default),
        (with_unit, "unit", by_unit, unit_default),
    ):
        for grouped in _volunteer_rows(ids=ids, quarter=quarter, level=level):
            for key, values in grouped.items():
                target = result.get(key) or result.setdefault(key, default())
                for name, value in values.items():
                    target[FIGURE_KEYS.index(name)] += value or 0
    return by_branch, by_unit


def unit_default() -> list[int]:
    return [0] * len(FIGURE_KEYS)


def branch_default() -> list[int]:
    """The figures of a branch with no pairing and no volunteer figure: one branch, nothing else."""
    row = [0] * len(FIGURE_KEYS)
    row[BRANCHES] = 1
    return row


# --- scores and misses ----------------------------------------------------------------------------


def _component_ratios(row: dict, *, volunteer: bool) -> dict[str, Fraction | None]:
    def ratio(num, den):
        return min(Fraction(num, den), Fraction(1)) if den else None

    ratios = {
        "w_paired": ratio(row["paired"], row["branches"]),
        "w_theme_days": ratio(row["td_confirmed"], row["td_due"]),
        "w_n_tasks": ratio(row["n_done"], row["n_due"]),
        "w_projects": None,
        "w_activities": None,
        "w_members": ratio(row["members_on_target"], row["members"]),
    }
    if volunteer:
        ratios["w_projects"] = ratio(row["year_projects"] or 0, UNIT_YEAR_TARGET_PROJECTS)
        ratios["w_activities"] = ratio(row["quarter_activities"] or 0, UNIT_QUARTER_TARGET_ACTIVITIES)
    return ratios


def score(row: dict, weights: dict[str, int], *, volunteer: bool = True) -> float | None:
    """Σ weight × ratio ÷ Σ weight over the components that apply (a denominator > 0), × 100,
    truncated to two decimals (exact fractions, so 77.5 is never 77.49). None when nothing applies."""
    ratios = _component_ratios(row, volunteer=volunteer)
    applicable = {k: r for k, r in ratios.items() if r is not None and weights.get(k)}
    total_weight = sum(weights[k] for k in applicable)
    if not total_weight:
        return None
    value = sum(weights[k] * r for k, r in applicable.items()) / total_weight
    return truncated_rate(value.numerator, value.denominator)


def misses(row: dict, *, volunteer: bool = True) -> set[str]:
    """The figures whose target is missed (coloured red in the workbook)."""
    missed = set()
    if row["paired"] < row["branches"]:
        missed.add("paired")
    if row["td_confirmed"] < row["td_due"]:
        missed.add("td_confirmed")
    if row["n_done"] < row["n_due"]:
        missed.add("n_done")
    if volunteer and row["year_projects"] < UNIT_YEAR_TARGET_PROJECTS:
        missed.add("year_projects")
    if volunteer and row["quarter_activities"] < UNIT_QUARTER_TARGET_ACTIVITIES:
        missed.add("quarter_activities")
    if row["members_on_target"] < row["members"]:
        missed.add("members_on_target")
    return missed


# --- the workbook -------------------------------------------------------------------------------

FIGURE_HEADERS = [
    ("branches", "支部数", 8),
    ("paired", "已结对支部", 10),
    ("td_due", "主题党日应开展", 12),
    ("td_held", "主题党日已开展", 12),
    ("td_confirmed", "主题党日已确认", 12),
    ("n_done", "重点任务完成项", 12),
    ("n_due", "重点任务应完成项", 14),
    ("year_projects", "本年认领项目", 12),
    ("quarter_activities", "本季度社区活动", 12),
    ("members", "报到党员", 10),
    ("members_on_target", "服务满10小时党员", 14),
]
UNIT_HEADERS = [
    ("name", "单位", 30),
    ("level", "层级", 8),
    ("county", "县区", 10),
    *FIGURE_HEADERS,
    ("score", "得分", 8),
]
BRANCH_HEADERS = [
    ("code", "支部编码", 16),
    ("name", "支部名称", 32),
    ("kind", "类型", 8),
    ("level", "层级", 8),
    ("county", "县区", 10),
    ("township", "乡镇街道", 12),
    ("unit", "所属单位", 24),
    *[h for h in FIGURE_HEADERS if h[0] != "branches"],
    ("score", "得分", 8),
]

EXPLANATIONS = [
    ("支部数", "单位所属党支部数（支部明细表中为该支部本身）。"),
    ("已结对支部", "截至统计日有在结对关系（任一方）的支部数。"),
    (
        "主题党日应开展",
        "本季度各月（截至统计日）结对关系有效（当月至少一天在结对）的“结对·月”数，按该支部参与的结对合计。",
    ),
    ("主题党日已开展", "其中当月已录入主题党日（未被退回）的“结对·月”数。"),
    ("主题党日已确认", "其中当月主题党日已经双方确认的“结对·月”数；少于应开展时标红。"),
    (
        "重点任务完成项/应完成项",
        "本半年度重点任务清单中完成时限不晚于统计日的任务数 × 该清单区域内截至统计日在结对的结对数为应完成项；已填报“已完成”的为完成项；未全部完成时标红。",
    ),
    ("本年认领项目", "本年度开始的社区服务项目中被该单位（支部）认领的项目数；目标每年不少于2个，未达标标红。"),
    ("本季度社区活动", "本季度开始且被认领的服务项目数，加上本季度响应的“吹哨”次数；目标每季度不少于1次，未达标标红。"),
    ("报到党员", "工作单位属于该单位（支部）、在社区报到并已通过的在职党员数。"),
    ("服务满10小时党员", "其中本季度经社区认定的服务时长不少于10小时的党员数；少于报到党员时标红。"),
    (
        "得分",
        "各项完成比例（达到目标记满分，不超过100%）按权重加权平均 × 100，只计有分母的项目，截断保留两位小数。农村、社区等被帮扶支部不计认领项目和社区活动两项。",
    ),
]
# Chinese in the workbook; the assessment page translates them ({% translate label %}).
WEIGHT_LABELS = {
    "w_paired": gettext_noop("结对覆盖（已结对支部÷支部数）"),
    "w_theme_days": gettext_noop("主题党日（已确认÷应开展）"),
    "w_n_tasks": gettext_noop("重点任务（完成项÷应完成项）"),
    "w_projects": gettext_noop("认领项目（本年认领÷2）"),
    "w_activities": gettext_noop("社区活动（本季度活动÷1）"),
    "w_members": gettext_noop("党员服务时长（满10小时÷报到党员）"),
}


def _cell(ws, value, *, fill=None, number_format=None, bold=False):
    """A cell of the header and notes sheets (a few hundred); the two big sheets use SheetCells."""
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever the first character
        if value.startswith(FORMULA_START):
            cell.quotePrefix = True
    if fill is not None:
        cell.fill = fill
    if number_format:
        cell.number_format = number_format
    if bold:
        cell.font = Font(bold=True)
    return cell


class SheetCells:
    """The cells of a unit or branch row, built as cheaply as openpyxl's write-only mode allows.

    - A plain value is the cheapest cell (openpyxl streams it through one reused cell object), so
      numbers and ordinary text go out as plain values; only text Excel would misread gets a cell.
    - A styled cell (a missed target in red, the score's number format) is built from a style
      made once per sheet: assigning a Fill or number format to a cell makes openpyxl hash it on
      every assignment, which cost more than writing the cell.
    - A row's figure cells depend only on its figures, and a province has a few hundred distinct
      sets of them, so they are built once per set and the same cell objects are appended again.
      That is sound in write-only mode: ``append`` serialises each cell (at the position it is
      appended at) before it looks at the next one, and keeps no reference to it.
    """

    def __init__(self, ws, *, weights: dict[str, int], columns: list[str]):
        self.ws = ws
        self.weights = weights
        self.indexes = [FIGURE_KEYS.index(key) for key in columns]
        self.red = self._style(fill=RED, number_format="0")
        self.score_format = self._style(number_format="0.00")
        self.figures = functools.lru_cache(maxsize=4096)(self._figures)

    def _style(self, **attributes):
        prototype = WriteOnlyCell(self.ws)
        for name, value in attributes.items():
            setattr(prototype, name, value)
        return prototype._style  # the style ids; copied by every Cell built with style_array

    def _styled(self, value, style) -> Cell:
        return Cell(self.ws, row=1, column=1, value=value, style_array=style)

    def text(self, value: str):
        """Text stays text: what Excel would read as a formula or an error code gets a string cell."""
        if value[:1] in RISKY_FIRST and (value.startswith(FORMULA_START) or value in ERROR_CODES):
            return _cell(self.ws, value)
        return value

    def _figures(self, values: tuple[int, ...], volunteer: bool = True) -> tuple:
        """The figure columns and the score; the volunteer-only figures are blank for a partner."""
        row = dict(zip(FIGURE_KEYS, values, strict=True))
        missed = {FIGURE_KEYS.index(key) for key in misses(row, volunteer=volunteer)}
        cells = []
        for index in self.indexes:
            if index in missed:
                cells.append(self._styled(values[index], self.red))
            elif volunteer or index not in VOLUNTEER_INDEXES:
                cells.append(values[index])
            else:
                cells.append(None)  # does not apply to this branch
        cells.append(self._styled(score(row, self.weights, volunteer=volunteer), self.score_format))
        return tuple(cells)


def _sheet(wb: Workbook, title: str, headers: list[tuple[str, str, int]]):
    ws = wb.create_sheet(title)
    for i, (_key, _label, width) in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    header = []
    for _key, label, _width in headers:
        cell = WriteOnlyCell(ws, value=label)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        header.append(cell)
    ws.append(header)
    return ws


def _figure_columns(headers) -> list[str]:
    return [key for key, _label, _width in headers if key in FIGURE_KEYS]


def units_of(region: Region) -> QuerySet[Unit]:
    if region.level == RegionLevel.CITY:
        return Unit.objects.filter(city=region)
    return Unit.objects.filter(county=region)


def branches_of(region: Region) -> QuerySet[Branch]:
    if region.level == RegionLevel.CITY:
        return Branch.objects.filter(city=region)
    return Branch.objects.filter(county=region)


def _labels(model, field: str) -> dict[str, str]:
    """A field's choice labels as plain strings, translated once rather than once per row."""
    return choice_labels(model._meta.get_field(field).choices)


def workbook_write(
    *,
    region: Region,
    quarter: Quarter,
    weights: dict[str, int],
    out,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Stream the assessment workbook of a region to ``out`` (a path or binary file); returns
    the dashboard summary printed on 说明.

    The branch sheet is streamed from the database in chunks (a server-side cursor on
    PostgreSQL); only the figures of branches in a pairing or with volunteer figures are held.
    """
    as_of = quarter_as_of(quarter)
    branches = branches_of(region)
    units = units_of(region)
    branch_figures, unit_figures = assessment_figures(region=region, quarter=quarter)
    total = units.count() + branches.count() + 1
    done = 0

    def step():
        nonlocal done
        done += 1
        if progress and (done % PROGRESS_EVERY == 0 or done == total):
            progress(done, total)

    wb = Workbook(write_only=True)
    level_labels = _labels(Unit, "level")
    ws = _sheet(wb, "单位考核", UNIT_HEADERS)
    cells = SheetCells(ws, weights=weights, columns=_figure_columns(UNIT_HEADERS))
    rows = units.order_by("level", "county__path", "name").values_list("pk", "name", "level", "county__name")
    for pk, name, level, county in rows.iterator(chunk_size=2000):
        ws.append(
            [
                cells.text(name),
                cells.text(level_labels.get(level, level)),
                cells.text(county) if county else None,
                *cells.figures(tuple(unit_figures.get(pk) or unit_default())),
            ]
        )
        step()

    kind_labels = _labels(Branch, "kind")
    ws = _sheet(wb, "支部明细", BRANCH_HEADERS)
    cells = SheetCells(ws, weights=weights, columns=_figure_columns(BRANCH_HEADERS))
    default = branch_default()
    rows = branches.order_by("county__path", "township__path", "code").values_list(
        "pk", "code", "name", "kind", "level", "county__name", "township__name", "unit__name"
    )
    for pk, code, name, kind, level, county, township, unit in rows.iterator(chunk_size=5000):
        ws.append(
            [
                cells.text(code),
                cells.text(name),
                cells.text(kind_labels.get(kind, kind)),
                cells.text(level_labels.get(level, level)),
                cells.text(county) if county else None,  # a blank cell rather than an empty string
                cells.text(township) if township else None,
                cells.text(unit) if unit else None,
                *cells.figures(tuple(branch_figures.get(pk, default)), kind in HELPER_KINDS),
            ]
        )
        step()

    summary = dashboard_summary(region=region, as_of=as_of)
    _notes_sheet(wb, region=region, quarter=quarter, as_of=as_of, weights=weights, summary=summary)
    step()
    wb.save(out)
    return summary


SUMMARY_ROWS = [
    ("coverage", "结对覆盖率", "paired", "total"),
    ("optimisation", "优化率", "optimised", "total"),
    ("theme_days", "统计月主题党日达标率", "confirmed", "active"),
    ("n_tasks", "重点任务完成率", "done", "due"),
    ("volunteers", "在职党员服务达标率", "members_on_target", "members"),
]


def dashboard_summary(*, region: Region, as_of: datetime.date) -> dict:
    """The region's headline figures as of the date: the dashboard's own snapshot of that date
    when there is one (the quarter-end and nightly refreshes write them), else computed with the
    function the snapshots are built with."""
    snapshot = Snapshot.objects.filter(region=region, as_of=as_of).values_list("figures", flat=True).first()
    if snapshot is not None:
        return snapshot
    own, _children = region_figures(region=region, as_of=as_of)
    return own


def _notes_sheet(wb, *, region, quarter, as_of, weights, summary):
    ws = wb.create_sheet("说明")
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 90
    ws.column_dimensions["C"].width = 14
    ws.column_dimensions["D"].width = 14
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.append([_cell(ws, f"{region.name}{quarter.label}双考核表", bold=True)])
    ws.append([_cell(ws, "统计日期"), _cell(ws, as_of.isoformat())])
    ws.append([_cell(ws, "生成时间"), _cell(ws, timezone.localtime().strftime("%Y-%m-%d %H:%M"))])
    ws.append([])
    ws.append([_cell(ws, "各列说明", bold=True)])
    for column, text in EXPLANATIONS:
        ws.append([_cell(ws, column), _cell(ws, text)])
    ws.append([])
    ws.append([_cell(ws, "本次使用的考核权重", bold=True)])
    for key, label in WEIGHT_LABELS.items():
        ws.append([_cell(ws, label), _cell(ws, weights.get(key, 0), number_format="0")])
    ws.append([])
    ws.append(
        [
            _cell(ws, "全区域汇总（与统计看板同一算法）", bold=True),
            _cell(ws, "指标"),
            _cell(ws, "分子"),
            _cell(ws, "分母"),
        ]
    )
    for key, label, num, den in SUMMARY_ROWS:
        row = summary.get(key) or {}
        rate = row.get("rate")
        ws.append(
            [
                _cell(ws, label),
                _cell(ws, rate if rate is not None else "—", number_format="0.00"),
                _cell(ws, row.get(num, 0), number_format="0"),
                _cell(ws, row.get(den, 0), number_format="0"),
            ]
        )
    hours = (summary.get("volunteers") or {}).get("verified_hours", 0)
    ws.append([_cell(ws, "本季度核实服务时长（小时）"), _cell(ws, hours, number_format="0.0")])
    ws.append([])
    ws.append([_cell(ws, "比率均为百分数，截断（不四舍五入）保留两位小数。红色底纹表示该项未达到目标。")])


# --- exports: start, build, read ----------------------------------------------------------------


def weights_for(city: Region) -> dict[str, int]:
    saved = AssessmentWeights.objects.filter(city=city).first()
    return (saved or AssessmentWeights(city=city)).as_dict()


@transaction.atomic
def weights_save(*, city: Region, data: dict, acting_user) -> AssessmentWeights:
    if not scope.can_manage(acting_user):
        raise PermissionDenied
    weights = AssessmentWeights.objects.select_for_update().filter(city=city).first() or AssessmentWeights(city=city)
    for name in AssessmentWeights.COMPONENTS:
        setattr(weights, name, data[name])
    weights.updated_by = acting_user
    weights._history_user = acting_user
    weights.save()
    return weights


def _city(region: Region) -> Region:
    return region if region.level == RegionLevel.CITY else Region.objects.get(pk=region.parent_id)


def region_in_scope(*, user, region: Region) -> bool:
    return (
        scope.can_manage(user)
        and Region.objects.filter(
            scope.region_q(user), pk=region.pk, level__in=[RegionLevel.CITY, RegionLevel.COUNTY]
        ).exists()
    )


def assessment_export_start(*, region: Region, quarter: Quarter, acting_user) -> AssessmentExport:
    """Record an export and queue its build once the row is committed."""

    if not region_in_scope(user=acting_user, region=region):
        raise PermissionDenied(_("只有本区域组织部工作人员可以导出考核表。"))
    with transaction.atomic():
        export = AssessmentExport.objects.create(
            region=region,
            year=quarter.year,
            quarter=quarter.number,
            weights=weights_for(_city(region)),
            requested_by=acting_user,
        )
        transaction.on_commit(lambda: _enqueue_build(export))
    return export


def _enqueue_build(export: AssessmentExport) -> None:
    from kombu.exceptions import OperationalError as BrokerUnavailable

    from ..tasks import build_assessment
    from .runs import QueueUnavailable

    try:
        # ignore_result: the page follows the export row; subscribing to a result would wait on a dead Redis.
        build_assessment.apply_async(kwargs={"export_id": export.pk}, ignore_result=True)
    except BrokerUnavailable as exc:  # say so instead of failing the page
        AssessmentExport.objects.filter(pk=export.pk).update(
            status=AssessmentExport.Status.FAILED, error=_("任务队列暂时不可用，请稍后再试。")
        )
        raise QueueUnavailable(_("任务队列暂时不可用，请稍后再试。")) from exc


def assessment_export_build(*, export_id: int) -> AssessmentExport:
    """Build the workbook of an export. The scope is applied again from the ids: the requester
    must still be staff of a region containing the export's region. Written to a temporary
    file first and only then saved to private storage, so a failed build leaves nothing."""
    export = AssessmentExport.objects.select_related("region", "requested_by").get(pk=export_id)
    user = export.requested_by
    if user is None or not region_in_scope(user=user, region=export.region):
        AssessmentExport.objects.filter(pk=export.pk).update(
            status=AssessmentExport.Status.FAILED, error=_("发起人已无权导出该区域。")
        )
        raise PermissionDenied("requester may no longer export this region")
    AssessmentExport.objects.filter(pk=export.pk).update(status=AssessmentExport.Status.RUNNING, progress=0)

    def progress(done, total):
        AssessmentExport.objects.filter(pk=export.pk).update(progress=done, total=total)

    quarter = Quarter(export.year, export.quarter)
    fd, tmp = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    try:
        workbook_write(region=export.region, quarter=quarter, weights=export.weights, out=tmp, progress=progress)
        with open(tmp, "rb") as fh:
            name = default_storage.save(f"private/assessments/{uuid.uuid4().hex}.xlsx", File(fh))
    except Exception as exc:
        AssessmentExport.objects.filter(pk=export.pk).update(
            status=AssessmentExport.Status.FAILED, error=str(exc)[:2000]
        )
        raise
    finally:
        os.unlink(tmp)
    old = AssessmentExport.objects.get(pk=export.pk).file.name
    AssessmentExport.objects.filter(pk=export.pk).update(
        status=AssessmentExport.Status.DONE, file=name, finished_at=timezone.now()
    )
    if old and old != name:
        default_storage.delete(old)  # a redelivered task replaces its earlier file
    export.refresh_from_db()
    return export


def export_filename(export: AssessmentExport) -> str:
    return f"{export.region.name}{export.quarter_code}双考核表.xlsx"
