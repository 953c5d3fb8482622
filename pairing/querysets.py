"""The pairing app's querysets: each scoped model answers ``visible_to(user)`` and ``manageable_by(user)``.

The rule itself is ``pairing.scope``'s filters; these methods are the one place a read or a write starts.
"""

from __future__ import annotations

from django.db import models

from . import scope


class RegionQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(scope.region_q(user))

    def manageable_by(self, user):
        return self.filter(scope.managed_region_q(user))


class UnitQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(scope.unit_q(user))


class BranchQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(scope.branch_q(user))

    def manageable_by(self, user):
        return self.filter(scope.managed_branch_q(user))


class DrawQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(scope.region_q(user, "region__"))

    def manageable_by(self, user):
        return self.filter(scope.managed_region_q(user, "region__"))


class PairingQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(scope.pairing_q(user))

    def manageable_by(self, user):
        return self.filter(scope.managed_pairing_q(user))
