"""Writes to the registry: atomic, validated against the scope rule, and kept in history."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

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
    branch._history_user = acting_user
    branch.save()
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
    branch._history_user = acting_user
    branch.save(update_fields=[*changed, "updated_at"])
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
        bulk_create_with_history(to_create, BranchGrade, default_user=acting_user)
    if to_update:
        bulk_update_with_history(to_update, BranchGrade, ["grade", "graded_by", "graded_at"], default_user=acting_user)
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
    record._history_user = acting_user
    record.save()  # and the branch's optimised flag (OptimisationRecord.save)
    return record
