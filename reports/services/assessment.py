"""The quarterly assessment workbook (双考核): a row per unit, a row per branch, and how it is computed.

Every figure comes from grouped aggregate queries keyed by branch or by unit (one query per
figure, however many rows); the workbook is then streamed with openpyxl's write-only mode so
memory stays flat. The summary printed on 说明 comes from ``snapshots.region_figures`` — the
very function the dashboard's snapshots are built with — so the two agree.
"""

from __future__ import annotations

import datetime
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
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from activities.choices import TaskProgress, ThemeDayStatus
from activities.models import KeyTaskList, KeyTaskReport, ThemeDay
from activities.selectors import _month_end
from pairing import scope
from pairing.choices import HELPER_KINDS, RegionLevel
from pairing.models import Branch, Pairing, Region, Unit
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

from ..models import AssessmentExport, AssessmentWeights
from . import figures as f
from .rates import truncated_rate
from .snapshots import region_figures

RED = PatternFill("solid", start_color="FFC7CE", end_color="FFC7CE")
HEADER_FILL = PatternFill("solid", start_color="C8102E", end_color="C8102E")
HEADER_FONT = Font(bold=True, color="FFFFFF")
FORMULA_START = ("=", "+", "-", "@")
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


# --- figures keyed by branch or by unit ---------------------------------------------------------


@dataclass(frozen=True)
class Keys:
    """Where the grouping key lives from each model: the branch itself, or its unit."""

    branch: str
    helper: str
    partner: str
    reg_branch: str
    member: str

    @classmethod
    def by(cls, level: str) -> Keys:
        if level == "branch":
            return cls("pk", "helper_id", "partner_id", "registration__branch_id", "member__branch_id")
        return cls(
            "unit_id", "helper__unit_id", "partner__unit_id", "registration__branch__unit_id", "member__branch__unit_id"
        )


def _rows(queryset: QuerySet, key: str, **aggregates) -> dict:
    return {row.pop(key): row for row in queryset.order_by().values(key).annotate(**aggregates) if row[key] is not None}


