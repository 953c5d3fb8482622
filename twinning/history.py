"""What changed between two versions of an object (django-simple-history), for the pages that show it.

One reading of ``diff_against`` for every history list: the audit trail (``reports/audit.py``) and
an object's own history (``pairing.selectors.pairings.pairing_history``). A change is
``{"field": <verbose name>, "old": …, "new": …}``, foreign keys as ids.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable


@functools.cache
def _fields_by_name(model) -> dict:
    """The model's fields by name and by attname (a foreign key's ``branch_id`` as well as ``branch``)."""
    return {f.name: f for f in model._meta.fields} | {f.attname: f for f in model._meta.fields}


def history_changes(newer, older, *, excluded_fields: Iterable[str] = (), choice_labels: bool = False) -> list[dict]:
    """The field changes from ``older`` to ``newer``, two historical records of one object.

    Each field is named by its verbose name; with ``choice_labels`` a choice field's values are
    shown by their labels (``"active"`` as "进行中"), otherwise as stored.
    """
    fields = _fields_by_name(newer.instance_type)

    def shown(name, value):
        field = fields.get(name)
        if not choice_labels or field is None or not field.choices:
            return value
        return dict(field.flatchoices).get(value, value)

    delta = newer.diff_against(older, excluded_fields=list(excluded_fields))
    return [
        {
            "field": str(fields[c.field].verbose_name) if c.field in fields else c.field,
            "old": shown(c.field, c.old),
            "new": shown(c.field, c.new),
        }
        for c in delta.changes
    ]
