"""What the menus, home links and pages offer a user: booleans computed by ``pairing.scope``.

Templates read these (``{% if can.manage %}``, ``{% if can.sees_region %}``), never role strings;
the context processor ``accounts.context_processors.perms`` gives every page ``can``, and the main
menu (``accounts.selectors.menu_entries``) is decided from it, through ``MenuKey``. Only attributes
the request's user already has are read: no query.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

from pairing import scope


@dataclasses.dataclass(frozen=True)
class Can:
    manage: bool  # change registry data, draw, read the audit trail (org-department staff)
    sees_region: bool  # pairings, coverage and the dashboard of a region (staff, leaders)
    is_member: bool
    is_branch_secretary: bool
    is_community_secretary: bool

    @classmethod
    def of(cls, user) -> Can:
        return cls(
            manage=scope.can_manage(user),
            sees_region=scope.sees_region(user),
            is_member=scope.is_member(user),
            is_branch_secretary=scope.is_branch_secretary(user),
            is_community_secretary=scope.is_community_secretary(user),
        )


class MenuKey(NamedTuple):
    """All the main menu depends on besides the language: what the user is offered and the two facts
    of the user it reads beyond that. The menu's memo key, and all its conditions read (no query)."""

    can: Can
    signed_in: bool
    on_branch: bool

    @classmethod
    def of(cls, user) -> MenuKey:
        return cls(Can.of(user), bool(getattr(user, "is_authenticated", False)), bool(getattr(user, "branch_id", None)))
