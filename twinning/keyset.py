"""Keyset pagination for every list page: "first / previous / next", each page as cheap as the first.

OFFSET makes page k read, join and throw away k × N rows (PostgreSQL also evaluates their
annotations: 0.9 s for page 2,000 of the branch list at 200,000 branches), and ``Paginator.count``
counts every row in scope on each request. A keyset page seeks the list's index to the last row
shown and reads the next N + 1. The price is the one every large site pays: no page numbers.

A ``Keyset`` is a total order over non-null columns, the last one unique: ``("code",)``,
``("name", "pk")``, ``("-held_on", "-pk")``, or across a foreign key, ``("helper__code", "pk")``.
A key may also be a non-null annotation of the queryset (a figure the list is sorted by, or a
nullable column under ``Coalesce``), named in ``annotations`` with the field that cleans its cursor.
A cursor is a row's sort values as URL-safe base64 JSON, ``after=`` for the page after that row
and ``before=`` for the page before it. A cursor that does not decode, or does not fit the keys,
gives the first page: it is only a position, never trusted to be in scope (the rows come from the
caller's scoped queryset either way).

A page reads its rows in one query, or, with ``rows_by_pk``, in two: the sort keys of the page's
rows (and of up to ``count_cap`` rows on the first page, which gives an honest "N rows" or "more
than N" without a COUNT over the whole table), then the rows themselves by primary key, so
annotations and joins run for those N only. ``load`` then says what the rows are read as: e.g.
``lambda qs: qs.values_list("pk", "code", ..., named=True)`` for a list that only shows columns,
where a model instance (and one per related row) is most of the cost of a row. The keys are read
from the queryset itself, so the joins of the shown columns stay out of the key query.

A page can also merge several disjoint querysets that share one cursor format (the compliance
grid reads a county's pairings from each side). Each one is read in its own index order and the
rows are merged in Python, so merged keys must compare in Python as in the database (codes, dates,
numbers; not names under a collation).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import functools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import F, Field, Func, Model, Q, QuerySet, Value
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.db.models.query import ModelIterable

AFTER, BEFORE = "after", "before"
# Query parameters a page link replaces; "page" is dropped so old numbered links land on page 1.
CURSOR_PARAMS = (AFTER, BEFORE, "page")


@dataclass(frozen=True)
class Page:
    rows: list
    next_cursor: str | None = None
    previous_cursor: str | None = None
    is_first: bool = True
    counted: bool = False  # the first page, read up to ``count_cap`` rows: ``total`` says how many
    total: int | None = None  # all the rows of the list when counted and at most ``count_cap``
    count_cap: int = 0

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_previous(self) -> bool:
        return self.previous_cursor is not None

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or not self.is_first


class _Row(Func):
    """A row value ``(a, b)``: compared element by element, and an index condition on an index on (a, b)."""

    template = "(%(expressions)s)"
    output_field = Field()


class Keyset:
    """A total order over unique keys: its cursors and the filter that seeks past one.

    ``within`` names a column that the rows are filtered to one value of and that leads an index
    with the first key, e.g. ``("helper__county", county.pk)`` for a county's branches in code order
    on an index on (county, code). The range on the first key is then spelt as the row value
    (county, code) >= (c, x): an index condition that only that index can serve, which PostgreSQL
    estimates from the county alone. Otherwise it multiplies the county's share by the code's, as
    if counties were spread over the codes, and may choose to sort the whole county instead.
    """

    def __init__(
        self, *keys: str, within: tuple[str, object] | None = None, annotations: Mapping[str, Field] | None = None
    ):
        self.keys = keys
        self.annotations = dict(annotations or {})
        self.paths = tuple(k.lstrip("-") for k in keys)
        self.descending = tuple(k.startswith("-") for k in keys)
        self.within = within

    def order(self, *, backwards: bool = False) -> list[str]:
        return [f"-{p}" if d != backwards else p for p, d in zip(self.paths, self.descending, strict=True)]

    def values(self, obj) -> tuple:
        """The key values of a row (a model instance; related rows must be loaded with select_related)."""
        return tuple(functools.reduce(getattr, path.split("__"), obj) for path in self.paths)

    def seek(self, values: Sequence, *, backwards: bool = False) -> Q:
        """Rows strictly after ``values`` in this order (before them, if ``backwards``).

        Spelt "the first key at or past its value, and not (equal to it with the rest not past)":
        the range is what an index scan starts from, and the planner counts it once. The usual
        "k1 >= x AND (k1 > x OR (k1 = x AND k2 > y))" counts the range twice, and a tenth of the
        rows becomes a hundredth in its estimates.
        """
        return self._past_from(0, values, backwards)

    def _past_from(self, i: int, values: Sequence, backwards: bool) -> Q:
        path, later = self.paths[i], self.descending[i] != backwards
        if i == len(self.paths) - 1:
            return Q(**{f"{path}__{'lt' if later else 'gt'}": values[i]})
        at_or_past = self.bound(values[i], backwards=backwards) if i == 0 else self._range(i, values[i], later)
        return at_or_past & ~(Q(**{path: values[i]}) & ~self._past_from(i + 1, values, backwards))

    def _range(self, i: int, value, lower: bool) -> Q:
        return Q(**{f"{self.paths[i]}__{'lte' if lower else 'gte'}": value})

    def bound(self, value, *, backwards: bool = False) -> Q:
        """Rows at or after ``value`` of the first key (at or before, if ``backwards``)."""
        lower = self.descending[0] != backwards
        if self.within is None:
            return self._range(0, value, lower)
        column, fixed = self.within
        compare = LessThanOrEqual if lower else GreaterThanOrEqual
        return Q(compare(_Row(F(column), F(self.paths[0])), _Row(Value(fixed), Value(value))))

    def until(self, value, *, backwards: bool = False) -> Q:
        """Rows at or before ``value`` of the first key in reading order: the end of a range."""
        return self.bound(value, backwards=not backwards)

    def decode(self, model: type[Model], text: str | None) -> tuple | None:
        """The key values in a cursor, cleaned by the fields; None if it is not one of ours."""
        values = cursor_decode(text, _fields(model, self.keys, self.annotations))
        return tuple(values) if values is not None else None


def _fields(
    model: type[Model], keys: Sequence[str], annotations: Mapping[str, Field] | None = None
) -> list[tuple[str, bool, Field]]:
    """(path, descending, model field) for each key; a key must be a non-null column, reached
    through non-null foreign keys, or a non-null annotation, or the cursor could not say where its
    row stands."""
    fields = []
    for key in keys:
        path = key.lstrip("-")
        if annotations and path in annotations:
            fields.append((path, key.startswith("-"), annotations[path]))
            continue
        *relations, name = path.split("__")
        target = model
        for relation in relations:
            link = target._meta.get_field(relation)
            if not (link.many_to_one or link.one_to_one) or link.null:
                raise ValueError(f"keyset keys need non-null foreign keys, not {key!r}")
            target = link.related_model
        field = target._meta.pk if name == "pk" else target._meta.get_field(name)
        if field.is_relation or field.null:
            raise ValueError(f"keyset keys need non-null columns, not {key!r}")
        fields.append((path, key.startswith("-"), field))
    return fields


def cursor_encode(values: Sequence) -> str:
    plain = [v.isoformat() if isinstance(v, datetime.date | datetime.time) else v for v in values]
    text = json.dumps(plain, ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def cursor_decode(text: str | None, fields: Sequence[tuple[str, bool, Field]]) -> list | None:
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
    for value, (_path, _descending, field) in zip(raw, fields, strict=True):
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


def cursors(params: Mapping[str, str]) -> dict[str, str | None]:
    """The cursors of a request's query (``?after=`` / ``?before=``), as ``keyset_page`` takes them."""
    return {AFTER: params.get(AFTER), BEFORE: params.get(BEFORE)}


