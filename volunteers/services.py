"""Writes of 双报到、双服务: atomic, validated, kept in history, races settled by the database.

Who may do what: a community secretary runs their own community (accepts registrations,
publishes projects, wishes and whistles, assigns claims, verifies hours); a unit's branch
secretary registers the unit and claims for it; an in-service member registers, claims and
records their own hours.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import notice_send
from pairing.choices import HELPER_KINDS, BranchKind, Role
from pairing.models import Branch
from twinning import files

from .choices import (
    Claimants,
    ClaimMode,
    HourStatus,
    OpenClosed,
    RegistrationKind,
    RegistrationStatus,
    WishStatus,
)
from .models import Claim, HourEntry, Project, Registration, Whistle, WhistleResponse, Wish

DAY_MINUTES = 24 * 60


# --- permissions and files -------------------------------------------------------------------


def is_community_secretary(user, community: Branch) -> bool:
    """Whether the user runs this community (its community secretary, or a superuser)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or (user.role == Role.COMMUNITY_SECRETARY and user.branch_id == community.pk)


def _require_community_secretary(user, community: Branch) -> None:
    if not is_community_secretary(user, community):
        raise PermissionDenied(_("只有本社区党组织书记可以进行此操作。"))


def _require_member(user) -> None:
    if getattr(user, "role", None) != Role.MEMBER:
        raise PermissionDenied(_("只有在职党员可以进行此操作。"))


def _require_community(community: Branch) -> None:
    if community.kind != BranchKind.COMMUNITY:
        raise ValidationError({"community": _("请选择社区党组织。")})


def _file_checked(upload, *, accept: files.Accept, field: str) -> files.CheckedFile:
    """An uploaded file checked by content (an image re-encoded); errors under ``field``."""
    try:
        return files.upload_check(upload, accept=accept)
    except ValidationError as exc:
        raise ValidationError({field: exc.error_list}) from exc


# --- registrations (报到) -----------------------------------------------------------------------


def registration_member_create(
    *, member: User, community: Branch, skills: str = "", preferences: str = ""
) -> Registration:
    """A member registers at their home community. Moving ends the current registration;
    the old row is kept as history. The database allows one live registration per member."""
    _require_member(member)
    _require_community(community)
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
                old._history_user = member
                old.save(update_fields=["status", "ended_at"])
            registration = Registration(
                kind=RegistrationKind.MEMBER,
                community=community,
                member=member,
                skills=skills,
                preferences=preferences,
                registered_by=member,
            )
            registration._history_user = member
            registration.save()
    except IntegrityError:
        raise ValidationError({"community": _("您已有一条有效的报到记录，请勿重复提交。")})
    _notify_community(
        community, _("新的党员报到待审核"), member.label, reverse("volunteers:community_detail", args=[community.pk])
    )
    return registration


def registration_unit_create(*, acting_user: User, community: Branch, agreement=None) -> Registration:
    """A unit Party organisation (the acting secretary's helper-side branch) registers at a
    community, optionally with the signed co-building agreement (共驻共建协议)."""
    branch = acting_user.branch if acting_user.branch_id else None
    if acting_user.role != Role.SECRETARY or branch is None or branch.kind not in HELPER_KINDS:
        raise PermissionDenied(_("只有机关、企事业单位党支部书记可以代表单位报到。"))
    _require_community(community)
    checked = _file_checked(agreement, accept=files.AGREEMENTS, field="agreement") if agreement else None
    registration = Registration(
        kind=RegistrationKind.UNIT, community=community, branch=branch, registered_by=acting_user
    )
    registration._history_user = acting_user
    try:
        with files.files_written("volunteers/agreements") as writer, transaction.atomic():
            if checked:
                registration.agreement = writer.save(checked)
            registration.save()
    except IntegrityError:
        raise ValidationError({"community": _("本单位已在该社区报到（或正在审核）。")})
    _notify_community(
        community, _("新的单位报到待审核"), branch.name, reverse("volunteers:community_detail", args=[community.pk])
    )
    return registration


