"""Writes of volunteer hours (志愿服务时长): a member records them, the community secretary
verifies or returns them."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import notice_send
from twinning.audit import save_audited

from ..choices import HourStatus
from ..models import Claim, HourEntry, Project, Whistle, WhistleResponse, Wish
from ..selectors.hours import serving_q
from .common import decision_record, require_member, require_runs_community

DAY_MINUTES = 24 * 60


def _minutes(start: datetime.time, end: datetime.time) -> int:
    return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)


def _target_community(*, member: User, project=None, wish=None, whistle=None) -> int:
    """The community of what the hours are for; the member (or their unit) must have claimed it."""
    targets = [t for t in (project, wish, whistle) if t is not None]
    if len(targets) != 1:
        raise ValidationError({"target": _("请选择一个服务项目、微心愿或吹哨事项。")})
    own = serving_q(member, "registration__")
    if project is not None:
        if not Claim.objects.filter(own, project=project).exists():
            raise ValidationError({"target": _("您（或您的单位）没有认领该服务项目，不能填报时长。")})
        return project.community_id
    if wish is not None:
        if not Wish.objects.filter(pk=wish.pk, claimed_by=member).exists():
            raise ValidationError({"target": _("您没有认领该微心愿，不能填报时长。")})
        return wish.community_id
    if not WhistleResponse.objects.filter(own, whistle=whistle).exists():
        raise ValidationError({"target": _("您（或您的单位）没有响应该吹哨事项，不能填报时长。")})
    return whistle.community_id


@transaction.atomic
def hours_record(
    *,
    member: User,
    served_on: datetime.date,
    starts_at: datetime.time,
    ends_at: datetime.time,
    description: str,
    project: Project | None = None,
    wish: Wish | None = None,
    whistle: Whistle | None = None,
) -> HourEntry:
    """A member records volunteer hours. Entries of one member may not overlap and a day
    holds at most 24 hours (rejected entries do not count); the member's row is locked so
    two submissions at once are checked one after the other."""
    require_member(member)
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("结束时间必须晚于开始时间。")})
    if served_on > timezone.localdate():
        raise ValidationError({"served_on": _("服务日期不能晚于今天。")})
    if not description.strip():
        raise ValidationError({"description": _("请填写服务内容。")})
    community_id = _target_community(member=member, project=project, wish=wish, whistle=whistle)
    User.objects.select_for_update().filter(pk=member.pk).first()
    minutes = _minutes(starts_at, ends_at)
    same_day = HourEntry.objects.filter(member=member, served_on=served_on).exclude(status=HourStatus.REJECTED)
    already = same_day.aggregate(total=Sum("minutes"))["total"] or 0
    if already + minutes > DAY_MINUTES:
        raise ValidationError(
            {"ends_at": _("%(day)s 当天累计时长将超过 24 小时，请核对。") % {"day": served_on.isoformat()}}
        )
    clash = same_day.filter(starts_at__lt=ends_at, ends_at__gt=starts_at).first()
    if clash is not None:
        raise ValidationError(
            {
                "starts_at": _("与已填报的 %(start)s–%(end)s 时段重叠。")
                % {"start": f"{clash.starts_at:%H:%M}", "end": f"{clash.ends_at:%H:%M}"}
            }
        )
    entry = HourEntry(
        member=member,
        community_id=community_id,
        project=project,
        wish=wish,
        whistle=whistle,
        served_on=served_on,
        starts_at=starts_at,
        ends_at=ends_at,
        minutes=minutes,
        description=description.strip(),
    )
    save_audited(entry, acting_user=member)
    return entry


@transaction.atomic
def hours_decide(*, entry: HourEntry, acting_user: User, verify: bool, reason: str = "") -> HourEntry:
    """The community secretary verifies or rejects (with a reason) a pending entry."""
    require_runs_community(acting_user, entry.community)
    entry = HourEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.status != HourStatus.PENDING:
        raise ValidationError(_("该时长已审核。"))
    if not verify and not reason.strip():
        raise ValidationError({"reason": _("退回时请填写原因。")})
    decision_record(
        entry,
        acting_user=acting_user,
        status=HourStatus.VERIFIED if verify else HourStatus.REJECTED,
        reason_field="reject_reason",
        reason="" if verify else reason.strip(),
    )
    if not verify:
        notice_send(
            users=[entry.member],
            title=_("志愿服务时长被退回"),
            body=entry.reject_reason,
            url=reverse("volunteers:my_record"),
            kind="volunteers",
        )
    return entry
