"""Who may do what on the activities pages: predicates on a user (and an object already in scope).

Reads are scoped by the selectors (404 outside scope); these answer what a page offers to a user
who sees the object. The services check the same rules again when they write (``secretary_side``).
"""

from __future__ import annotations

from django.db.models import Q

from pairing import scope

from .choices import ThemeDayStatus


def is_secretary(user) -> bool:
    """A branch secretary (or deputy) with a branch: the one who records for a pairing's side."""
    return scope.is_secretary(user)


def is_secretary_of(user, pairing) -> bool:
    """A secretary of one side of ``pairing``."""
    return is_secretary(user) and user.branch_id in (pairing.helper_id, pairing.partner_id)


def theme_day_can_edit(user, theme_day) -> bool:
    """The recording side's secretary edits a theme day."""
    return is_secretary_of(user, theme_day.pairing) and user.branch_id == theme_day.recorded_by_branch_id


def recorded_by_q(user) -> Q:
    """``theme_day_can_edit`` as a filter: the rows (theme days, joint activities) the user's side recorded."""
    if not getattr(user, "is_authenticated", False) or not user.is_active or not is_secretary(user):
        return scope.NOTHING
    return scope.pairing_q(user, "pairing__") & Q(recorded_by_branch_id=user.branch_id)


def theme_day_can_review(user, theme_day) -> bool:
    """The other side's secretary confirms or returns a pending theme day."""
    return (
        is_secretary_of(user, theme_day.pairing)
        and user.branch_id != theme_day.recorded_by_branch_id
        and theme_day.status == ThemeDayStatus.PENDING
    )


def can_see_compliance(user) -> bool:
    """The compliance grid: staff and leaders of a region, superusers, and secretaries (their pairings)."""
    return scope.sees_region(user) or is_secretary(user)
