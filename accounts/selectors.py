"""Reads of the accounts app."""

from __future__ import annotations

from django.db import connection

from pairing import scope
from pairing.models import Branch, BranchGrade, OptimisationCampaign, OptimisationRecord
from pairing.selectors import registry as registry_selectors
from twinning.memo import memoized


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


# Counting every branch of a city's scope takes about half a second of PostgreSQL at province scale
# and every login of the city's staff lands here; the counts move only with the branches, grades,
# optimisation records and current campaigns: counted once per change (and at most every five
# minutes) per scope and year, per worker, as the coverage page does.
@memoized(
    key=lambda *, user: (scope.scope_key(user), registry_selectors.current_year()),
    stamp=home_summary_stamp,
    size=256,
    ttl=300,
)
def home_summary(*, user) -> dict:
    """The home page's headline counts of the user's scope (``scope_summary``)."""
    return registry_selectors.scope_summary(user=user)
