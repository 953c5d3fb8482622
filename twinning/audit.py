"""Audited writes: every change to a model with ``history = HistoricalRecords()`` names who acted.

One way for each kind of write, and no service sets ``_history_user`` itself:

- one object: ``save_audited(obj, acting_user=…, update_fields=…, reason=…)``, a plain ``save()``
  whose history row (django-simple-history's ``post_save``) names ``acting_user``, and
  ``delete_audited(obj, acting_user=…)``;
- many rows: ``insert_with_history`` / ``update_with_history`` / ``delete_with_history`` below.

The set-based writes: the roster commit writes tens of thousands of rows. django-simple-history's
bulk helpers build a model instance and a historical instance per row, and Django's ``bulk_update``
writes one CASE per field over every row of the call; at 50,000 rows that was two thirds of an
import (docs/roster.md). Here each chunk is one ``UPDATE ... FROM (VALUES ...)`` (or one
``INSERT``, or one ``DELETE``), and the history rows are copied from the table by one
``INSERT ... SELECT``: a history row holds exactly what the table holds after the write, with the
acting user and one timestamp. Plain SQL that both PostgreSQL and SQLite (3.33+, ``UPDATE ... FROM``)
run.

Only for models with ``history = HistoricalRecords()``; no signals are sent (as with the bulk
helpers of django-simple-history, which the project does not listen to either).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from functools import cache

from django.db import connection
from django.db.models import Model
from django.utils import timezone

CHUNK = 1000


def save_audited(obj: Model, *, acting_user, update_fields: Sequence[str] | None = None, reason: str = "") -> Model:
    """Save ``obj``; its history row names ``acting_user`` (and ``reason``, cut to the column's 100 characters).

    django-simple-history reads the user and the reason from the instance when it writes the row
    (``post_save``); setting them here, the one place, is what keeps every service's rows alike.
    """
    obj._history_user = acting_user
    obj._change_reason = reason[:100] if reason else None
    obj.save(update_fields=update_fields)
    return obj


def delete_audited(obj: Model, *, acting_user) -> None:
    """Delete ``obj``; its ``-`` history row names ``acting_user``."""
    obj._history_user = acting_user
    obj.delete()


def _qn(name: str) -> str:
    return connection.ops.quote_name(name)


def _chunks(items: Sequence, *, params_per_item: int, reserved: int = 0) -> Iterator[Sequence]:
    """Slices of ``items`` whose statements stay within the database's parameter limit."""
    size = CHUNK
    limit = connection.features.max_query_params
    if limit:
        size = max(1, min(size, (limit - reserved) // params_per_item))
    for start in range(0, len(items), size):
        yield items[start : start + size]


@cache
def _copy_statement(model: type[Model]) -> str:
    """The ``INSERT ... SELECT`` of ``_copy_to_history`` up to its ``IN (...)``, built once per model:
    ``model.history`` makes django-simple-history build a manager class on every access, which a
    single-row write (a theme day recorded) felt."""
    history = model.history.model
    columns = ", ".join(_qn(field.column) for field in history.tracked_fields)
    meta = history._meta
    extra = ", ".join(
        _qn(meta.get_field(name).column)
        for name in ("history_date", "history_change_reason", "history_type", "history_user")
    )
    return (
        f"INSERT INTO {_qn(meta.db_table)} ({columns}, {extra}) "
        f"SELECT {columns}, %s, %s, %s, %s FROM {_qn(model._meta.db_table)} "
        f"WHERE {_qn(model._meta.pk.column)} IN "
    )


def _copy_to_history(model: type[Model], pks: Sequence[int], *, history_type: str, user, date) -> None:
    """One history row per primary key in ``pks``, copied from the rows as they are now."""
    statement = _copy_statement(model)
    user_id = user.pk if user is not None else None
    # As the ORM writes it (on SQLite a naive UTC string), so that rows written here and by save()
    # compare equal when they share an instant (the audit trail's cursor relies on it).
    date = connection.ops.adapt_datetimefield_value(date)
    with connection.cursor() as cursor:
        for chunk in _chunks(pks, params_per_item=1, reserved=4):
            placeholders = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"{statement}({placeholders})", [date, None, history_type, user_id, *chunk])


def insert_with_history(
    model: type[Model], objs: list[Model], *, user, date: datetime.datetime | None = None
) -> list[Model]:
    """``bulk_create`` the objects, then one ``+`` history row each naming ``user``, all dated ``date``
    (now by default). Returns the objects with their pks. Every bulk insert of an audited model
    (the roster, the draw, grading, key tasks, theme days, the demo seed) comes here."""
    if not objs:
        return objs
    date = date or timezone.now()
    created = model.objects.bulk_create(objs, batch_size=CHUNK)
    if any(obj.pk is None for obj in created):  # pragma: no cover - PostgreSQL and SQLite 3.35+ return pks
        raise RuntimeError("the database did not return the primary keys of the new rows")
    _copy_to_history(model, [obj.pk for obj in created], history_type="+", user=user, date=date)
    return created


def update_with_history(
    model: type[Model],
    rows: Sequence[Sequence],
    *,
    fields: Sequence[str],
    also: dict | None = None,
    user,
    date: datetime.datetime | None = None,
) -> None:
    """Set ``fields`` (attnames) of each row ``(pk, value, ...)``, and the constant ``also``; one ``~`` history row each.

    One ``UPDATE ... FROM (VALUES ...)`` per chunk: PostgreSQL and SQLite name the VALUES
    columns ``column1``, ``column2``…, and each is cast to its field's type (a column of NULLs
    would otherwise be text).
    """
    if not rows:
        return
    date = date or timezone.now()
    meta = model._meta
    table = _qn(meta.db_table)
    targets = [meta.pk, *(meta.get_field(name) for name in fields)]
    casts = [f"CAST(v.column{i} AS {field.cast_db_type(connection)})" for i, field in enumerate(targets, start=1)]
    also = also or {}
    constants = [meta.get_field(name) for name in also]
    assignments = [f"{_qn(field.column)} = {cast}" for field, cast in zip(targets[1:], casts[1:], strict=True)]
    assignments += [f"{_qn(field.column)} = %s" for field in constants]
    constant_values = [
        field.get_db_prep_value(value, connection) for field, value in zip(constants, also.values(), strict=True)
    ]
    width = len(targets)
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, params_per_item=width, reserved=len(constants)):
            values = ", ".join(["(" + ", ".join(["%s"] * width) + ")"] * len(chunk))
            params = [
                field.get_db_prep_value(value, connection)
                for row in chunk
                for field, value in zip(targets, row, strict=True)
            ]
            cursor.execute(
                f"UPDATE {table} SET {', '.join(assignments)} FROM (VALUES {values}) AS v "
                f"WHERE {table}.{_qn(meta.pk.column)} = {casts[0]}",
                [*constant_values, *params],
            )
    _copy_to_history(model, [row[0] for row in rows], history_type="~", user=user, date=date)


def delete_with_history(model: type[Model], pks: Sequence[int], *, user, date: datetime.datetime | None = None) -> None:
    """Delete the rows with these pks, each leaving a ``-`` history row naming ``user``.

    A plain ``DELETE``: no cascade is collected, so only for rows nothing else points to.
    """
    if not pks:
        return
    date = date or timezone.now()
    _copy_to_history(model, pks, history_type="-", user=user, date=date)
    table, pk = _qn(model._meta.db_table), _qn(model._meta.pk.column)
    with connection.cursor() as cursor:
        for chunk in _chunks(pks, params_per_item=1):
            cursor.execute(f"DELETE FROM {table} WHERE {pk} IN ({', '.join(['%s'] * len(chunk))})", list(chunk))
