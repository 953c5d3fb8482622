"""What the menus, home links and pages offer a user: booleans computed by ``pairing.scope``.

Templates read these (``{% if can.manage %}``, ``{% if can.sees_region %}``), never role strings;
the context processor ``accounts.context_processors.perms`` gives every page ``can``, and the main
menu (templates/jinja2/includes/main_menu.html) is drawn from it. Only attributes the request's user
already has are read: no query.
"""

from __future__ import annotations

import dataclasses

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
