"""Manual pairing work: pair by hand, dissolve, re-pair, swap partners, 一帮二, agreement upload.

Every action is atomic, validated against the pairing rules and the acting user's scope,
and recorded in the pairing's history (who, when, before → after, with the reason).
The database settles races through the constraints on ``Pairing``: an IntegrityError
becomes a clear Chinese message and nothing is half-written.

``acting_user=None`` means a trusted caller without a user (``draw_pairs``, ``seed_demo``).
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from twinning import files
from twinning.audit import save_audited

from .. import scope
from ..choices import HELPER_KINDS, PARTNER_KINDS, PairingMethod, PairingStatus
from ..models import Branch, Pairing, PairingCampaign, Region

RACE_MESSAGE = gettext_lazy("有人刚刚修改了这些支部的结对，请刷新页面后重试。")


def require_manager(user) -> None:
    if user is not None and not scope.can_manage(user):
        raise PermissionDenied(_("只有组织部工作人员可以调整结对。"))


def require_branches_in_scope(user, *branches: Branch) -> None:
    """Every branch being paired must be visible to the acting staff member."""
    if user is None:
        return
    ids = {b.pk for b in branches}
    if Branch.objects.visible_to(user).filter(pk__in=ids).count() != len(ids):
        raise ValidationError(_("所选支部不在您的管辖范围内。"))


def campaign_name(*, city: Region, year: int) -> str:
    return f"{year} {city.name}支部联支部"


def campaign_current(*, city: Region, create: bool = True) -> PairingCampaign | None:
    """The city's current pairing campaign; created ("<year> <city>支部联支部") when missing."""
    campaign = PairingCampaign.objects.filter(city=city, is_current=True).first()
    if campaign is None and create:
        year = timezone.localdate().year
        campaign, _created = PairingCampaign.objects.get_or_create(
            city=city,
            name=campaign_name(city=city, year=year),
            defaults={"year": year, "starts_on": timezone.localdate(), "is_current": True},
        )
    return campaign


def _save(pairing: Pairing, acting_user, reason: str = "", update_fields: list[str] | None = None) -> None:
    try:
        with transaction.atomic():
            save_audited(pairing, acting_user=acting_user, update_fields=update_fields or None, reason=reason)
    except IntegrityError:
        raise ValidationError(RACE_MESSAGE)


def partner_current_pairing(*, campaign: PairingCampaign, partner: Branch) -> Pairing | None:
    return (
        Pairing.objects.filter(campaign=campaign, partner=partner, status=PairingStatus.ACTIVE)
        .select_related("helper")
        .first()
    )


def _validate_sides(helper: Branch, partner: Branch) -> None:
    if helper.kind not in HELPER_KINDS:
        raise ValidationError({"helper": _("帮扶支部必须是机关、企业或事业单位支部。")})
    if partner.kind not in PARTNER_KINDS:
        raise ValidationError({"partner": _("结对支部必须是农村或社区支部。")})
    if helper.city_id != partner.city_id:
        raise ValidationError(_("两个支部不属于同一个市。"))


def _helper_slot(*, campaign: PairingCampaign, helper: Branch, allow_second: bool) -> int:
    taken = set(
        Pairing.objects.filter(campaign=campaign, helper=helper, status=PairingStatus.ACTIVE).values_list(
            "slot", flat=True
        )
    )
    if not taken:
        return 1
    if len(taken) >= 2:
        raise ValidationError({"helper": _("该帮扶支部已经一帮二，不能再结对。")})
    if not allow_second:
        raise ValidationError({"helper": _("该帮扶支部已有结对；如确需一帮二，请勾选“允许一帮二”。")})
    return 2 if 1 in taken else 1


