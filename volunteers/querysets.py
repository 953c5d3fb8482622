"""The volunteers app's querysets: ``visible_to(user)`` for reads, ``manageable_by(user)`` for writes.

What a user sees is ``pairing.scope.community_q`` plus their own (or their unit's) registrations; what
they change is ``volunteers.perms.runs_community``. These methods are the one place a read or a write starts.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from pairing import scope


def _runs_community_q(user) -> Q:
    from .perms import runs_community_q

    return runs_community_q(user, "community__")


class CommunityRowQuerySet(models.QuerySet):
    """A community's rows (projects, wishes, whistles): its own, and those of the communities where
    the user (or their unit) holds an accepted registration."""

    def visible_to(self, user):
        from .selectors.registrations import registered_communities_q

        return self.filter(scope.community_q(user, "community__") | registered_communities_q(user))

    def manageable_by(self, user):
        return self.filter(_runs_community_q(user))


class RegistrationQuerySet(models.QuerySet):
    def visible_to(self, user):
        from .selectors.registrations import own_registrations_q

        return self.filter(scope.community_q(user, "community__") | own_registrations_q(user))

    def manageable_by(self, user):
        return self.filter(_runs_community_q(user))


class HourEntryQuerySet(models.QuerySet):
    def visible_to(self, user):
        own = Q(member_id=user.pk) if getattr(user, "is_authenticated", False) else scope.NOTHING
        return self.filter(scope.community_q(user, "community__") | own)

    def manageable_by(self, user):
        return self.filter(_runs_community_q(user))
