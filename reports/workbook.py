"""The quarterly assessment workbook (双考核表), the file format: a sheet of units, a sheet of
branches and the notes (说明), written with openpyxl's write-only mode.

The figures come from ``selectors.assessment.assessment_figures`` and the scores from
``services.assessment_scores``; the branch sheet is streamed from the database in chunks, so
memory stays flat.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.utils import timezone
from django.utils.translation import gettext_noop
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from pairing.choices import HELPER_KINDS
from pairing.models import Branch, Region, Unit
from twinning.rows import choice_labels
from volunteers.selectors import Quarter

from .periods import quarter_as_of
from .selectors.assessment import (
    FIGURE_KEYS,
    VOLUNTEER_INDEXES,
    assessment_figures,
    branch_default,
    branches_of,
    dashboard_summary,
    unit_default,
    units_of,
)
from .services.assessment_scores import misses, score

RED = PatternFill("solid", start_color="FFC7CE", end_color="FFC7CE")
HEADER_FILL = PatternFill("solid", start_color="C8102E", end_color="C8102E")
HEADER_FONT = Font(bold=True, color="FFFFFF")
FORMULA_START = ("=", "+", "-", "@")
RISKY_FIRST = frozenset("=+-@#")  # formulas and error codes (#N/A) start with one of these
PROGRESS_EVERY = 500

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
