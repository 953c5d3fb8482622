"""Bulk import of a branch roster (支部名册): validate everything, then write all of it or nothing.

``roster_import`` is the one entry point for the web preview/confirm and the management
command. It reads the file once, checks every row (format, the city's counties, the
acting user's scope, duplicate codes, codes owned by branches outside the scope), and
classifies each row as to create, to update, or unchanged. Only when there is no error
and ``commit`` is true does it write, in the same transaction: new townships and units,
then branches, this year's grades and optimisation records, a chunk of rows per statement
(``twinning.audit``), each created, changed or deleted row leaving a history row that
names the importing user (None when the system imports from the command line).

Rules that the roster format leaves open:

- 等次 blank never deletes a grade; a missing 等次 column leaves grades alone.
- 已优化 is about the city's current optimisation campaign. 是 on a branch that is not
  optimised adds a record (action "other", note "名册导入", done today); 否 on an optimised
  branch deletes that campaign's records for the branch (history keeps them, with the
  importing user). 是 with no current campaign is an error. A missing 已优化 column leaves
  optimisation alone.
- A branch whose 乡镇街道 changes loses its 村/社区 (which belonged to the old township).
"""

from __future__ import annotations

import contextlib
import datetime
import gc
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from twinning import audit as bulk
from twinning.queue import enqueue_on_commit

from ... import scope
from ...choices import OptimisationAction, RegionLevel, UnitLevel
from ...models import Branch, BranchGrade, OptimisationRecord, Region, RosterImport, Unit, branch_place_errors
from ...roster import columns as c
from ...roster.imports import RosterFileError, RosterRow, RowError, open_roster
from ...selectors import registry as registry_selectors
from .. import registry

logger = logging.getLogger(__name__)

BATCH = 1000
PREVIEW_LIMIT = 200
OPTIMISATION_NOTE = "名册导入"

CREATE, UPDATE = "create", "update"
BRANCH_FIELDS = (
    "name",
    "kind",
    "level",
    "county_id",
    "township_id",
    "unit_id",
    "secretary_name",
    "secretary_phone",
    "member_count",
)
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


@dataclass(slots=True)
class _Planned:
    """A row that needs writing, resolved against the database."""

    data: RosterRow
    branch_id: int | None
    county_id: int | None
    township_key: tuple[int, str] | None
    fields: tuple[str, ...]  # the branch fields an update changes (attnames), empty when none
    grade_change: bool
    optimise: bool | None  # True: add a record, False: remove records, None: nothing


class _Context:
    """Reference data of the city, read once: counties, townships, units, the current campaign."""

    def __init__(self, *, city: Region, county_scope: Region | None, acting_user):
        self.city = city
        self.county_scope = county_scope
        self.acting_user = acting_user
        self.year = registry_selectors.current_year()
        self.campaign = registry_selectors.current_optimisation_campaign(city_id=city.pk)
        counties = Region.objects.filter(parent=city, level=RegionLevel.COUNTY)
        self.counties = {r.name: r for r in counties}
        self.region_names = {r.pk: r.name for r in counties}
        self.townships: dict[tuple[int, str], Region] = {}
        for region in Region.objects.filter(parent__in=counties):
            self.townships[(region.parent_id, region.name)] = region
            self.region_names[region.pk] = region.name
        self.units = {u.name: u for u in Unit.objects.filter(city=city)}
        self.unit_names = {u.pk: u.name for u in self.units.values()}
        self.new_townships: dict[tuple[int, str], None] = {}
        self.new_units: dict[str, tuple[str, int | None]] = {}
        in_scope = Q(city_id=city.pk)
        if acting_user is not None:
            in_scope &= scope.branch_q(acting_user)
        self.in_scope = ExpressionWrapper(in_scope, output_field=BooleanField())


def _import_scope(acting_user, city: Region | None) -> tuple[Region, Region | None]:
    """The city rows belong to and, for county staff, the one county they may import into."""
    if acting_user is None:
        if city is None:
            raise ValueError("a system import needs a city")
        return city, None
    if not scope.can_manage(acting_user):
        raise PermissionDenied(_("只有组织部工作人员可以导入支部名册。"))
    region = acting_user.region
    if region is None:  # a superuser without a region: the city given, or the only one
        cities = list(Region.objects.filter(level=RegionLevel.CITY)[:2]) if city is None else [city]
        if len(cities) != 1:
            raise PermissionDenied(_("请先为您的账号设置管辖区域。"))
        return cities[0], None
    if region.level == RegionLevel.CITY:
        return region, None
    if region.level == RegionLevel.COUNTY:
        return region.parent, region
    raise PermissionDenied(_("只有市、县区组织部工作人员可以导入支部名册。"))


