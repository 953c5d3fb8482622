"""Shared model behaviour."""

from __future__ import annotations

from functools import cache

from django.utils.encoding import force_str


@cache
def _labels(field) -> dict:
    """{value: label} of a field's choices, built once per field; the labels stay lazy, so the
    active language still decides how each is shown."""
    return dict(field.flatchoices)


class FastChoiceDisplay:
    """``get_<field>_display`` without rebuilding the choices on each call.

    Django's version builds ``dict(make_hashable(field.flatchoices))`` on every call, and hashing
    the lazy labels translates each of them: on a 50-row list with two choice columns that was
    about 8 % of the page (cProfile of the branch list at 200,000 branches). Put it before
    ``models.Model`` in the bases; choice values here are plain strings and integers.
    """

    def _get_FIELD_display(self, field):  # noqa: N802 (Django's name)
        value = getattr(self, field.attname)
        try:
            label = _labels(field).get(value, value)
        except TypeError:  # an unhashable value: Django's own way
            return super()._get_FIELD_display(field)
        return force_str(label, strings_only=True)
