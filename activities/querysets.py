"""The activities app's querysets: ``visible_to(user)`` for reads, ``manageable_by(user)`` for writes.

The rule is ``pairing.scope``'s filters (and ``activities.perms`` for who records); these methods are the
one place a read or a write starts.
"""

from __future__ import annotations

from django.db import models

from pairing import scope


class RecordedQuerySet(models.QuerySet):
    """Rows of a pairing recorded by one side: theme days and joint activities."""

    def visible_to(self, user):
        return self.filter(scope.pairing_q(user, "pairing__"))

    def manageable_by(self, user):
        from .perms import recorded_by_q

        return self.filter(recorded_by_q(user))


class KeyTaskListQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(scope.region_q(user, "region__"))

    def manageable_by(self, user):
        return self.filter(scope.managed_region_q(user, "region__"))
