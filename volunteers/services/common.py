"""What the volunteers services share: the permission checks (through ``volunteers.perms``),
file checks, notices to a community, and the two shapes every community item has (published
by the community secretary, closed by them)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import notice_send
from pairing.choices import BranchKind, Role
from pairing.models import Branch
from twinning import files
from twinning.audit import save_audited

from .. import perms
from ..choices import OpenClosed, RegistrationKind
from ..models import Registration
from ..selectors.registrations import registration_of


def require_runs_community(user, community: Branch) -> None:
    if not perms.runs_community(user, community):
        raise PermissionDenied(_("只有本社区党组织书记可以进行此操作。"))


def require_member(user) -> None:
    if not perms.is_member(user):
        raise PermissionDenied(_("只有在职党员可以进行此操作。"))


def require_community(community: Branch) -> None:
    if community.kind != BranchKind.COMMUNITY:
        raise ValidationError({"community": _("请选择社区党组织。")})


def file_checked(upload, *, accept: files.Accept, field: str) -> files.CheckedFile:
    """An uploaded file checked by content (an image re-encoded); errors under ``field``."""
    try:
        return files.upload_check(upload, accept=accept)
    except ValidationError as exc:
        raise ValidationError({field: exc.error_list}) from exc


def registration_users(registration: Registration) -> list[User]:
    """Who hears of a registration: the member, or the unit's secretaries."""
    if registration.kind == RegistrationKind.MEMBER:
        return [registration.member]
    return list(User.objects.filter(branch_id=registration.branch_id, role=Role.SECRETARY, is_active=True))


def notify_community(community: Branch, title: str, body: str, url: str) -> None:
    secretaries = User.objects.filter(branch=community, role=Role.COMMUNITY_SECRETARY, is_active=True)
    notice_send(users=secretaries, title=title, body=body, url=url, kind="volunteers")


def community_item_create(model: type[Model], *, acting_user: User, community: Branch, fields: dict) -> Model:
    """The community secretary publishes a project, a wish or a whistle (validated by the model)."""
    require_runs_community(acting_user, community)
    item = model(community=community, created_by=acting_user, **fields)
    item.full_clean()
    save_audited(item, acting_user=acting_user)
    return item


@transaction.atomic
def community_item_close(item: Model, *, acting_user: User) -> Model:
    """The community secretary ends a project's claims or a whistle."""
    require_runs_community(acting_user, item.community)
    item.status = OpenClosed.CLOSED
    save_audited(item, acting_user=acting_user, update_fields=["status"])
    return item


def places_check(taken: QuerySet, *, registration: Registration, places: int, again: str, full: str) -> None:
    """Inside the lock of a project or whistle: the registration has not taken a place yet
    (``again``), and a place is left (``full``)."""
    if taken.filter(registration=registration).exists():
        raise ValidationError(again)
    if taken.count() >= places:
        raise ValidationError(full)


def registration_required(user, *, community_id: int, missing: str) -> Registration:
    """The user's (or their unit's) accepted registration at the community, or ``missing`` as the error."""
    registration = registration_of(user=user, community_id=community_id)
    if registration is None:
        raise ValidationError(missing)
    return registration


def decision_record(row: Model, *, acting_user: User, status: str, reason_field: str, reason: str) -> None:
    """The community secretary's decision on a pending row locked by the caller: its status, the
    reason (empty unless refused), who and when, saved in history."""
    row.status = status
    setattr(row, reason_field, reason)
    row.decided_by = acting_user
    row.decided_at = timezone.now()
    save_audited(row, acting_user=acting_user, update_fields=["status", reason_field, "decided_by", "decided_at"])
