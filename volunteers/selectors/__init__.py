"""Reads of 双报到、双服务, always starting from what the user may see, split by sub-domain:
``registrations`` (communities, registrations, the scope of members and units), ``demands``
(projects, claims, wishes, whistles), ``hours``, ``members`` (members and units) and
``figures`` (quarters, figures and targets). The names below are the app's read API.
"""

from .demands import (
    project_claims,
    project_get,
    projects_visible,
    resident_name_for,
    unit_claims,
    whistle_get,
    whistle_responses,
    whistles_visible,
    wish_get,
    wishes_claimed_by,
    wishes_visible,
)
from .figures import (
    Quarter,
    communities_with_figures,
    community_figures,
    community_registrations,
    member_summary,
    member_yearly_record,
    members_with_standing,
    unit_members,
    unit_targets,
)
from .hours import hour_target, hour_targets, hours_get, hours_visible
from .members import member_get, members_visible, unit_get, units_visible
from .registrations import (
    communities_to_register,
    communities_visible,
    community_get,
    member_home_registration,
    registration_get,
    registration_of,
    registrations_accepted,
    registrations_visible,
    unit_registrations,
)

__all__ = [
    "Quarter",
    "communities_to_register",
    "communities_visible",
    "communities_with_figures",
    "community_figures",
    "community_get",
    "community_registrations",
    "hour_target",
    "hour_targets",
    "hours_get",
    "hours_visible",
    "member_get",
    "member_home_registration",
    "member_summary",
    "member_yearly_record",
    "members_visible",
    "members_with_standing",
    "project_claims",
    "project_get",
    "projects_visible",
    "registration_get",
    "registration_of",
    "registrations_accepted",
    "registrations_visible",
    "resident_name_for",
    "unit_claims",
    "unit_get",
    "unit_members",
    "unit_registrations",
    "unit_targets",
    "units_visible",
    "whistle_get",
    "whistle_responses",
    "whistles_visible",
    "wish_get",
    "wishes_claimed_by",
    "wishes_visible",
]