def _create(
    *,
    helper: Branch,
    partner: Branch,
    campaign: PairingCampaign,
    acting_user,
    method: str,
    allow_second: bool,
    started_on: datetime.date | None,
    reason: str = "",
) -> Pairing:
    _validate_sides(helper, partner)
    current = partner_current_pairing(campaign=campaign, partner=partner)
    if current is not None:
        raise ValidationError(
            {
                "partner": _("%(partner)s 已与 %(helper)s 结对。")
                % {"partner": partner.name, "helper": current.helper.name}
            }
        )
    slot = _helper_slot(campaign=campaign, helper=helper, allow_second=allow_second)
    pairing = Pairing(
        campaign=campaign,
        helper=helper,
        partner=partner,
        slot=slot,
        method=method,
        started_on=started_on or timezone.localdate(),
        created_by=acting_user,
    )
    if slot == 2 and acting_user is not None:
        # Staff who pair a second partner by hand have made the 一帮二 decision themselves.
        pairing.double_approved_by = acting_user
        pairing.double_approved_at = timezone.now()
    _save(pairing, acting_user, reason)
    return pairing


@transaction.atomic
def pairing_create(
    *,
    helper: Branch,
    partner: Branch,
    acting_user,
    allow_second: bool = False,
    method: str = PairingMethod.MANUAL,
    started_on: datetime.date | None = None,
) -> Pairing:
    """Pair two branches by hand in the city's current campaign.

    A helper that already has a partner gets a second one (slot 2, "一帮二") only with
    ``allow_second``; a partner never has two active pairings.
    """
    require_manager(acting_user)
    require_branches_in_scope(acting_user, helper, partner)
    campaign = campaign_current(city=helper.city)
    return _create(
        helper=helper,
        partner=partner,
        campaign=campaign,
        acting_user=acting_user,
        method=method,
        allow_second=allow_second,
        started_on=started_on,
    )


