"""Writes of the other joint activities (联建活动)."""

from __future__ import annotations

import datetime

from accounts.models import User
from pairing.models import Pairing
from twinning.audit import save_audited

from ..choices import ActivityKind
from ..models import JointActivity
from .common import secretary_side, validate_date


def joint_activity_record(
    *,
    pairing: Pairing,
    acting_user: User,
    kind: str,
    held_on: datetime.date,
    title: str,
    summary: str = "",
    participants: int = 0,
    persons_visited: int = 0,
) -> JointActivity:
    side = secretary_side(user=acting_user, pairing=pairing)
    validate_date(pairing=pairing, held_on=held_on)
    if kind != ActivityKind.VISIT:
        persons_visited = 0  # only 走访慰问 counts persons visited
    activity = JointActivity(
        pairing=pairing,
        recorded_by_branch=side,
        recorded_by=acting_user,
        kind=kind,
        held_on=held_on,
        title=title.strip(),
        summary=summary.strip(),
        participants=participants,
        persons_visited=persons_visited,
    )
    save_audited(activity, acting_user=acting_user)
    return activity
