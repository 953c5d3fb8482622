"""Writes of the demand list's service projects (服务项目) and their claims (认领)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import notice_send
from pairing.models import Branch
from twinning.audit import save_audited

from ..choices import Claimants, ClaimMode, OpenClosed, RegistrationKind, RegistrationStatus
from ..models import Claim, Project, Registration
from .common import (
    community_item_close,
    community_item_create,
    places_check,
    registration_required,
    registration_users,
    require_runs_community,
)


@transaction.atomic
def project_create(*, acting_user: User, community: Branch, **fields) -> Project:
    """The community secretary publishes a service project on the demand list."""
    return community_item_create(Project, acting_user=acting_user, community=community, fields=fields)


def project_close(*, project: Project, acting_user: User) -> Project:
    return community_item_close(project, acting_user=acting_user)


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
        require_runs_community(acting_user, project.community)
    else:
        registration = registration_required(
            acting_user, community_id=project.community_id, missing=_("请先到该社区报到并通过审核，再认领项目。")
        )
    try:
        with transaction.atomic():
            locked = Project.objects.select_for_update().get(pk=project.pk)
            if locked.status != OpenClosed.OPEN:
                raise ValidationError(_("该项目已结束认领。"))
            if registration.community_id != locked.community_id or registration.status != RegistrationStatus.ACCEPTED:
                raise ValidationError(_("认领方未在该社区报到。"))
            if not _claimant_allowed(locked.claimants, registration):
                raise ValidationError(_("该项目只接受%(who)s认领。") % {"who": Claimants(locked.claimants).label})
            places_check(
                Claim.objects.filter(project=locked),
                registration=registration,
                places=locked.places,
                again=_("已认领过该项目。"),
                full=_("该项目认领名额已满。"),
            )
            claim = Claim(
                project=locked,
                registration=registration,
                mode=ClaimMode.ASSIGNED if assigned else ClaimMode.SELF,
                claimed_by=acting_user,
            )
            save_audited(claim, acting_user=acting_user)
    except IntegrityError:
        raise ValidationError(_("已认领过该项目。"))
    if assigned:
        notice_send(
            users=registration_users(registration),
            title=_("社区为您指定了服务项目：%(t)s") % {"t": project.title},
            url=project.get_absolute_url(),
            kind="volunteers",
        )
    return claim