def keyset_page(queryset: QuerySet, keyset: Keyset, **options) -> Page:
    """One page of ``queryset`` in ``keyset`` order: the first, or the one after/before a cursor.

    The options are those of ``merged_keyset_page``: ``size``, ``after``, ``before``, and
    ``count_cap`` (the first page reads up to that many keys and says how many rows there are when
    there are no more) and ``rows_by_pk`` (read the page's keys first, then its rows by primary key).
    """
    return merged_keyset_page([(queryset, keyset)], **options)


def merged_keyset_page(
    sources: Sequence[tuple[QuerySet, Keyset]],
    *,
    size: int,
    after: str | None = None,
    before: str | None = None,
    count_cap: int | None = None,
    rows_by_pk: bool = False,
    load: Callable[[QuerySet], QuerySet] | None = None,
) -> Page:
    """One page over several disjoint querysets whose keysets share one cursor format.

    Each source reads at most one row more than the page from the cursor. Once a source has filled
    the page, the later ones read only up to its last key, so a sparse source does not scan to its end.
    ``load`` (with ``rows_by_pk``) turns each source into what its rows are read from: model
    instances by default, or a ``values()`` / ``values_list()`` queryset with the primary key first.
    """
    first_keyset, model = sources[0][1], sources[0][0].model
    following = first_keyset.decode(model, after)
    previous = first_keyset.decode(model, before) if following is None else None
    cursor, backwards = (previous, True) if previous is not None else (following, False)
    entries, full, read = _read_page(sources, cursor, backwards, size=size, count_cap=count_cap, rows_by_pk=rows_by_pk)
    if backwards and len(entries) < size:  # reached the start short (rows went): serve the first page, full
        cursor, backwards = None, False
        entries, full, read = _read_page(sources, None, False, size=size, count_cap=count_cap, rows_by_pk=rows_by_pk)

    counting = cursor is None and count_cap is not None
    more = len(entries) > size
    total = len(entries) if counting and not full and len(entries) <= read else None
    entries = entries[:size]
    if backwards:
        entries.reverse()
    is_first = cursor is None or (backwards and not more)
    rows = _load(sources, entries, load) if rows_by_pk else [row for _values, _index, row in entries]
    return Page(
        rows=rows,
        next_cursor=cursor_encode(entries[-1][0]) if entries and (more or backwards) else None,
        previous_cursor=cursor_encode(entries[0][0]) if entries and not is_first else None,
        is_first=is_first,
        counted=counting,
        total=total,
        count_cap=read if counting else 0,
    )


