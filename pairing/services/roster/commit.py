"""Bulk import of a branch roster (支部名册): validate everything, then write all of it or nothing.

``roster_import`` is the one entry point for the web preview/confirm and the management
command. It reads the file once, checks every row (format, the city's counties, the
acting user's scope, duplicate codes, codes owned by branches outside the scope), and
classifies each row as to create, to update, or unchanged (``preview.py``). Only when there is no error
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
from collections import defaultdict
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from twinning import audit as bulk

from ...choices import OptimisationAction, RegionLevel
from ...models import Branch, BranchGrade, OptimisationRecord, Region, Unit
from ...roster.imports import RosterFileError, RowError, open_roster
from .context import BATCH, ImportContext, PlannedRow, branch_values, import_scope
from .preview import RosterResult, plan_rows

OPTIMISATION_NOTE = "名册导入"


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
    city, county_scope = import_scope(acting_user, city)
    result = RosterResult()
    with _gc_paused():
        context = ImportContext(city=city, county_scope=county_scope, acting_user=acting_user)
        try:
            with open_roster(fileobj) as roster:
                planned = plan_rows(roster, context, result, progress)
        except RosterFileError as exc:
            result.errors = exc.errors
            return result
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


def _write(planned: list[PlannedRow], context: ImportContext) -> None:
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


def _write_batch(batch: list[PlannedRow], context: ImportContext, *, user, now, today: datetime.date) -> None:
    to_create = [p for p in batch if p.branch_id is None]
    if to_create:
        branches = [
            Branch(
                code=p.data.code, city_id=context.city.pk, **branch_values(p.data, context, p.county_id, p.township_key)
            )
            for p in to_create
        ]
        bulk.insert_with_history(Branch, branches, user=user, date=now)
        for planned, branch in zip(to_create, branches, strict=True):
            planned.branch_id = branch.pk
    # One statement per set of changed fields: a roster that only changes 党员数 writes one column.
    groups: dict[tuple[str, ...], list[tuple]] = defaultdict(list)
    for p in batch:
        if p.fields and p.branch_id is not None:
            target = branch_values(p.data, context, p.county_id, p.township_key) | {"region_id": None}
            groups[p.fields].append((p.branch_id, *(target[name] for name in p.fields)))
    for fields, rows in groups.items():
        bulk.update_with_history(Branch, rows, fields=fields, also={"updated_at": now}, user=user, date=now)
    _write_grades([p for p in batch if p.grade_change], context, user=user, now=now)
    _write_optimisations(batch, context, user=user, now=now, today=today)


def _write_grades(batch: list[PlannedRow], context: ImportContext, *, user, now) -> None:
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


def _write_optimisations(batch: list[PlannedRow], context: ImportContext, *, user, now, today) -> None:
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