@transaction.atomic
def registration_decide(
    *, registration: Registration, acting_user: User, accept: bool, reason: str = ""
) -> Registration:
    """The community secretary accepts or declines a pending registration."""
    _require_community_secretary(acting_user, registration.community)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status != RegistrationStatus.PENDING:
        raise ValidationError(_("该报到已审核，不能重复审核。"))
    if not accept and not reason.strip():
        raise ValidationError({"reason": _("请填写未通过的原因。")})
    registration.status = RegistrationStatus.ACCEPTED if accept else RegistrationStatus.DECLINED
    registration.decline_reason = "" if accept else reason.strip()
    registration.decided_by = acting_user
    registration.decided_at = timezone.now()
    registration._history_user = acting_user
    registration.save(update_fields=["status", "decline_reason", "decided_by", "decided_at"])
    title = _("报到已通过：%(c)s") if accept else _("报到未通过：%(c)s")
    notice_send(
        users=_registration_users(registration),
        title=title % {"c": registration.community.name},
        body=registration.decline_reason,
        url=reverse("volunteers:index"),
        kind="volunteers",
    )
    return registration


def _registration_users(registration: Registration) -> list[User]:
    if registration.kind == RegistrationKind.MEMBER:
        return [registration.member]
    return list(User.objects.filter(branch_id=registration.branch_id, role=Role.SECRETARY, is_active=True))


def _notify_community(community: Branch, title: str, body: str, url: str) -> None:
    secretaries = User.objects.filter(branch=community, role=Role.COMMUNITY_SECRETARY, is_active=True)
    notice_send(users=secretaries, title=title, body=body, url=url, kind="volunteers")


def registration_of(*, user: User, community_id: int) -> Registration | None:
    """The acting user's accepted registration at a community: their own as a member, their
    unit's as a branch secretary."""
    live = Registration.objects.filter(community_id=community_id, status=RegistrationStatus.ACCEPTED)
    if user.role == Role.MEMBER:
        return live.filter(member=user).first()
    if user.role == Role.SECRETARY and user.branch_id:
        return live.filter(branch_id=user.branch_id).first()
    return None


# --- demand list, claims (需求清单、认领) --------------------------------------------------------


@transaction.atomic
def project_create(*, acting_user: User, community: Branch, **fields) -> Project:
    """The community secretary publishes a service project on the demand list."""
    _require_community_secretary(acting_user, community)
    project = Project(community=community, created_by=acting_user, **fields)
    project.full_clean()
    project._history_user = acting_user
    project.save()
    return project


@transaction.atomic
def project_close(*, project: Project, acting_user: User) -> Project:
    _require_community_secretary(acting_user, project.community)
    project.status = OpenClosed.CLOSED
    project._history_user = acting_user
    project.save(update_fields=["status"])
    return project


def _claimant_allowed(claimants: str, registration: Registration) -> bool:
    if claimants == Claimants.BOTH:
        return True
    wanted = RegistrationKind.UNIT if claimants == Claimants.UNITS else RegistrationKind.MEMBER
    return registration.kind == wanted


def claim_create(*, project: Project, acting_user: User, registration: Registration | None = None) -> Claim:
    """Claim a project: 自主认领 by a registered member or unit secretary (``registration`` None),
    or 指定认领 by the community secretary for a registration at the community.

    The project row is locked while its claims are counted, so two people can never take
    the last place at the same moment; (project, claimant) is unique in the database.
    """
    assigned = registration is not None
    if assigned:
        _require_community_secretary(acting_user, project.community)
    else:
        registration = registration_of(user=acting_user, community_id=project.community_id)
        if registration is None:
            raise ValidationError(_("请先到该社区报到并通过审核，再认领项目。"))
    try:
        with transaction.atomic():
            locked = Project.objects.select_for_update().get(pk=project.pk)
            if locked.status != OpenClosed.OPEN:
                raise ValidationError(_("该项目已结束认领。"))
            if registration.community_id != locked.community_id or registration.status != RegistrationStatus.ACCEPTED:
                raise ValidationError(_("认领方未在该社区报到。"))
            if not _claimant_allowed(locked.claimants, registration):
                raise ValidationError(_("该项目只接受%(who)s认领。") % {"who": Claimants(locked.claimants).label})
            if Claim.objects.filter(project=locked, registration=registration).exists():
                raise ValidationError(_("已认领过该项目。"))
            if Claim.objects.filter(project=locked).count() >= locked.places:
                raise ValidationError(_("该项目认领名额已满。"))
            claim = Claim(
                project=locked,
                registration=registration,
                mode=ClaimMode.ASSIGNED if assigned else ClaimMode.SELF,
                claimed_by=acting_user,
            )
            claim._history_user = acting_user
            claim.save()
    except IntegrityError:
        raise ValidationError(_("已认领过该项目。"))
    if assigned:
        notice_send(
            users=_registration_users(registration),
            title=_("社区为您指定了服务项目：%(t)s") % {"t": project.title},
            url=project.get_absolute_url(),
            kind="volunteers",
        )
    return claim


