"""Reads for the roster pages: the import runs a user may follow."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .. import scope
from ..models import RosterImport


def roster_imports(*, user) -> QuerySet[RosterImport]:
    """Runs the user started, and runs of regions inside theirs, for staff only (others see none)."""
    if not scope.can_manage(user):
        return RosterImport.objects.none()
    return RosterImport.objects.filter(Q(requested_by=user) | scope.region_q(user, prefix="region__")).select_related(
        "region", "requested_by"
    )
