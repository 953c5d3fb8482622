"""Writing rosters: the blank template and the (filtered) branch list, in the import format.

The export streams rows through openpyxl's write-only mode, so a city's whole registry is
written with flat memory. Text that a spreadsheet would take for a formula (it starts with
``=``, ``+``, ``-`` or ``@``) is written as a text cell with Excel's quote prefix: it is shown
and read back as typed, and never evaluated.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from .. import scope
from ..models import Branch, BranchGrade, OptimisationRecord
from ..selectors import registry as registry_selectors
from . import columns as c

SHEET_TITLE = "支部名册"
OPTIONS_TITLE = "选项"
HELP_TITLE = "填写说明"
TEMPLATE_ROWS = 5000
WIDTHS = {
    c.CODE: 14,
    c.NAME: 34,
    c.KIND: 10,
    c.LEVEL: 8,
    c.COUNTY: 10,
    c.TOWNSHIP: 14,
    c.UNIT: 24,
    c.SECRETARY: 10,
    c.PHONE: 15,
    c.MEMBERS: 8,
    c.GRADE: 8,
    c.OPTIMISED: 8,
}
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="FDE9E7")

HELP_LINES = (
    (c.CODE, gettext_lazy("必填，唯一；已存在的编码将更新该支部。以“示例”开头的行视为示例，不会导入。")),
    (c.NAME, gettext_lazy("必填。")),
    (c.KIND, gettext_lazy("机关、企业、事业、农村、社区、其他。")),
    (c.LEVEL, gettext_lazy("市直 或 县区。")),
    (c.COUNTY, gettext_lazy("层级为县区时必填，须为本市已有的县区。")),
    (c.TOWNSHIP, gettext_lazy("选填；县区下没有的乡镇街道将自动新建。")),
    (c.UNIT, gettext_lazy("选填；没有的单位将自动新建。")),
    (c.SECRETARY, gettext_lazy("选填。")),
    (c.PHONE, gettext_lazy("选填；11位手机号或带区号的固定电话。")),
    (c.MEMBERS, gettext_lazy("必填，不小于 0 的整数。")),
    (c.GRADE, gettext_lazy("本年度等次：好、中、差（也可写 强、弱）；留空表示不评定，不会删除已有等次。")),
    (
        c.OPTIMISED,
        gettext_lazy("当前优化批次中是否已优化：是 或 否（留空视为否）；改为“否”将删除该支部在当前批次的优化记录。"),
    ),
)


def text_cell(sheet, value):
    """A write-only cell; strings that look like formulas stay text."""
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and value.startswith(c.FORMULA_PREFIXES):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def _header(sheet) -> list:
    cells = []
    for header in c.HEADERS:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cells.append(cell)
    return cells


def _set_widths(sheet) -> None:
    for index, header in enumerate(c.HEADERS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = WIDTHS[header]


def branch_row(branch, *, user) -> list:
    """A branch as roster values. ``branch`` comes from ``registry_selectors.branch_list`` (annotated)."""
    phone = scope.phone_for(user, branch.secretary_phone, branch=branch) if user is not None else branch.secretary_phone
    return [
        branch.code,
        branch.name,
        c.KIND_LABELS.get(branch.kind, branch.kind),
        c.LEVEL_LABELS.get(branch.level, branch.level),
        branch.county.name if branch.county_id else "",
        branch.township.name if branch.township_id else "",
        branch.unit.name if branch.unit_id else "",
        branch.secretary_name,
        phone,
        branch.member_count,
        c.GRADE_LABELS.get(branch.current_grade, "") if branch.current_grade else "",
        c.YES if branch.is_optimised else c.NO,
    ]


def city_branches(*, city) -> QuerySet[Branch]:
    """All branches of a city for a system export (no user), annotated like ``registry_selectors.branch_list``."""
    grade = BranchGrade.objects.filter(branch=OuterRef("pk"), year=registry_selectors.current_year()).values("grade")[
        :1
    ]
    optimised = OptimisationRecord.objects.filter(branch=OuterRef("pk"), campaign__is_current=True)
    return (
        Branch.objects.filter(city=city)
        .select_related("county", "township", "unit")
        .annotate(current_grade=Subquery(grade), is_optimised=Exists(optimised))
        .order_by("code")
    )


def roster_export(branches: Iterable, *, user, target) -> int:
    """Write branches to ``target`` (a path or a binary file) in the roster format; returns the row count.

    ``user`` decides whether phone numbers are shown in full (None: the system, in full).
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_TITLE)
    _set_widths(sheet)
    sheet.freeze_panes = "A2"
    sheet.append(_header(sheet))
    count = 0
    for branch in branches:
        sheet.append([text_cell(sheet, value) for value in branch_row(branch, user=user)])
        count += 1
    workbook.save(target)
    return count


def roster_template(*, county_names: list[str], target) -> None:
    """The blank roster: header, one sample row, drop-down lists for the enumerated columns."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    sheet.append(list(c.HEADERS))
    for cell in sheet[1]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
    sample_county = county_names[0] if county_names else ""
    sheet.append(
        [
            f"{c.SAMPLE_CODE_PREFIX}0001",
            _("%(county)s某某局机关第一党支部") % {"county": sample_county},
            c.KIND_LABELS["organ"],
            c.LEVEL_LABELS["county"],
            sample_county,
            "",
            _("%(county)s某某局") % {"county": sample_county},
            _("张三"),
            "13800000000",
            25,
            c.GRADE_LABELS["good"],
            c.NO,
        ]
    )
    for cell in sheet[2]:
        cell.font = Font(italic=True, color="808080")
    sheet.freeze_panes = "A2"
    _set_widths(sheet)

    options = workbook.create_sheet(OPTIONS_TITLE)
    lists = {
        c.KIND: list(c.KIND_LABELS.values()),
        c.LEVEL: list(c.LEVEL_LABELS.values()),
        c.COUNTY: county_names,
        c.GRADE: list(c.GRADE_LABELS.values()),
        c.OPTIMISED: [c.YES, c.NO],
    }
    for col, (header, values) in enumerate(lists.items(), start=1):
        options.cell(row=1, column=col, value=header)
        for row, value in enumerate(values, start=2):
            options.cell(row=row, column=col, value=value)
        if not values:
            continue
        letter = get_column_letter(col)
        target_letter = get_column_letter(c.HEADERS.index(header) + 1)
        validation = DataValidation(
            type="list",
            formula1=f"'{OPTIONS_TITLE}'!${letter}$2:${letter}${len(values) + 1}",
            allow_blank=True,
            showErrorMessage=header != c.COUNTY,
            errorTitle=_("输入有误"),
            error=_("请从下拉列表中选择%(column)s。") % {"column": header},
        )
        validation.add(f"{target_letter}2:{target_letter}{TEMPLATE_ROWS + 1}")
        sheet.add_data_validation(validation)
    options.sheet_state = "hidden"

    help_sheet = workbook.create_sheet(HELP_TITLE)
    help_sheet.append([_("列"), _("填写要求")])
    for header, line in HELP_LINES:
        help_sheet.append([header, str(line)])
    help_sheet.column_dimensions["A"].width = 12
    help_sheet.column_dimensions["B"].width = 100
    workbook.save(target)
