"""Writes to the registry: atomic, validated against the scope rule, and kept in history."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from twinning.audit import delete_audited, insert_with_history, save_audited, update_with_history

from .. import scope
from ..choices import Grade, OptimisationAction, RegionLevel
from ..models import Branch, BranchGrade, OptimisationCampaign, OptimisationRecord

BRANCH_FIELDS = (
    "code",
    "name",
    "kind",
    "level",
    "city",
    "county",
    "township",
    "region",
    "unit",
    "secretary_name",
    "secretary_phone",
    "member_count",
)


def _require_manager(user) -> None:
    if not scope.can_manage(user):
        raise PermissionDenied(_("只有组织部工作人员可以修改支部信息。"))


def _require_in_scope(user, branch: Branch) -> None:
    """A branch being changed, graded or optimised must be one the acting user manages (their city or county)."""
    if not scope.manages_branch(user, branch):
        raise ValidationError(_("该支部不在您的管辖范围内。"))


def branch_placement_errors(*, acting_user, level: str, city_id: int | None, county_id: int | None) -> dict[str, str]:
    """Where the acting user may register or move a branch (the page, the API and the roster ask here):
    city staff anywhere in their city, county staff county-level branches of their own county only."""
    if not scope.may_register_level(acting_user, level=level):
        return {"level": _("县区工作人员只能登记县区层级的支部。")}
    if not scope.may_place_branch(acting_user, city_id=city_id, county_id=county_id):
        return {"county": _("您只能登记%(region)s的支部。") % {"region": acting_user.region.name}}
    return {}


def _validate_branch(branch: Branch, acting_user) -> None:
    branch.full_clean(validate_unique=True, validate_constraints=True)  # the branch's own rules (Branch.clean)
    errors = branch_placement_errors(
        acting_user=acting_user, level=branch.level, city_id=branch.city_id, county_id=branch.county_id
    )
    if errors:
        raise ValidationError(errors)


def _place_in_city(branch: Branch, acting_user) -> None:
    """The city follows the county; a 市直 branch is in the acting user's city."""
    if branch.county_id:
        branch.city_id = branch.county.parent_id
    elif not branch.city_id and acting_user.region and acting_user.region.level == RegionLevel.CITY:
        branch.city_id = acting_user.region_id


@transaction.atomic
def branch_create(*, acting_user, **fields) -> Branch:
    """Register a branch. The city is the county's, or for a 市直 branch the acting user's city."""
    _require_manager(acting_user)
    branch = Branch(**fields)
    _place_in_city(branch, acting_user)
    _validate_branch(branch, acting_user)
    save_audited(branch, acting_user=acting_user)
    return branch


@transaction.atomic
def branch_update(*, branch: Branch, acting_user, data: dict) -> Branch:
    """Change a branch's fields; only changed fields are written, and history records before → after."""
    _require_manager(acting_user)
    _require_in_scope(acting_user, branch)
    changed = [name for name, value in data.items() if getattr(branch, name) != value]
    if not changed:
        return branch
    for name in changed:
        setattr(branch, name, data[name])
    city_id = branch.city_id
    _place_in_city(branch, acting_user)
    if branch.city_id != city_id:
        changed.append("city")
    _validate_branch(branch, acting_user)
    save_audited(branch, acting_user=acting_user, update_fields=[*changed, "updated_at"])
    return branch


@transaction.atomic
def grades_assign(*, branches: Iterable[Branch], year: int, grade: Grade | str, acting_user) -> int:
    """Grade several branches for a year at once (upsert), with a history row for each.

    Returns how many grades were created or changed.
    """
    _require_manager(acting_user)
    grade = Grade(grade)
    branches = list(branches)
    for branch in branches:
        _require_in_scope(acting_user, branch)
    existing = {g.branch_id: g for g in BranchGrade.objects.filter(year=year, branch__in=branches)}
    to_create = [
        BranchGrade(branch=b, year=year, grade=grade, graded_by=acting_user) for b in branches if b.pk not in existing
    ]
    to_update = [g for g in existing.values() if g.grade != grade]
    for g in to_update:
        g.grade = grade
        g.graded_by = acting_user
    if to_create:
        insert_with_history(BranchGrade, to_create, user=acting_user)
    if to_update:
        rows = [(g.pk, g.grade, g.graded_by_id, g.graded_at) for g in to_update]
        update_with_history(BranchGrade, rows, fields=["grade", "graded_by_id", "graded_at"], user=acting_user)
    return len(to_create) + len(to_update)