def _read_page(
    sources: Sequence[tuple[QuerySet, Keyset]],
    cursor: tuple | None,
    backwards: bool,
    *,
    size: int,
    count_cap: int | None,
    rows_by_pk: bool,
) -> tuple[list[tuple[tuple, int, object]], bool, int]:
    """The entries (key values, source, row or primary key) past ``cursor``, in reading order.

    Also says whether a source had more rows than were read, and how many rows each source was
    asked for (the page and one more; on a counted first page, ``count_cap`` and one more).
    """
    read = max(size, count_cap) if cursor is None and count_cap is not None else size
    entries: list[tuple[tuple, int, object]] = []
    limit, full = None, False
    for index, (queryset, keyset) in enumerate(sources):
        found = _read_source(queryset, keyset, index, cursor, backwards, limit=limit, read=read, rows_by_pk=rows_by_pk)
        if len(found) > read:
            full = True
            limit = found[-1][0][0] if limit is None else limit
        entries.extend(found)
    if len(sources) > 1:  # one source comes in the database's order, collation and all
        _sort_in_reading_order(entries, sources[0][1], backwards)
    return entries, full, read


def _read_source(
    queryset: QuerySet,
    keyset: Keyset,
    index: int,
    cursor: tuple | None,
    backwards: bool,
    *,
    limit,
    read: int,
    rows_by_pk: bool,
) -> list[tuple[tuple, int, object]]:
    """Up to ``read`` + 1 entries of one source past ``cursor`` (and up to ``limit`` of the first key)."""
    qs = queryset.order_by()
    if cursor is not None:
        qs = qs.filter(keyset.seek(cursor, backwards=backwards))
    if limit is not None:
        qs = qs.filter(keyset.until(limit, backwards=backwards))
    qs = qs.order_by(*keyset.order(backwards=backwards))
    if rows_by_pk:
        return [(tuple(key[1:]), index, key[0]) for key in qs.values_list("pk", *keyset.paths)[: read + 1]]
    return [(keyset.values(obj), index, obj) for obj in qs[: read + 1]]


def _sort_in_reading_order(entries: list[tuple[tuple, int, object]], keyset: Keyset, backwards: bool) -> None:
    """Sort merged entries by their key values as the keyset reads them (each key up or down).

    One stable sort per key, the last key first, gives the order of the whole tuple; equal
    entries keep the order they were read in.
    """
    for i in reversed(range(len(keyset.paths))):
        entries.sort(key=lambda entry, i=i: entry[0][i], reverse=keyset.descending[i] != backwards)


def _load(
    sources: Sequence[tuple[QuerySet, Keyset]],
    entries: Sequence[tuple[tuple, int, object]],
    load: Callable[[QuerySet], QuerySet] | None = None,
) -> list:
    """The rows of ``entries`` (keys read with ``rows_by_pk``), each from its own source, in order."""
    loaded = {}
    for index in {index for _values, index, _pk in entries}:
        pks = [pk for _values, i, pk in entries if i == index]
        queryset = sources[index][0] if load is None else load(sources[index][0])
        queryset = queryset.order_by().filter(pk__in=pks)
        if issubclass(queryset._iterable_class, ModelIterable):
            loaded[index] = queryset.in_bulk()
        else:  # values() or values_list(): the primary key comes first
            loaded[index] = {next(iter(row.values())) if isinstance(row, dict) else row[0]: row for row in queryset}
    return [loaded[index][pk] for _values, index, pk in entries if pk in loaded[index]]


def page_query(params, *, drop: Sequence[str] = ()) -> str:
    """The current query string without the cursor (and ``drop``), for page and sort links."""
    query = params.copy()
    for name in (*CURSOR_PARAMS, *drop):
        query.pop(name, None)
    return query.urlencode()
