"""Keyset pagination: "first / previous / next" by a cursor instead of page numbers.

A page is the ``size`` rows after (or before) a cursor in a total order over unique keys, such as
``("-held_on", "-pk")``. The filter puts a plain range on the first key, so PostgreSQL starts an
index scan at the cursor: the thousandth page costs what the first does. OFFSET pages read and
drop every earlier row, and ``Paginator.count`` counts every row in scope on each request.

A page can also merge several querysets that share one cursor format and are disjoint. Each one is
read in its own index order, and the rows are merged in Python (the compliance grid uses this for the
two sides of a pairing). A cursor that does not decode gives the first page, not an error.

The cursors and the page links are those of the pairing lists (``pairing.keyset``,
``pairing/_keyset_pagination.html``). Those read a page's keys, then its rows by id, and take
local columns only; these lists order by the related branch's code and merge sources, and read
a page's rows in one query.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist
from django.db.models import F, Field, Func, Q, QuerySet, Value
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual

from pairing.keyset import cursor_decode, cursor_encode


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

    def __init__(self, *keys: str, within: tuple[str, object] | None = None):
        self.keys = keys
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

    def compare(self, a: tuple, b: tuple) -> int:
        for x, y, descending in zip(a, b, self.descending, strict=True):
            if x != y:
                return (1 if x > y else -1) * (-1 if descending else 1)
        return 0

    def encode(self, values: tuple) -> str:
        return cursor_encode(values)

    def decode(self, model, text: str | None) -> tuple | None:
        """The key values in a cursor, cleaned by the fields; None if it is not one of ours."""
        try:
            fields = [(p, d, _field(model, p)) for p, d in zip(self.paths, self.descending, strict=True)]
        except FieldDoesNotExist:
            return None
        values = cursor_decode(text, fields)
        return tuple(values) if values is not None else None


def _field(model, path: str):
    *relations, name = path.split("__")
    for relation in relations:
        model = model._meta.get_field(relation).related_model
    return model._meta.pk if name == "pk" else model._meta.get_field(name)


@dataclass
class Page:
    object_list: list
    next_cursor: str | None = None
    previous_cursor: str | None = None
    is_first: bool = True

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_previous(self) -> bool:
        return self.previous_cursor is not None

    @property
    def has_other_pages(self) -> bool:
        return self.has_next or not self.is_first


def keyset_page(
    queryset: QuerySet, keyset: Keyset, *, size: int, after: str | None = None, before: str | None = None
) -> Page:
    """One page of ``queryset`` in ``keyset`` order: the first, or the one after/before a cursor."""
    return merged_keyset_page([(queryset, keyset)], size=size, after=after, before=before)


def merged_keyset_page(
    sources: Sequence[tuple[QuerySet, Keyset]], *, size: int, after: str | None = None, before: str | None = None
) -> Page:
    """One page over several disjoint querysets whose keysets share one cursor format.

    Each source reads at most ``size + 1`` rows from the cursor. Once a source has filled the page,
    the later ones read only up to its last key, so a sparse source does not scan to its end.
    """
    first_keyset = sources[0][1]
    model = sources[0][0].model
    previous = first_keyset.decode(model, before)
    following = first_keyset.decode(model, after) if previous is None else None
    cursor, backwards = (previous, True) if previous is not None else (following, False)

    rows: list[tuple[tuple, object]] = []
    limit = None
    for queryset, keyset in sources:
        qs = queryset.filter(keyset.seek(cursor, backwards=backwards)) if cursor is not None else queryset
        if limit is not None:
            qs = qs.filter(keyset.until(limit, backwards=backwards))
        found = [(keyset.values(obj), obj) for obj in qs.order_by(*keyset.order(backwards=backwards))[: size + 1]]
        if len(found) > size and limit is None:
            limit = found[-1][0][0]
        rows.extend(found)

    def reading_order(a, b):
        result = first_keyset.compare(a[0], b[0])
        return -result if backwards else result

    rows.sort(key=functools.cmp_to_key(reading_order))
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        if not more:  # reached the start: serve the first page, full
            return merged_keyset_page(sources, size=size)
        rows.reverse()
    if not rows:  # past the end (rows were removed): only the way back to the first page
        return Page([], is_first=cursor is None)
    head, tail = first_keyset.encode(rows[0][0]), first_keyset.encode(rows[-1][0])
    return Page(
        [obj for _values, obj in rows],
        next_cursor=tail if (more or backwards) else None,
        previous_cursor=head if cursor is not None else None,
        is_first=cursor is None,
    )
