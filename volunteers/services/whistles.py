"""Writes of whistles (吹哨): the community calls, registered units and members answer (报到)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import notice_send
from pairing.choices import Role
from pairing.models import Branch
from twinning.audit import save_audited

from ..choices import OpenClosed, RegistrationStatus
from ..models import Registration, Whistle, WhistleResponse
from .common import community_item_close, community_item_create, places_check, registration_required


@transaction.atomic
def whistle_create(*, acting_user: User, community: Branch, **fields) -> Whistle:
    """The community blows the whistle; every registered member and unit secretary is notified."""
    whistle = community_item_create(Whistle, acting_user=acting_user, community=community, fields=fields)
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


def whistle_close(*, whistle: Whistle, acting_user: User) -> Whistle:
    return community_item_close(whistle, acting_user=acting_user)


def whistle_respond(*, whistle: Whistle, acting_user: User) -> WhistleResponse:
    """A registered member or unit answers the whistle (报到); never more than the places needed."""
    registration = registration_required(
        acting_user, community_id=whistle.community_id, missing=_("请先到该社区报到并通过审核。")
    )
    try:
        with transaction.atomic():
            locked = Whistle.objects.select_for_update().get(pk=whistle.pk)
            if locked.status != OpenClosed.OPEN:
                raise ValidationError(_("该吹哨事项已结束。"))
            places_check(
                WhistleResponse.objects.filter(whistle=locked),
                registration=registration,
                places=locked.places,
                again=_("已响应过该吹哨事项。"),
                full=_("该吹哨事项人数已满。"),
            )
            response = WhistleResponse(whistle=locked, registration=registration, responded_by=acting_user)
            save_audited(response, acting_user=acting_user)
    except IntegrityError:
        raise ValidationError(_("已响应过该吹哨事项。"))
    return response
