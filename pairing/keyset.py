"""Keyset pagination for the list pages: every page costs what the first one does.

OFFSET makes page k read, join and throw away k × N rows (PostgreSQL also evaluates their
annotations: 0.9 s for page 2,000 of the branch list at 200,000 branches). A keyset page seeks
the list's index to the last row shown and reads the next N + 1. The price is the one every
large site pays: "first / previous / next" instead of numbered pages.

A page is two queries whatever the data:

1. the sort keys of the page's rows (and of up to ``count_cap`` rows on the first page, which
   gives an honest "N rows" or "more than N" without a COUNT over the whole table);
2. the page's rows themselves, by primary key, so annotations and joins run for those N only.

The ordering must be total and its fields non-null columns of the model: the last field unique
(``("code",)`` for a unique code, ``("name", "id")``, ``("-started_on", "-id")``). A cursor is a
row's sort values as URL-safe base64 JSON, ``after=`` for the page after that row and
``before=`` for the page before it. A cursor that does not decode, or does not fit the fields,
gives the first page: it is only a position, never trusted to be in scope (the rows come from
the caller's scoped queryset either way).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Model, Q, QuerySet

AFTER, BEFORE = "after", "before"
# Query parameters a page link replaces; "page" is dropped so old numbered links land on page 1.
CURSOR_PARAMS = (AFTER, BEFORE, "page")


@dataclass(frozen=True)
class KeysetPage:
    rows: list
    next_cursor: str | None
    previous_cursor: str | None
    is_first: bool
    counted: bool = False  # the first page, read up to ``count_cap`` rows: ``total`` says how many
    total: int | None = None  # all the rows of the list when counted and at most ``count_cap``
    count_cap: int = 0

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def _fields(model: type[Model], ordering: Sequence[str]) -> list[tuple[str, bool, object]]:
    """(name, descending, model field) for each ordering term."""
    fields = []
    for term in ordering:
        name = term.lstrip("-")
        field = model._meta.pk if name == "pk" else model._meta.get_field(name)
        if field.is_relation or field.null:
            raise ValueError(f"keyset ordering needs non-null local columns, not {term!r}")
        fields.append((field.attname, term.startswith("-"), field))
    return fields


def cursor_encode(values: Sequence) -> str:
    plain = [v.isoformat() if isinstance(v, datetime.date) else v for v in values]
    text = json.dumps(plain, ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def cursor_decode(text: str | None, fields: Sequence[tuple[str, bool, object]]) -> list | None:
    """The sort values in ``text``, each cleaned by its model field; None when anything is off."""
    if not text or len(text) > 1000:
        return None
    try:
        raw = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(raw, list) or len(raw) != len(fields):
        return None
    values = []
    for value, (_name, _descending, field) in zip(raw, fields, strict=True):
        if isinstance(value, bool) or not isinstance(value, int | str) or "\x00" in str(value):
            return None
        try:
            value = field.to_python(value)
            field.run_validators(value)  # integer range, max length: what the database would refuse
        except (ValidationError, FieldDoesNotExist, TypeError, OverflowError):
            return None
        if value is None:
            return None
        values.append(value)
    return values


def _beyond(fields: Sequence[tuple[str, bool, object]], values: Sequence, *, backwards: bool) -> Q:
    """Rows after ``values`` in the order (before them when ``backwards``).

    (a, b) > (x, y) spelt ``a >= x AND (a > x OR (a = x AND b > y))``: the leading ``a >= x``
    is what lets the database start the index scan at the cursor instead of at the first row.
    """
    q = None
    for (name, descending, _field), value in reversed(list(zip(fields, values, strict=True))):
        op = "lt" if descending != backwards else "gt"
        strict = Q(**{f"{name}__{op}": value})
        q = strict if q is None else strict | (Q(**{name: value}) & q)
    if len(fields) > 1:
        name, descending, _field = fields[0]
        q = Q(**{f"{name}__{'lte' if descending != backwards else 'gte'}": values[0]}) & q
    return q


def keyset_page(
    queryset: QuerySet,
    *,
    ordering: Sequence[str],
    params: Mapping[str, str],
    size: int,
    count_cap: int | None = None,
) -> KeysetPage:
    """The page of ``queryset`` that ``params`` (``after=`` or ``before=``) point at, in ``ordering``."""
    fields = _fields(queryset.model, ordering)
    names = [name for name, _descending, _field in fields]
    pk_name = queryset.model._meta.pk.attname
    after = cursor_decode(params.get(AFTER), fields)
    before = cursor_decode(params.get(BEFORE), fields) if after is None else None

    keys_qs = queryset.order_by()
    cap = max(size, count_cap or 0)
    counted = False
    if before is not None:
        reverse = [name if descending else f"-{name}" for name, descending, _field in fields]
        backwards = keys_qs.filter(_beyond(fields, before, backwards=True)).order_by(*reverse)
        keys = list(backwards.values_list(pk_name, *names)[: size + 1])
        is_first = len(keys) <= size  # nothing before these: this is the first page
        keys = keys[:size][::-1]
        has_next, has_previous = True, not is_first
    else:
        is_first = counted = after is None
        if after is not None:
            keys_qs = keys_qs.filter(_beyond(fields, after, backwards=False))
        keys = list(keys_qs.order_by(*ordering).values_list(pk_name, *names)[: (cap if counted else size) + 1])
        has_next, has_previous = len(keys) > size, not is_first
    total = len(keys) if counted and len(keys) <= cap else None
    keys = keys[:size]

    by_pk = queryset.order_by().filter(pk__in=[key[0] for key in keys]).in_bulk() if keys else {}
    return KeysetPage(
        rows=[by_pk[key[0]] for key in keys if key[0] in by_pk],
        next_cursor=cursor_encode(keys[-1][1:]) if keys and has_next else None,
        previous_cursor=cursor_encode(keys[0][1:]) if keys and has_previous else None,
        is_first=is_first,
        counted=counted,
        total=total,
        count_cap=cap,
    )


def page_query(params, *, drop: Sequence[str] = ()) -> str:
    """The current query string without the cursor (and ``drop``), for page and sort links."""
    query = params.copy()
    for name in (*CURSOR_PARAMS, *drop):
        query.pop(name, None)
    return query.urlencode()