def roster_import(
    *, fileobj, acting_user, city: Region | None = None, commit: bool, progress: Callable[[int], None] | None = None
) -> RosterResult:
    """Validate a roster and, when ``commit`` and there is no error, import it all in one transaction.

    ``acting_user`` None means the system (the management command), which needs ``city``.
    Raises ``PermissionDenied`` for users who may not import; every problem with the file
    or its rows is returned in ``RosterResult.errors`` and then nothing is written.

    Every row is read and checked before anything is written; only the write is a transaction
    (the reads see committed data either way, and a code taken meanwhile fails the write as a
    whole). ``progress(rows_read)`` is called after each batch of rows read, outside the
    transaction, so that a run record it updates is visible while the import goes on.
    """
    city, county_scope = _import_scope(acting_user, city)
    result = RosterResult()
    with _gc_paused():
        context = _Context(city=city, county_scope=county_scope, acting_user=acting_user)
        try:
            with open_roster(fileobj) as roster:
                planned = _plan(roster, context, result, progress)
        except RosterFileError as exc:
            result.errors = exc.errors
            return result
        result.errors.sort(key=_error_order)
        result.new_townships = [f"{context.region_names[k[0]]} · {k[1]}" for k in context.new_townships]
        result.new_units = list(context.new_units)
        if result.errors or not commit:
            return result
        try:
            with transaction.atomic():
                _write(planned, context)
        except IntegrityError:
            # Someone else wrote the same codes (or townships/units) between our check and our write.
            failed = RosterResult()
            failed.errors = [RowError(None, None, _("保存时与其他人的修改冲突，未导入任何数据，请重新上传。"))]
            return failed
    result.committed = True
    return result


@contextlib.contextmanager
def _gc_paused():
    """Pause the cyclic garbage collector while a roster is read and written.

    openpyxl and the ORM allocate millions of short-lived containers; the collector's
    repeated full passes over them cost ~40% of a 50,000-row import. Reference counting
    still frees them, so memory is unchanged (measured, see docs/roster.md).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _error_order(error: RowError) -> tuple[int, int]:
    column = c.HEADERS.index(error.column) if error.column in c.HEADERS else -1
    return (error.row or 0, column)


def _plan(roster, context: _Context, result: RosterResult, progress: Callable[[int], None] | None) -> list[_Planned]:
    planned: list[_Planned] = []
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
            planned.extend(_plan_batch(batch, context, result))
            batch = []
    if batch:
        planned.extend(_plan_batch(batch, context, result))
    if progress is not None:
        progress(read)
    return planned


def _resolve(data: RosterRow, context: _Context) -> tuple[list[RowError], int | None, tuple | None]:
    """Check a row's places and scope; returns errors, the county id, and the township key."""
    errors: list[RowError] = []
    county = None
    if data.county:
        county = context.counties.get(data.county)
        if county is None:
            errors.append(
                RowError(
                    data.row,
                    c.COUNTY,
                    _("%(city)s没有名为“%(name)s”的县区。") % {"city": context.city.name, "name": data.county},
                )
            )
    township_key = None
    township = None
    if data.township and county is not None:
        township_key = (county.pk, data.township)
        township = context.townships.get(township_key)
        if township is not None and township.level != RegionLevel.TOWNSHIP:
            errors.append(RowError(data.row, c.TOWNSHIP, _("“%(name)s”不是乡镇街道。") % {"name": data.township}))
    if data.township and township is None:  # to be created under the row's county, if it names one
        township = Region(name=data.township, parent_id=county.pk if county else None)
    if county is not None or not data.county:  # an unknown county is already an error
        county_id = county.pk if county else None
        place = branch_place_errors(level=data.level, county_id=county_id, township=township)
        if not place and context.acting_user is not None:
            place = registry.branch_placement_errors(
                acting_user=context.acting_user, level=data.level, city_id=context.city.pk, county_id=county_id
            )
        errors.extend(RowError(data.row, PLACE_COLUMNS[name], str(message)) for name, message in place.items())
    if data.unit:
        unit = context.units.get(data.unit)
        if unit is not None and context.county_scope is not None and unit.county_id != context.county_scope.pk:
            errors.append(
                RowError(
                    data.row,
                    c.UNIT,
                    _("单位“%(name)s”不属于%(county)s。") % {"name": data.unit, "county": context.county_scope.name},
                )
            )
    return errors, (county.pk if county else None), township_key


