"""The query parameters of the pages, read in one place, one helper per kind.

A query string is typed, pasted, truncated and tampered with, so a parameter never raises: a value
that is absent or blank gives the page's default, and one that is not valid gives the default too,
with a message in the user's language on the page (the messages framework; the layout shows it).
The values are cleaned by Django's form fields, whose messages are translated, within bounds that
every database accepts (an id past a 32-bit integer, a year 0 or 99999 never reach a query).

Cursors of keyset pages are read by ``twinning.keyset.cursors``: a cursor that does not decode is
only a position, and gives the first page.
"""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

FIRST_YEAR = 2000  # the earliest year a page offers (records start long after)
MAX_ID = 2**31 - 1  # the largest primary key worth looking up (PostgreSQL's integer)


def value_clean(raw, field: forms.Field):
    """``raw`` cleaned by ``field``: (value, None), or (None, the messages why not); blank is (None, None)."""
    if raw is None or not str(raw).strip():
        return None, None
    try:
        return field.clean(raw), None
    except ValidationError as exc:
        return None, " ".join(exc.messages)


def query_value(request, name: str, field: forms.Field, *, default=None):
    """The ``name`` parameter of the request's query cleaned by ``field`` (its last value if given
    twice); ``default`` when blank or not valid, and then a message on the page naming the field."""
    value, error = value_clean(request.GET.get(name), field)
    if error:
        message = _("%(label)s：%(error)s") % {"label": field.label or name, "error": error}
        messages.error(request, message, fail_silently=True)
    return default if value is None else value


def query_int(request, name: str, *, label, min_value: int, max_value: int, default: int | None = None):
    """An integer in [min_value, max_value]."""
    field = forms.IntegerField(label=label, min_value=min_value, max_value=max_value)
    return query_value(request, name, field, default=default)


def query_id(request, name: str, *, label) -> int | None:
    """A row's primary key: whether the row exists, and is in the user's scope, is the page's to say."""
    return query_int(request, name, label=label, min_value=1, max_value=MAX_ID)


def query_year(request, name: str = "year", *, label) -> int:
    """A year from ``FIRST_YEAR`` to this one; this one by default."""
    this_year = timezone.localdate().year
    return query_int(request, name, label=label, min_value=FIRST_YEAR, max_value=this_year, default=this_year)


def query_choice(request, name: str, choices, *, label, default: str | None = None) -> str | None:
    """One of ``choices`` (values, or (value, label) pairs)."""
    values = [c[0] if isinstance(c, tuple | list) else c for c in choices]
    field = forms.ChoiceField(label=label, choices=[(v, v) for v in values])
    return query_value(request, name, field, default=default)


def query_text(request, name: str, *, label, max_length: int = 100) -> str:
    """Text to search for, stripped; "" when blank or not valid (too long, or a NUL character,
    which PostgreSQL refuses in a query)."""
    return query_value(request, name, forms.CharField(label=label, max_length=max_length), default="")


def query_date(request, name: str, *, label) -> datetime.date | None:
    """A date (2024-05-01); None when blank or not a date of the calendar."""
    return query_value(request, name, forms.DateField(label=label))


def id_or_none(raw) -> int | None:
    """A primary key given as text, for code that validates it later (a form's choice field); None
    when it is not one. Pages read their parameters with ``query_id``."""
    value, _error = value_clean(raw, forms.IntegerField(min_value=1, max_value=MAX_ID))
    return value
