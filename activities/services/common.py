"""Who acts for a pairing, and the date rule shared by theme days and joint activities."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from pairing import scope
from pairing.models import Branch, Pairing


def secretary_side(*, user, pairing: Pairing) -> Branch:
    """The side of the pairing a secretary acts for; PermissionDenied for anyone else."""
    if scope.is_secretary(user) and user.branch_id in (pairing.helper_id, pairing.partner_id):
        return pairing.helper if user.branch_id == pairing.helper_id else pairing.partner
    raise PermissionDenied(_("只有结对双方的支部书记可以填报。"))


def validate_date(*, pairing: Pairing, held_on: datetime.date) -> None:
    today = timezone.localdate()
    if held_on > today:
        raise ValidationError({"held_on": _("活动日期不能晚于今天（%(today)s）。") % {"today": f"{today:%Y-%m-%d}"}})
    if held_on < pairing.started_on:
        raise ValidationError(
            {"held_on": _("活动日期早于结对日期（%(d)s）。") % {"d": f"{pairing.started_on:%Y-%m-%d}"}}
        )
    if pairing.dissolved_on and held_on > pairing.dissolved_on:
        raise ValidationError(
            {"held_on": _("活动日期晚于结对解除日期（%(d)s）。") % {"d": f"{pairing.dissolved_on:%Y-%m-%d}"}}
        )