def _target(data: RosterRow, context: _Context, county_id, township_key) -> dict:
    """The branch fields a row asks for; ids of townships/units still to be created are None."""
    township = context.townships.get(township_key) if township_key else None
    unit = context.units.get(data.unit) if data.unit else None
    return {
        "name": data.name,
        "kind": data.kind,
        "level": data.level,
        "county_id": county_id,
        "township_id": township.pk if township else None,
        "unit_id": unit.pk if unit else None,
        "secretary_name": data.secretary_name,
        "secretary_phone": data.secretary_phone,
        "member_count": data.member_count,
    }


def _label(name: str, value, context: _Context) -> str:
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


def _plan_batch(batch: list[RosterRow], context: _Context, result: RosterResult) -> list[_Planned]:
    """Classify a batch's rows as errors, to create, to update or unchanged (counted in ``result``);
    the rows to write come back planned."""
    existing, grades, optimised = _current_state(batch, context)
    planned = []
    for data in batch:
        errors, county_id, township_key = _resolve(data, context)
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
                _Planned(data, None, county_id, township_key, (), data.grade is not None, data.optimised or None)
            )
            continue
        target = _target(data, context, county_id, township_key)
        changes, fields = _field_changes(data, current, target, context, township_key)
        grade_change = data.grade is not None and grades.get(current["id"]) != data.grade
        if grade_change:
            old = grades.get(current["id"])
            changes.append((c.GRADE, c.GRADE_LABELS.get(old, "") if old else "", c.GRADE_LABELS[data.grade]))
        optimise = None
        if data.optimised is not None and data.optimised != (current["id"] in optimised):
            optimise = data.optimised
            changes.append((c.OPTIMISED, c.NO if data.optimised else c.YES, c.YES if data.optimised else c.NO))
        if not changes:
            result.unchanged += 1
            continue
        result.updated += 1
        if len(result.to_update) < PREVIEW_LIMIT:
            preview.action, preview.changes = UPDATE, changes
            result.to_update.append(preview)
        planned.append(_Planned(data, current["id"], county_id, township_key, tuple(fields), grade_change, optimise))
    return planned


def _current_state(batch: list[RosterRow], context: _Context) -> tuple[dict[str, dict], dict[int, str], set[int]]:
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


def _code_and_campaign_errors(data: RosterRow, current: dict | None, context: _Context) -> list[RowError]:
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


def _note_new_places(data: RosterRow, context: _Context, county_id, township_key) -> None:
    """Remember the townships and units a row names that do not exist yet: the write creates them."""
    if township_key and township_key not in context.townships:
        context.new_townships.setdefault(township_key, None)
    if data.unit and data.unit not in context.units:
        context.new_units.setdefault(data.unit, (data.level, county_id if data.level == UnitLevel.COUNTY else None))


def _field_changes(
    data: RosterRow, current: dict, target: dict, context: _Context, township_key
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
                    _label(name, current[name], context),
                    _label(name, shown, context) if not pending else str(shown),
                )
            )
    if "township_id" in fields and current["region_id"] is not None:
        fields.append("region_id")  # the village belonged to the old township
    return changes, fields


def _write(planned: list[_Planned], context: _Context) -> None:
    user = context.acting_user
    for key in context.new_townships:
        township = Region(name=key[1], level=RegionLevel.TOWNSHIP, parent_id=key[0])
        township.save()
        context.townships[key] = township
    for name, (level, county_id) in context.new_units.items():
        context.units[name] = Unit.objects.create(name=name, level=level, city=context.city, county_id=county_id)
    now = timezone.now()
    today = timezone.localdate()
    for start in range(0, len(planned), BATCH):
        _write_batch(planned[start : start + BATCH], context, user=user, now=now, today=today)