def _dissolve(*, pairing: Pairing, acting_user, reason: str, promote: bool = True) -> None:
    if not pairing.is_active:
        raise ValidationError(_("该结对已经解除。"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写解除原因。")})
    pairing.status = PairingStatus.DISSOLVED
    pairing.dissolved_on = timezone.localdate()
    pairing.dissolve_reason = reason
    _save(pairing, acting_user, reason, ["status", "dissolved_on", "dissolve_reason"])
    if promote and pairing.slot == 1:
        # The helper's remaining second partner is now its only one: no longer 一帮二.
        second = Pairing.objects.filter(
            campaign_id=pairing.campaign_id, helper_id=pairing.helper_id, slot=2, status=PairingStatus.ACTIVE
        ).first()
        if second is not None:
            second.slot = 1
            _save(second, acting_user, _("一帮二转为一对一"), ["slot"])


def _lock(*pairings: Pairing) -> None:
    """Re-read the pairings' status under a row lock (PostgreSQL) so that stale pages fail cleanly."""
    ids = [p.pk for p in pairings]
    rows = dict(Pairing.objects.select_for_update().filter(pk__in=ids).values_list("pk", "status"))
    for pairing in pairings:
        if rows.get(pairing.pk) != PairingStatus.ACTIVE:
            raise ValidationError(_("该结对已被他人解除或调整，请刷新页面。"))
        pairing.status = rows[pairing.pk]


@transaction.atomic
def pairing_dissolve(*, pairing: Pairing, acting_user, reason: str) -> Pairing:
    """Dissolve a pairing with a reason (kept in history); the partner becomes uncovered."""
    require_manager(acting_user)
    require_branches_in_scope(acting_user, pairing.helper, pairing.partner)
    _lock(pairing)
    _dissolve(pairing=pairing, acting_user=acting_user, reason=reason)
    return pairing


@transaction.atomic
def pairing_repair(
    *, pairing: Pairing, helper: Branch, acting_user, reason: str, allow_second: bool = False
) -> Pairing:
    """Re-pair: dissolve ``pairing`` and give its partner a new helper. Returns the new pairing."""
    require_manager(acting_user)
    require_branches_in_scope(acting_user, pairing.partner, helper)
    if helper.pk == pairing.helper_id:
        raise ValidationError({"helper": _("新的帮扶支部与原帮扶支部相同。")})
    _lock(pairing)
    _dissolve(pairing=pairing, acting_user=acting_user, reason=reason)
    return _create(
        helper=helper,
        partner=pairing.partner,
        campaign=pairing.campaign,
        acting_user=acting_user,
        method=PairingMethod.MANUAL,
        allow_second=allow_second,
        started_on=None,
        reason=reason,
    )


@transaction.atomic
def pairing_swap(*, first: Pairing, second: Pairing, acting_user, reason: str) -> tuple[Pairing, Pairing]:
    """Swap partners between two active pairings of the same campaign; both helpers keep their slots."""
    require_manager(acting_user)
    require_branches_in_scope(acting_user, first.helper, first.partner, second.helper, second.partner)
    if first.pk == second.pk or first.helper_id == second.helper_id:
        raise ValidationError(_("请选择另一个帮扶支部的结对进行交换。"))
    if first.campaign_id != second.campaign_id:
        raise ValidationError(_("两个结对不属于同一结对活动。"))
    _lock(first, second)
    _dissolve(pairing=first, acting_user=acting_user, reason=reason, promote=False)
    _dissolve(pairing=second, acting_user=acting_user, reason=reason, promote=False)
    created = []
    for old, partner in ((first, second.partner), (second, first.partner)):
        new = Pairing(
            campaign=old.campaign,
            helper=old.helper,
            partner=partner,
            slot=old.slot,
            method=PairingMethod.MANUAL,
            started_on=timezone.localdate(),
            created_by=acting_user,
            double_approved_by=old.double_approved_by,
            double_approved_at=old.double_approved_at,
        )
        _save(new, acting_user, reason)
        created.append(new)
    return created[0], created[1]


@transaction.atomic
def pairing_double_approve(*, pairing: Pairing, acting_user) -> Pairing:
    """Staff confirm a 一帮二 pairing proposed by a draw."""
    require_manager(acting_user)
    require_branches_in_scope(acting_user, pairing.helper, pairing.partner)
    if not pairing.awaits_double_review:
        raise ValidationError(_("该结对不需要一帮二审核。"))
    pairing.double_approved_by = acting_user
    pairing.double_approved_at = timezone.now()
    _save(pairing, acting_user, _("确认一帮二"), ["double_approved_by", "double_approved_at"])
    return pairing


PEOPLE_FIELDS = ("liaison_officers", "part_time_secretary", "invited_members")


@transaction.atomic
def pairing_people_update(*, pairing: Pairing, acting_user, data: dict) -> Pairing:
    """Change the liaison officers (联络员), part-time secretary (兼职书记) and invited members (特邀委员)."""
    require_manager(acting_user)
    require_branches_in_scope(acting_user, pairing.helper, pairing.partner)
    changed = [f for f in PEOPLE_FIELDS if f in data and getattr(pairing, f) != (data[f] or "").strip()]
    for name in changed:
        setattr(pairing, name, (data[name] or "").strip())
    if changed:
        _save(pairing, acting_user, "", changed)
    return pairing


def pairing_agreement_upload(*, pairing: Pairing, acting_user, upload) -> Pairing:
    """Attach the signed co-building agreement (联建协议): a PDF or a photo (``files.AGREEMENTS``).

    Rejected files are never stored; the file of a failed write is deleted, the replaced one once committed.
    """
    require_manager(acting_user)
    require_branches_in_scope(acting_user, pairing.helper, pairing.partner)
    try:
        checked = files.upload_check(upload, accept=files.AGREEMENTS)
    except ValidationError as exc:
        raise ValidationError({"agreement": exc.error_list}) from exc
    old_name = pairing.agreement.name if pairing.agreement else ""
    storage = pairing.agreement.storage
    try:
        with files.files_written("pairing/agreements") as writer, transaction.atomic():
            pairing.agreement = writer.save(checked)
            transaction.on_commit(lambda: old_name and storage.delete(old_name))
            _save(pairing, acting_user, _("上传联建协议"), ["agreement"])
    except BaseException:
        pairing.agreement = old_name  # the new file is gone: the page keeps showing the old one
        raise
    return pairing