# --- micro-wishes (微心愿) ------------------------------------------------------------------------


@transaction.atomic
def wish_create(*, acting_user: User, community: Branch, **fields) -> Wish:
    _require_community_secretary(acting_user, community)
    wish = Wish(community=community, created_by=acting_user, **fields)
    wish.full_clean()
    wish._history_user = acting_user
    wish.save()
    return wish


@transaction.atomic
def wish_claim(*, wish: Wish, member: User) -> Wish:
    """One member claims an open wish; the row lock makes the second claimant fail cleanly."""
    _require_member(member)
    if registration_of(user=member, community_id=wish.community_id) is None:
        raise ValidationError(_("请先到该社区报到并通过审核，再认领微心愿。"))
    wish = Wish.objects.select_for_update().get(pk=wish.pk)
    if wish.status != WishStatus.OPEN:
        raise ValidationError(_("该微心愿已被认领。"))
    wish.status = WishStatus.CLAIMED
    wish.claimed_by = member
    wish.claimed_at = timezone.now()
    wish._history_user = member
    wish.save(update_fields=["status", "claimed_by", "claimed_at"])
    return wish


def wish_fulfil(*, wish: Wish, member: User, note: str, photo=None) -> Wish:
    """The claiming member reports the wish fulfilled, with a note and a photo."""
    if not Wish.objects.filter(pk=wish.pk, claimed_by=member).exists():
        raise PermissionDenied(_("只有认领该心愿的党员可以提交圆梦情况。"))
    if not note.strip():
        raise ValidationError({"note": _("请填写圆梦情况。")})
    if not photo:
        raise ValidationError({"photo": _("请上传圆梦照片。")})
    checked = _file_checked(photo, accept=files.IMAGES, field="photo")
    with files.files_written("volunteers/wishes") as writer, transaction.atomic():
        locked = Wish.objects.select_for_update().get(pk=wish.pk)
        if locked.status != WishStatus.CLAIMED:
            raise ValidationError(_("该微心愿当前不能提交圆梦情况。"))
        locked.photo = writer.save(checked)
        locked.fulfil_note = note.strip()
        locked.status = WishStatus.FULFILLED
        locked.fulfilled_at = timezone.now()
        locked._history_user = member
        locked.save(update_fields=["photo", "fulfil_note", "status", "fulfilled_at"])
    return locked


@transaction.atomic
def wish_confirm(*, wish: Wish, acting_user: User) -> Wish:
    _require_community_secretary(acting_user, wish.community)
    wish = Wish.objects.select_for_update().get(pk=wish.pk)
    if wish.status != WishStatus.FULFILLED:
        raise ValidationError(_("该微心愿尚未提交圆梦情况。"))
    wish.status = WishStatus.CONFIRMED
    wish.confirmed_by = acting_user
    wish.confirmed_at = timezone.now()
    wish._history_user = acting_user
    wish.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    return wish


# --- whistles (吹哨) ------------------------------------------------------------------------------


