"""Reads of the other joint activities (联建活动)."""

from __future__ import annotations

from django.db.models import QuerySet

from ..models import JointActivity


def joint_activity_list(*, user) -> QuerySet[JointActivity]:
    return JointActivity.objects.visible_to(user).select_related(
        "pairing__helper", "pairing__partner", "recorded_by_branch"
    )