def assessment_figures(*, branches: QuerySet[Branch], quarter: Quarter, level: str) -> dict[int, dict]:
    """{branch or unit id: figures} for the quarter, from grouped aggregates (about ten queries).

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
    """
    keys = Keys.by(level)
    as_of = quarter_as_of(quarter)
    ids = branches.order_by().values("pk")
    result: dict[int, dict] = {}

    def merge(rows: dict) -> None:
        for key, row in rows.items():
            target = result.setdefault(key, dict.fromkeys(FIGURE_KEYS, 0))
            for name, value in row.items():
                target[name] += value or 0

    active_now = Pairing.objects.filter(f.pairing_active_on(as_of))
    merge(
        _rows(
            branches,
            keys.branch,
            branches=Count("pk"),
            paired=Count(
                "pk",
                filter=Q(Exists(active_now.filter(helper=OuterRef("pk"))))
                | Q(Exists(active_now.filter(partner=OuterRef("pk")))),
            ),
        )
    )

    months = [datetime.date(quarter.year, m, 1) for m in range(quarter.start.month, quarter.end.month + 1)]
    months = [m for m in months if m <= as_of]
    if months:
        due, held, confirmed = [], [], []
        for month in months:
            active = f.active_in_month(month, as_of=as_of)
            in_month = ThemeDay.objects.filter(
                pairing=OuterRef("pk"), held_on__gte=month, held_on__lte=min(_month_end(month), as_of)
            )
            due.append(When(active, then=Value(1)))
            held.append(When(active & Q(Exists(in_month.exclude(status=ThemeDayStatus.RETURNED))), then=Value(1)))
            confirmed.append(When(active & Q(Exists(in_month.filter(status=ThemeDayStatus.CONFIRMED))), then=Value(1)))

        def month_sum(whens):
            return Sum(sum((Case(w, default=Value(0), output_field=IntegerField()) for w in whens), Value(0)))

        for side in ("helper", "partner"):
            pairings = Pairing.objects.filter(**{f"{side}__in": ids})
            merge(
                _rows(
                    pairings,
                    getattr(keys, side),
                    td_due=month_sum(due),
                    td_held=month_sum(held),
                    td_confirmed=month_sum(confirmed),
                )
            )

    city_id = branches.values_list("city_id", flat=True).first()
    city = Region.objects.filter(pk=city_id).first()
    lists = (
        list(
            KeyTaskList.objects.filter(year=as_of.year, half=f.half_of(as_of), region__path__startswith=city.path)
            .select_related("region")
            .annotate(due_items=Count("tasks", filter=Q(tasks__due_on__lte=as_of)))
        )
        if city
        else []
    )
    if lists:
        due_items = sum(
            (
                Case(
                    When(scope.region_pairing_q(tl.region), then=Value(tl.due_items)),
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
        for side in ("helper", "partner"):
            pairings = Pairing.objects.filter(f.pairing_active_on(as_of), **{f"{side}__in": ids}).annotate(
                n_done_one=f._count_subquery(done, "pk"), n_due_one=due_items
            )
            merge(_rows(pairings, getattr(keys, side), n_done=Sum("n_done_one"), n_due=Sum("n_due_one")))

    in_quarter = (quarter.start, quarter.end)
    claims = Claim.objects.filter(registration__branch__in=ids)
    merge(
        _rows(
            claims.filter(project__starts_on__year=quarter.year),
            keys.reg_branch,
            year_projects=Count("project_id", distinct=True),
        )
    )
    merge(
        _rows(
            claims.filter(project__starts_on__range=in_quarter),
            keys.reg_branch,
            quarter_activities=Count("project_id", distinct=True),
        )
    )
    merge(
        _rows(
            WhistleResponse.objects.filter(registration__branch__in=ids, whistle__happens_on__range=in_quarter),
            keys.reg_branch,
            quarter_activities=Count("whistle_id", distinct=True),
        )
    )
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
    merge(
        _rows(
            member_regs,
            keys.member,
            members=Count("member_id", distinct=True),
            members_on_target=Count("member_id", distinct=True, filter=Q(vm__gte=MEMBER_QUARTER_TARGET_HOURS * 60)),
        )
    )
    return result


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


def _figure_cells(ws, headers, row: dict, missed: set[str]):
    cells = []
    for key, _label, _width in headers:
        value = row.get(key)
        if key == "score":
            cells.append(_cell(ws, value, number_format="0.00"))
        elif key in FIGURE_KEYS and value is None:
            cells.append(_cell(ws, None))  # does not apply to this branch
        elif key in FIGURE_KEYS and key not in missed:
            cells.append(value)  # a plain integer: no style, the cheapest cell to stream
        elif key in FIGURE_KEYS:
            cells.append(_cell(ws, value, number_format="0", fill=RED))
        else:
            cells.append(_cell(ws, value if value is not None else ""))
    return cells


def units_of(region: Region) -> QuerySet[Unit]:
    if region.level == RegionLevel.CITY:
        return Unit.objects.filter(city=region)
    return Unit.objects.filter(county=region)


def branches_of(region: Region) -> QuerySet[Branch]:
    if region.level == RegionLevel.CITY:
        return Branch.objects.filter(city=region)
    return Branch.objects.filter(county=region)


def workbook_write(
    *,
    region: Region,
    quarter: Quarter,
    weights: dict[str, int],
    out,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Stream the assessment workbook of a region to ``out`` (a path or binary file); returns
    the dashboard summary printed on 说明."""
    as_of = quarter_as_of(quarter)
    branches = branches_of(region)
    units = units_of(region)
    unit_figures = assessment_figures(branches=branches.filter(unit__isnull=False), quarter=quarter, level="unit")
    branch_figures = assessment_figures(branches=branches, quarter=quarter, level="branch")
    total = units.count() + len(branch_figures) + 1
    done = 0

    def step(n=1):
        nonlocal done
        done += n
        if progress and (done % PROGRESS_EVERY == 0 or done == total):
            progress(done, total)

    wb = Workbook(write_only=True)
    level_labels = dict(Unit._meta.get_field("level").choices)
    ws = _sheet(wb, "单位考核", UNIT_HEADERS)
    for unit in units.select_related("county").order_by("level", "county__path", "name").iterator(chunk_size=2000):
        row = {**dict.fromkeys(FIGURE_KEYS, 0), **unit_figures.get(unit.pk, {})}
        row.update(
            name=unit.name,
            level=str(level_labels.get(unit.level, unit.level)),
            county=unit.county.name if unit.county_id else "",
            score=score(row, weights),
        )
        ws.append(_figure_cells(ws, UNIT_HEADERS, row, misses(row)))
        step()

    kind_labels = dict(Branch._meta.get_field("kind").choices)
    ws = _sheet(wb, "支部明细", BRANCH_HEADERS)
    values = branches.order_by("county__path", "township__path", "code").values(
        "pk", "code", "name", "kind", "level", "county__name", "township__name", "unit__name"
    )
    for b in values.iterator(chunk_size=2000):
        volunteer = b["kind"] in HELPER_KINDS
        row = {**dict.fromkeys(FIGURE_KEYS, 0), **branch_figures.get(b["pk"], {})}
        row.update(
            code=b["code"],
            name=b["name"],
            kind=str(kind_labels.get(b["kind"], b["kind"])),
            level=str(level_labels.get(b["level"], b["level"])),
            county=b["county__name"] or "",
            township=b["township__name"] or "",
            unit=b["unit__name"] or "",
            score=score(row, weights, volunteer=volunteer),
        )
        if not volunteer:
            row["year_projects"] = row["quarter_activities"] = None
        ws.append(_figure_cells(ws, BRANCH_HEADERS, row, misses(row, volunteer=volunteer)))
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
    """The region's headline figures as of the date, from the function the snapshots use."""
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