@transaction.atomic
def whistle_create(*, acting_user: User, community: Branch, **fields) -> Whistle:
    """The community blows the whistle; every registered member and unit secretary is notified."""
    _require_community_secretary(acting_user, community)
    whistle = Whistle(community=community, created_by=acting_user, **fields)
    whistle.full_clean()
    whistle._history_user = acting_user
    whistle.save()
    accepted = Registration.objects.filter(community=community, status=RegistrationStatus.ACCEPTED)
    users = User.objects.filter(
        Q(pk__in=accepted.values("member_id")) | Q(branch_id__in=accepted.values("branch_id"), role=Role.SECRETARY),
        is_active=True,
    )
    notice_send(
        users=users,
        title=_("社区吹哨：%(t)s") % {"t": whistle.title},
        body=f"{whistle.happens_on:%Y-%m-%d} {whistle.place}",
        url=whistle.get_absolute_url(),
        kind="whistle",
        key=f"whistle:{whistle.pk}",
    )
    return whistle


@transaction.atomic
def whistle_close(*, whistle: Whistle, acting_user: User) -> Whistle:
    _require_community_secretary(acting_user, whistle.community)
    whistle.status = OpenClosed.CLOSED
    whistle._history_user = acting_user
    whistle.save(update_fields=["status"])
    return whistle


def whistle_respond(*, whistle: Whistle, acting_user: User) -> WhistleResponse:
    """A registered member or unit answers the whistle (报到); never more than the places needed."""
    registration = registration_of(user=acting_user, community_id=whistle.community_id)
    if registration is None:
        raise ValidationError(_("请先到该社区报到并通过审核。"))
    try:
        with transaction.atomic():
            locked = Whistle.objects.select_for_update().get(pk=whistle.pk)
            if locked.status != OpenClosed.OPEN:
                raise ValidationError(_("该吹哨事项已结束。"))
            if WhistleResponse.objects.filter(whistle=locked, registration=registration).exists():
                raise ValidationError(_("已响应过该吹哨事项。"))
            if WhistleResponse.objects.filter(whistle=locked).count() >= locked.places:
                raise ValidationError(_("该吹哨事项人数已满。"))
            response = WhistleResponse(whistle=locked, registration=registration, responded_by=acting_user)
            response._history_user = acting_user
            response.save()
    except IntegrityError:
        raise ValidationError(_("已响应过该吹哨事项。"))
    return response


# --- volunteer hours (志愿服务时长) ----------------------------------------------------------------


def _minutes(start: datetime.time, end: datetime.time) -> int:
    return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)


def _target_community(*, member: User, project=None, wish=None, whistle=None) -> int:
    """The community of what the hours are for; the member (or their unit) must have claimed it."""
    targets = [t for t in (project, wish, whistle) if t is not None]
    if len(targets) != 1:
        raise ValidationError({"target": _("请选择一个服务项目、微心愿或吹哨事项。")})
    own = Q(registration__member=member)
    if member.branch_id:
        # Hours may be logged against what the member's own unit claimed: its members serve.
        own |= Q(registration__branch_id=member.branch_id)
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
    _require_member(member)
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
    entry._history_user = member
    entry.save()
    return entry


@transaction.atomic
def hours_decide(*, entry: HourEntry, acting_user: User, verify: bool, reason: str = "") -> HourEntry:
    """The community secretary verifies or rejects (with a reason) a pending entry."""
    _require_community_secretary(acting_user, entry.community)
    entry = HourEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.status != HourStatus.PENDING:
        raise ValidationError(_("该时长已审核。"))
    if not verify and not reason.strip():
        raise ValidationError({"reason": _("退回时请填写原因。")})
    entry.status = HourStatus.VERIFIED if verify else HourStatus.REJECTED
    entry.reject_reason = "" if verify else reason.strip()
    entry.decided_by = acting_user
    entry.decided_at = timezone.now()
    entry._history_user = acting_user
    entry.save(update_fields=["status", "reject_reason", "decided_by", "decided_at"])
    if not verify:
        notice_send(
            users=[entry.member],
            title=_("志愿服务时长被退回"),
            body=entry.reject_reason,
            url=reverse("volunteers:my_record"),
            kind="volunteers",
        )
    return entry
