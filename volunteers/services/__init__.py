"""Writes of 双报到、双服务: atomic, validated, kept in history, races settled by the database.
Split by sub-domain: ``registrations``, ``claims`` (projects and claims), ``wishes``,
``whistles``, ``hours``; ``common`` holds what they share. The names below are the app's
write API.

Who may do what is asked of ``volunteers.perms``: a community secretary runs their own
community (accepts registrations, publishes projects, wishes and whistles, assigns claims,
verifies hours); a unit's branch secretary registers the unit and claims for it; an
in-service member registers, claims and records their own hours.
"""

from .claims import claim_create, project_close, project_create
from .hours import hours_decide, hours_record
from .registrations import registration_decide, registration_member_create, registration_unit_create
from .whistles import whistle_close, whistle_create, whistle_respond
from .wishes import wish_claim, wish_confirm, wish_create, wish_fulfil

__all__ = [
    "claim_create",
    "hours_decide",
    "hours_record",
    "project_close",
    "project_create",
    "registration_decide",
    "registration_member_create",
    "registration_unit_create",
    "whistle_close",
    "whistle_create",
    "whistle_respond",
    "wish_claim",
    "wish_confirm",
    "wish_create",
    "wish_fulfil",
]
