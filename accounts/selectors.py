"""Reads of the accounts app."""

from __future__ import annotations

from django.db import connection

from pairing.models import Branch, BranchGrade, OptimisationCampaign, OptimisationRecord


def home_summary_stamp() -> tuple:
    """What the home page's headline counts (pairing.selectors.registry.scope_summary) move with, in one cheap
    query: the high-water marks of the branch, grade and optimisation-record history (every write of
    them leaves a history row, bulk ones included) and the current optimisation campaigns. Index
    lookups only."""
    branches, grades, records = (m.history.model._meta.db_table for m in (Branch, BranchGrade, OptimisationRecord))
    current = f"FROM {OptimisationCampaign._meta.db_table} WHERE is_current"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT MAX(history_id) FROM {branches}), (SELECT MAX(history_id) FROM {grades}),"
            f" (SELECT MAX(history_id) FROM {records}),"
            f" (SELECT MIN(id) {current}), (SELECT MAX(id) {current}), (SELECT COUNT(*) {current})"
        )
        return tuple(cursor.fetchone())
