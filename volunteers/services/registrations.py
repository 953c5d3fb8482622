"""Writes of registrations (报到): a member at their home community, a unit at a community,
and the community secretary's decision."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import notice_send
from pairing.models import Branch
from twinning import files
from twinning.audit import save_audited

from .. import perms
from ..choices import RegistrationKind, RegistrationStatus
from ..models import Registration
from .common import (
    decision_record,
    file_checked,
    notify_community,
    registration_users,
    require_community,
    require_member,
    require_runs_community,
)


def registration_member_create(
    *, member: User, community: Branch, skills: str = "", preferences: str = ""
) -> Registration:
    """A member registers at their home community. Moving ends the current registration;
    the old row is kept as history. The database allows one live registration per member."""
    require_member(member)
    require_community(community)
    try:
        with transaction.atomic():
            live = list(
                Registration.objects.select_for_update().filter(
                    member=member, status__in=[RegistrationStatus.PENDING, RegistrationStatus.ACCEPTED]
                )
            )
            for old in live:
                if old.community_id == community.pk:
                    raise ValidationError({"community": _("您已在该社区报到（或正在审核），无需重复报到。")})
                if old.status == RegistrationStatus.PENDING:
                    raise ValidationError({"community": _("您还有一条报到正在审核，请等待社区审核后再转移。")})
                old.status = RegistrationStatus.ENDED
                old.ended_at = timezone.now()
                save_audited(old, acting_user=member, update_fields=["status", "ended_at"])
            registration = Registration(
                kind=RegistrationKind.MEMBER,
                community=community,
                member=member,
                skills=skills,
                preferences=preferences,
                registered_by=member,
            )
            save_audited(registration, acting_user=member)
    except IntegrityError:
        raise ValidationError({"community": _("您已有一条有效的报到记录，请勿重复提交。")})
    notify_community(
        community, _("新的党员报到待审核"), member.label, reverse("volunteers:community_detail", args=[community.pk])
    )
    return registration


def registration_unit_create(*, acting_user: User, community: Branch, agreement=None) -> Registration:
    """A unit Party organisation (the acting secretary's helper-side branch) registers at a
    community, optionally with the signed co-building agreement (共驻共建协议)."""
    if not perms.runs_unit(acting_user):
        raise PermissionDenied(_("只有机关、企事业单位党支部书记可以代表单位报到。"))
    branch = acting_user.branch
    require_community(community)
    checked = file_checked(agreement, accept=files.AGREEMENTS, field="agreement") if agreement else None
    registration = Registration(
        kind=RegistrationKind.UNIT, community=community, branch=branch, registered_by=acting_user
    )
    try:
        with files.files_written("volunteers/agreements") as writer, transaction.atomic():
            if checked:
                registration.agreement = writer.save(checked)
            save_audited(registration, acting_user=acting_user)
    except IntegrityError:
        raise ValidationError({"community": _("本单位已在该社区报到（或正在审核）。")})
    notify_community(
        community, _("新的单位报到待审核"), branch.name, reverse("volunteers:community_detail", args=[community.pk])
    )
    return registration


@transaction.atomic
def registration_decide(
    *, registration: Registration, acting_user: User, accept: bool, reason: str = ""
) -> Registration:
    """The community secretary accepts or declines a pending registration."""
    require_runs_community(acting_user, registration.community)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status != RegistrationStatus.PENDING:
        raise ValidationError(_("该报到已审核，不能重复审核。"))
    if not accept and not reason.strip():
        raise ValidationError({"reason": _("请填写未通过的原因。")})
    decision_record(
        registration,
        acting_user=acting_user,
        status=RegistrationStatus.ACCEPTED if accept else RegistrationStatus.DECLINED,
        reason_field="decline_reason",
        reason="" if accept else reason.strip(),
    )
    title = _("报到已通过：%(c)s") if accept else _("报到未通过：%(c)s")
    notice_send(
        users=registration_users(registration),
        title=title % {"c": registration.community.name},
        body=registration.decline_reason,
        url=reverse("volunteers:index"),
        kind="volunteers",
    )
    return registration