def _write_batch(batch: list[_Planned], context: _Context, *, user, now, today: datetime.date) -> None:
    to_create = [p for p in batch if p.branch_id is None]
    if to_create:
        branches = [
            Branch(code=p.data.code, city_id=context.city.pk, **_target(p.data, context, p.county_id, p.township_key))
            for p in to_create
        ]
        bulk.insert_with_history(Branch, branches, user=user, date=now)
        for planned, branch in zip(to_create, branches, strict=True):
            planned.branch_id = branch.pk
    # One statement per set of changed fields: a roster that only changes 党员数 writes one column.
    groups: dict[tuple[str, ...], list[tuple]] = defaultdict(list)
    for p in batch:
        if p.fields and p.branch_id is not None:
            target = _target(p.data, context, p.county_id, p.township_key) | {"region_id": None}
            groups[p.fields].append((p.branch_id, *(target[name] for name in p.fields)))
    for fields, rows in groups.items():
        bulk.update_with_history(Branch, rows, fields=fields, also={"updated_at": now}, user=user, date=now)
    _write_grades([p for p in batch if p.grade_change], context, user=user, now=now)
    _write_optimisations(batch, context, user=user, now=now, today=today)


def _write_grades(batch: list[_Planned], context: _Context, *, user, now) -> None:
    if not batch:
        return
    wanted = {p.branch_id: p.data.grade for p in batch}
    existing = BranchGrade.objects.filter(branch_id__in=wanted, year=context.year).values_list("branch_id", "pk")
    changed = [(pk, wanted.pop(branch_id)) for branch_id, pk in existing]
    bulk.update_with_history(
        BranchGrade,
        changed,
        fields=["grade"],
        also={"graded_by_id": user.pk if user else None, "graded_at": now},
        user=user,
        date=now,
    )
    new = [BranchGrade(branch_id=pk, year=context.year, grade=g, graded_by=user) for pk, g in wanted.items()]
    bulk.insert_with_history(BranchGrade, new, user=user, date=now)


def _write_optimisations(batch: list[_Planned], context: _Context, *, user, now, today) -> None:
    add = [p.branch_id for p in batch if p.optimise is True]
    remove = [p.branch_id for p in batch if p.optimise is False]
    if add:
        records = [
            OptimisationRecord(
                branch_id=pk,
                campaign=context.campaign,
                action=OptimisationAction.OTHER,
                done_on=today,
                note=OPTIMISATION_NOTE,
                recorded_by=user,
            )
            for pk in add
        ]
        bulk.insert_with_history(OptimisationRecord, records, user=user, date=now)
    if remove:
        # Each removed record leaves a "-" history row naming the importing user.
        pks = list(
            OptimisationRecord.objects.filter(branch_id__in=remove, campaign=context.campaign).values_list(
                "pk", flat=True
            )
        )
        bulk.delete_with_history(OptimisationRecord, pks, user=user, date=now)
    if add or remove:
        Branch.refresh_optimised(ids=[*add, *remove])  # the flag follows the records


# Uploads waiting between the preview and the confirmation. They live in a private
# directory under MEDIA_ROOT that no URL serves (shared by the web and worker containers),
# named by a random token that the uploader's session holds. A confirmation hands the token
# to a RosterImport run; the file is deleted on cancel, once its run has run, or after
# UPLOAD_TTL when neither happened.

UPLOAD_DIR = "roster_uploads"
UPLOAD_TTL = datetime.timedelta(hours=1)


def _upload_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / UPLOAD_DIR


def roster_upload_path(*, token: str) -> Path | None:
    """The stored upload for a token, or None for a malformed token."""
    if len(token) != 32 or not all(ch in "0123456789abcdef" for ch in token):
        return None
    return _upload_dir() / f"{token}.xlsx"


def roster_upload_store(*, uploaded_file) -> str:
    """Keep a validated upload for the confirmation step; returns its token."""
    roster_uploads_purge()
    directory = _upload_dir()
    directory.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex
    uploaded_file.seek(0)
    with roster_upload_path(token=token).open("xb") as target:
        for chunk in uploaded_file.chunks():
            target.write(chunk)
    return token


