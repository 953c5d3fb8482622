"""The check of a roster, which is also its preview: every row is read and classified as an error,
to create, to update (with the changes it makes) or unchanged, before anything is written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from ...choices import RegionLevel, UnitLevel
from ...models import Branch, BranchGrade, OptimisationRecord, Region, branch_place_errors
from ...roster import columns as c
from ...roster.imports import RosterRow, RowError
from .. import registry
from .context import BATCH, BRANCH_FIELDS, ImportContext, PlannedRow, branch_values

PREVIEW_LIMIT = 200
CREATE, UPDATE = "create", "update"
PLACE_COLUMNS = {"level": c.LEVEL, "county": c.COUNTY, "township": c.TOWNSHIP}
FIELD_COLUMNS = {
    "name": c.NAME,
    "kind": c.KIND,
    "level": c.LEVEL,
    "county_id": c.COUNTY,
    "township_id": c.TOWNSHIP,
    "unit_id": c.UNIT,
    "secretary_name": c.SECRETARY,
    "secretary_phone": c.PHONE,
    "member_count": c.MEMBERS,
}


@dataclass
class RowPreview:
    """What the import does with one row, for the preview page."""

    row: int
    code: str
    name: str
    action: str
    changes: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass
class RosterResult:
    """Counts, errors, and a sample of the planned rows; ``committed`` is true only after a write."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    new_townships: list[str] = field(default_factory=list)
    new_units: list[str] = field(default_factory=list)
    to_create: list[RowPreview] = field(default_factory=list)
    to_update: list[RowPreview] = field(default_factory=list)
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    def summary(self) -> str:
        return f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}"


def plan_rows(
    roster, context: ImportContext, result: RosterResult, progress: Callable[[int], None] | None
) -> list[PlannedRow]:
    """Check every row of ``roster`` a batch at a time: errors and counts go to ``result`` (errors in
    the file's order), the rows to write come back planned. ``progress(rows_read)`` follows the reading."""
    planned: list[PlannedRow] = []
    seen: dict[str, int] = {}
    batch: list[RosterRow] = []
    read = 0
    for read, item in enumerate(roster.rows(), start=1):
        if progress is not None and read % BATCH == 0:
            progress(read)
        if isinstance(item, list):
            result.errors.extend(item)
            continue
        if item.code in seen:
            result.errors.append(
                RowError(item.row, c.CODE, _("支部编码与第 %(row)d 行重复。") % {"row": seen[item.code]})
            )
            continue
        seen[item.code] = item.row
        batch.append(item)
        if len(batch) >= BATCH:
            planned.extend(_batch_plan(batch, context, result))
            batch = []
    if batch:
        planned.extend(_batch_plan(batch, context, result))
    if progress is not None:
        progress(read)
    result.errors.sort(key=_error_order)
    return planned


def _error_order(error: RowError) -> tuple[int, int]:
    column = c.HEADERS.index(error.column) if error.column in c.HEADERS else -1
    return (error.row or 0, column)


def _batch_plan(batch: list[RosterRow], context: ImportContext, result: RosterResult) -> list[PlannedRow]:
    """Classify a batch's rows as errors, to create, to update or unchanged (counted in ``result``);
    the rows to write come back planned."""
    existing, grades, optimised = _current_state(batch, context)
    planned = []
    for data in batch:
        errors, county_id, township_key = _row_places(data, context)
        current = existing.get(data.code)
        errors.extend(_code_and_campaign_errors(data, current, context))
        if errors:
            result.errors.extend(errors)
            continue
        _note_new_places(data, context, county_id, township_key)
        preview = RowPreview(row=data.row, code=data.code, name=data.name, action=CREATE)
        if current is None:
            result.created += 1
            if len(result.to_create) < PREVIEW_LIMIT:
                result.to_create.append(preview)
            planned.append(
                PlannedRow(data, None, county_id, township_key, (), data.grade is not None, data.optimised or None)
            )
            continue
        changes, update = _update_plan(
            data,
            current,
            context,
            county_id,
            township_key,
            grade=grades.get(current["id"]),
            optimised=current["id"] in optimised,
        )
        if not changes:
            result.unchanged += 1
            continue
        result.updated += 1
        if len(result.to_update) < PREVIEW_LIMIT:
            preview.action, preview.changes = UPDATE, changes
            result.to_update.append(preview)
        planned.append(update)
    return planned


def _current_state(batch: list[RosterRow], context: ImportContext) -> tuple[dict[str, dict], dict[int, str], set[int]]:
    """The branches a batch's codes name (whether each is in scope, and its fields), this year's
    grades of those in scope, and which of them have a record in the current campaign."""
    codes = [row.code for row in batch]
    existing = {
        b["code"]: b
        for b in Branch.objects.filter(code__in=codes)
        .annotate(in_scope=context.in_scope)
        .values("id", "code", "in_scope", "region_id", *BRANCH_FIELDS)
    }
    ids = [b["id"] for b in existing.values() if b["in_scope"]]
    grades = dict(BranchGrade.objects.filter(branch_id__in=ids, year=context.year).values_list("branch_id", "grade"))
    optimised = set()
    if context.campaign is not None:
        optimised = set(
            OptimisationRecord.objects.filter(branch_id__in=ids, campaign=context.campaign).values_list(
                "branch_id", flat=True
            )
        )
    return existing, grades, optimised


def _row_places(data: RosterRow, context: ImportContext) -> tuple[list[RowError], int | None, tuple | None]:
    """Check a row's places and scope; returns errors, the county id, and the township key."""
    errors, county, township_key, township = _county_and_township(data, context)
    county_id = county.pk if county else None
    if county is not None or not data.county:  # an unknown county is already an error
        errors.extend(_placement_errors(data, context, county_id, township))
    errors.extend(_unit_errors(data, context))
    return errors, county_id, township_key