@transaction.atomic
def optimisation_record(
    *,
    branch: Branch,
    campaign: OptimisationCampaign,
    action: OptimisationAction | str,
    done_on: datetime.date,
    note: str = "",
    acting_user,
) -> OptimisationRecord:
    """Record an optimisation step (换届选举, 选优配强书记, …) for a branch in a campaign."""
    _require_manager(acting_user)
    _require_in_scope(acting_user, branch)
    if campaign.city_id != branch.city_id:
        raise ValidationError(_("优化批次与支部不属于同一个市。"))
    if done_on > timezone.localdate():
        raise ValidationError({"done_on": _("完成日期不能晚于今天。")})
    if OptimisationRecord.objects.filter(branch=branch, campaign=campaign, action=action).exists():
        raise ValidationError({"action": _("该支部在本批次已有这项优化记录。")})
    record = OptimisationRecord(
        branch=branch, campaign=campaign, action=action, done_on=done_on, note=note, recorded_by=acting_user
    )
    return optimisation_record_save(record=record, acting_user=acting_user)


# Branch.optimised (本批次已优化) is derived from the records and the current campaign: these
# services, the roster import and the demo seed are the only writers of either, and each
# recomputes the flag (Branch.refresh_optimised); the admin saves and deletes through them.


def _lock_branches(ids: set) -> None:
    """Changes to one branch's records take turns (the branch row locked until commit), so that
    each recomputes the flag from what the other committed: a record added while another is
    deleted cannot leave the flag as if only one of them had happened."""
    list(Branch.objects.select_for_update().filter(pk__in=sorted(ids)).values_list("pk", flat=True))


@transaction.atomic
def optimisation_record_save(*, record: OptimisationRecord, acting_user) -> OptimisationRecord:
    """Write a record, new or changed (the admin's form), and recompute the optimised flag of its
    branch and, when it moved, of the branch it left. No permission check: the callers' own."""
    previous = None
    if record.pk is not None:
        previous = OptimisationRecord.objects.filter(pk=record.pk).values_list("branch_id", flat=True).first()
    branches = {record.branch_id, previous} - {None}
    _lock_branches(branches)
    save_audited(record, acting_user=acting_user)
    Branch.refresh_optimised(ids=branches)
    return record


@transaction.atomic
def optimisation_record_delete(*, record: OptimisationRecord, acting_user) -> None:
    """Delete a record and recompute its branch's optimised flag."""
    _lock_branches({record.branch_id})
    delete_audited(record, acting_user=acting_user)
    Branch.refresh_optimised(ids=[record.branch_id])


@transaction.atomic
def optimisation_records_delete(*, records) -> None:
    """Delete the records of a queryset (the admin's bulk delete) and recompute their branches' flags.
    Their history rows name the request's user (django-simple-history's middleware)."""
    branch_ids = set(records.values_list("branch_id", flat=True))
    records.delete()
    Branch.refresh_optimised(ids=branch_ids)


@transaction.atomic
def optimisation_campaign_save(
    *, campaign: OptimisationCampaign, update_fields: list[str] | None = None
) -> OptimisationCampaign:
    """Save a campaign (made current, or no longer) and recompute the flags of its city's branches.
    Deleting a campaign needs no recompute: one with records cannot be deleted (PROTECT)."""
    campaign.save(update_fields=update_fields)
    Branch.refresh_optimised(city_id=campaign.city_id)
    return campaign
