"""Writes of the activities app: atomic, validated, audited (django-simple-history).

One module per sub-domain; the services are re-exported here, so callers write ``services.<name>``.
"""

from .common import secretary_side
from .joint_activities import joint_activity_record
from .key_tasks import (
    half_bounds,
    key_task_list_carry_over,
    key_task_list_publish,
    key_task_report_save,
    next_half,
)
from .photos import photo_display_copies_make
from .theme_days import (
    THEME_DAY_FIELDS,
    theme_day_confirm,
    theme_day_record,
    theme_day_reminders_send,
    theme_day_return,
    theme_day_update,
)

__all__ = [
    "THEME_DAY_FIELDS",
    "half_bounds",
    "joint_activity_record",
    "key_task_list_carry_over",
    "key_task_list_publish",
    "key_task_report_save",
    "next_half",
    "photo_display_copies_make",
    "secretary_side",
    "theme_day_confirm",
    "theme_day_record",
    "theme_day_reminders_send",
    "theme_day_return",
    "theme_day_update",
]