def _county_and_township(data: RosterRow, context: ImportContext):
    """The row's county and township as the city has them, and what is wrong with them; a township
    still to be created is an unsaved ``Region`` (under the row's county, if it names one)."""
    errors: list[RowError] = []
    county = None
    if data.county:
        county = context.counties.get(data.county)
        if county is None:
            message = _("%(city)s没有名为“%(name)s”的县区。") % {"city": context.city.name, "name": data.county}
            errors.append(RowError(data.row, c.COUNTY, message))
    township_key = None
    township = None
    if data.township and county is not None:
        township_key = (county.pk, data.township)
        township = context.townships.get(township_key)
        if township is not None and township.level != RegionLevel.TOWNSHIP:
            errors.append(RowError(data.row, c.TOWNSHIP, _("“%(name)s”不是乡镇街道。") % {"name": data.township}))
    if data.township and township is None:
        township = Region(name=data.township, parent_id=county.pk if county else None)
    return errors, county, township_key, township


def _placement_errors(data: RosterRow, context: ImportContext, county_id, township) -> list[RowError]:
    """The branch model's placement rule, then the importing user's scope (``branch_create``'s checks)."""
    place = branch_place_errors(level=data.level, county_id=county_id, township=township)
    if not place and context.acting_user is not None:
        place = registry.branch_placement_errors(
            acting_user=context.acting_user, level=data.level, city_id=context.city.pk, county_id=county_id
        )
    return [RowError(data.row, PLACE_COLUMNS[name], str(message)) for name, message in place.items()]


def _unit_errors(data: RosterRow, context: ImportContext) -> list[RowError]:
    """County staff may name only their county's units."""
    unit = context.units.get(data.unit) if data.unit else None
    if unit is None or context.county_scope is None or unit.county_id == context.county_scope.pk:
        return []
    message = _("单位“%(name)s”不属于%(county)s。") % {"name": data.unit, "county": context.county_scope.name}
    return [RowError(data.row, c.UNIT, message)]


def _code_and_campaign_errors(data: RosterRow, current: dict | None, context: ImportContext) -> list[RowError]:
    """A code taken outside the user's scope, and 已优化 marked when the city has no campaign."""
    errors = []
    if current is not None and not current["in_scope"]:
        errors.append(RowError(data.row, c.CODE, _("该支部编码已被您管辖范围以外的支部使用。")))
    if data.optimised and context.campaign is None:
        errors.append(
            RowError(
                data.row,
                c.OPTIMISED,
                _("%(city)s没有当前优化批次，不能标记为已优化。") % {"city": context.city.name},
            )
        )
    return errors


def _note_new_places(data: RosterRow, context: ImportContext, county_id, township_key) -> None:
    """Remember the townships and units a row names that do not exist yet: the write creates them."""
    if township_key and township_key not in context.townships:
        context.new_townships.setdefault(township_key, None)
    if data.unit and data.unit not in context.units:
        context.new_units.setdefault(data.unit, (data.level, county_id if data.level == UnitLevel.COUNTY else None))


def _update_plan(
    data: RosterRow, current: dict, context: ImportContext, county_id, township_key, *, grade, optimised: bool
) -> tuple[list[tuple[str, str, str]], PlannedRow]:
    """The (column, old, new) changes a row makes to an existing branch, its grade (``grade`` is this
    year's) and its optimisation (``optimised``: in the current campaign), and the write they plan."""
    target = branch_values(data, context, county_id, township_key)
    changes, fields = _field_changes(data, current, target, context, township_key)
    grade_change = data.grade is not None and grade != data.grade
    if grade_change:
        changes.append((c.GRADE, c.GRADE_LABELS.get(grade, "") if grade else "", c.GRADE_LABELS[data.grade]))
    optimise = None
    if data.optimised is not None and data.optimised != optimised:
        optimise = data.optimised
        changes.append((c.OPTIMISED, c.NO if data.optimised else c.YES, c.YES if data.optimised else c.NO))
    return changes, PlannedRow(data, current["id"], county_id, township_key, tuple(fields), grade_change, optimise)


def _field_changes(
    data: RosterRow, current: dict, target: dict, context: ImportContext, township_key
) -> tuple[list[tuple[str, str, str]], list[str]]:
    """The (column, old, new) changes a row makes to a branch's fields, and the attnames to write.

    A township or unit still to be created has no id yet: it counts as a change, shown by name.
    """
    changes, fields = [], []
    for name in BRANCH_FIELDS:
        new = target[name]
        pending = new is None and ((name == "township_id" and township_key) or (name == "unit_id" and data.unit))
        if pending or current[name] != new:
            fields.append(name)
            shown = data.township if name == "township_id" else data.unit if name == "unit_id" else new
            changes.append(
                (
                    FIELD_COLUMNS[name],
                    _shown(name, current[name], context),
                    _shown(name, shown, context) if not pending else str(shown),
                )
            )
    if "township_id" in fields and current["region_id"] is not None:
        fields.append("region_id")  # the village belonged to the old township
    return changes, fields


def _shown(name: str, value, context: ImportContext) -> str:
    """A branch field's value as the preview shows it: labels for choices, names for ids."""
    if value is None or value == "":
        return ""
    if name == "kind":
        return c.KIND_LABELS.get(value, value)
    if name == "level":
        return c.LEVEL_LABELS.get(value, value)
    if name in ("county_id", "township_id"):
        return context.region_names.get(value, str(value))
    if name == "unit_id":
        return context.unit_names.get(value, str(value))
    return str(value)