def roster_upload_discard(*, token: str) -> None:
    path = roster_upload_path(token=token)
    if path is not None:
        path.unlink(missing_ok=True)


def roster_uploads_purge() -> int:
    """Delete stored uploads older than UPLOAD_TTL (abandoned previews); returns how many.

    Uploads of runs still waiting for a worker are kept, however old.
    """
    directory = _upload_dir()
    if not directory.is_dir():
        return 0
    cutoff = timezone.now().timestamp() - UPLOAD_TTL.total_seconds()
    waiting = set(RosterImport.objects.filter(status__in=ACTIVE).exclude(upload="").values_list("upload", flat=True))
    removed = 0
    for path in directory.glob("*.xlsx"):
        try:
            if path.stem not in waiting and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            pass
    return removed


# The confirmation: a RosterImport run, imported by a Celery task (pairing.tasks.import_roster).

ACTIVE = (RosterImport.Status.QUEUED, RosterImport.Status.RUNNING)
ERROR_LIMIT = 500


def roster_import_start(*, token: str, filename: str, total: int, acting_user) -> RosterImport:
    """Hand a previewed upload to a run and queue its import once the run row is committed.

    When the queue cannot take the job the run fails at once, saying so, and the upload is deleted.
    """
    from ...tasks import import_roster

    city, county_scope = _import_scope(acting_user, None)
    with transaction.atomic():
        run = RosterImport.objects.create(
            region=county_scope or city,
            requested_by=acting_user,
            filename=filename[:255],
            upload=token,
            total=total,
        )
        enqueue_on_commit(
            import_roster,
            run_id=run.pk,
            language=translation.get_language(),
            on_unavailable=lambda message: _finish(run, status=RosterImport.Status.FAILED, error=message),
            raise_unavailable=False,
        )
    run.refresh_from_db()
    return run


def roster_import_run(*, run_id: int) -> RosterImport:
    """Import a run's upload as its requester (the task's body), then delete the upload.

    The outcome is recorded on the run: the counts, or the reason nothing was imported and the
    rows at fault. A run that has already finished (a redelivered task) is left as it is; one
    interrupted mid-way (a worker lost) is run again: its write was one transaction.
    """
    run = RosterImport.objects.select_related("requested_by").get(pk=run_id)
    if run.status not in ACTIVE:
        return run
    path = roster_upload_path(token=run.upload)
    if run.requested_by is None or path is None or not path.is_file():
        return _finish(run, status=RosterImport.Status.FAILED, error=_("该导入已过期或无效，请重新上传名册。"))
    RosterImport.objects.filter(pk=run.pk).update(status=RosterImport.Status.RUNNING, progress=0)

    def progress(rows: int) -> None:
        RosterImport.objects.filter(pk=run.pk).update(progress=rows)

    try:
        with path.open("rb") as fileobj:
            result = roster_import(fileobj=fileobj, acting_user=run.requested_by, commit=True, progress=progress)
    except PermissionDenied as exc:
        return _finish(run, status=RosterImport.Status.FAILED, error=str(exc) or _("您没有权限执行此操作。"))
    except Exception:
        logger.exception("roster import %s failed", run.pk)
        return _finish(run, status=RosterImport.Status.FAILED, error=_("导入时出错，未导入任何数据。请稍后重试。"))
    if not result.ok:
        return _finish(
            run,
            status=RosterImport.Status.FAILED,
            error=_("数据在预览后发生了变化，未导入任何数据。请修改后重新上传。"),
            errors=result.errors,
        )
    return _finish(run, status=RosterImport.Status.DONE, result=result)


def _finish(run: RosterImport, *, status: str, error: str = "", errors=(), result: RosterResult | None = None):
    """Record the outcome and delete the upload: it is never needed again."""
    roster_upload_discard(token=run.upload)
    fields = {
        "status": status,
        "upload": "",
        "error": error,
        "errors": [[e.row, e.column, e.message] for e in errors[:ERROR_LIMIT]],
        "error_count": len(errors),
        "finished_at": timezone.now(),
    }
    if result is not None:
        fields |= {
            "progress": result.total,
            "created_count": result.created,
            "updated_count": result.updated,
            "unchanged_count": result.unchanged,
        }
    RosterImport.objects.filter(pk=run.pk).update(**fields)
    run.refresh_from_db()
    return run
