"""The audit trail's reads: who changed what and when (before → after), within the user's scope.

Every tracked model keeps its history with django-simple-history; the audit page reads those
history tables through the same scope rule as the pages of each app, merges them newest
first and pages backwards by time ("before" cursor), with two queries per source
whatever the page size.

The cursor is its own format, ``<iso time>|<source index>|<history id>``, not
``twinning.keyset``'s: a keyset cursor holds the sort values of one model's row (decoded by
that model's fields), while this one holds a position in a merge of six history tables (the
source index is no field of any), and its links and bookmarks keep working as they are.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from itertools import groupby

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from activities.models import ThemeDay
from pairing import scope
from pairing.models import Branch, BranchGrade, OptimisationRecord, Pairing
from twinning.history import history_changes
from volunteers.models import HourEntry

PAGE_SIZE = 50


@dataclass(frozen=True)
class Source:
    key: str
    label: str
    model: type
    scope_q: object  # callable(user) -> Q on the historical model
    title: object  # callable(record) -> str
    related: tuple[str, ...] = ()


SOURCES = [
    Source("branch", _("党支部"), Branch, lambda u: scope.branch_q(u), lambda r: f"{r.name}（{r.code}）"),
    Source(
        "grade",
        _("等次评定"),
        BranchGrade,
        lambda u: scope.branch_q(u, "branch__"),
        lambda r: f"{r.branch.name} · {r.year}",
        ("branch",),
    ),
    Source(
        "optimisation",
        _("优化记录"),
        OptimisationRecord,
        lambda u: scope.branch_q(u, "branch__"),
        lambda r: f"{r.branch.name} · {r.get_action_display()}",
        ("branch",),
    ),
    Source(
        "pairing",
        _("结对"),
        Pairing,
        lambda u: scope.pairing_q(u),
        lambda r: f"{r.helper.name} ↔ {r.partner.name}",
        ("helper", "partner"),
    ),
    Source(
        "theme_day",
        _("主题党日"),
        ThemeDay,
        lambda u: scope.pairing_q(u, "pairing__"),
        lambda r: f"{r.held_on:%Y-%m-%d} {r.theme}",
    ),
    Source(
        "hours",
        _("志愿服务时长"),
        HourEntry,
        lambda u: scope.branch_q(u, "community__"),
        lambda r: f"{r.served_on:%Y-%m-%d} {r.member.label} {r.minutes // 60}h{r.minutes % 60:02d}",
        ("member",),
    ),
]
SOURCE_BY_KEY = {s.key: s for s in SOURCES}


def _filtered(history: QuerySet, *, actor: str, object_id: int | None, since, until) -> QuerySet:
    if actor:
        history = history.filter(
            Q(history_user__username__icontains=actor) | Q(history_user__display_name__icontains=actor)
        )
    if object_id:
        history = history.filter(id=object_id)
    if since:
        history = history.filter(history_date__date__gte=since)
    if until:
        history = history.filter(history_date__date__lte=until)
    return history


def _before_q(before: tuple[datetime.datetime, int, int], index: int) -> Q:
    """The rows of source ``index`` after the cursor in (time, source, history id) order, newest first."""
    moment, source_index, history_id = before
    if index < source_index:
        return Q(history_date__lte=moment)
    if index == source_index:
        return Q(history_date__lt=moment) | Q(history_date=moment, history_id__lt=history_id)
    return Q(history_date__lt=moment)


def audit_entries(
    *,
    user,
    source_keys: list[str] | None = None,
    actor: str = "",
    object_id: int | None = None,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    before: tuple[datetime.datetime, int, int] | None = None,
    limit: int = PAGE_SIZE,
) -> list[dict]:
    """The newest ``limit`` history entries in scope matching the filters, each with its changes.

    Entries are ordered by (time, source, history id), newest first; ``before`` is the key of
    the last entry of the previous page, so rows written in the same instant are not skipped.
    """
    entries = []
    for index, source in enumerate(SOURCES):
        if source_keys and source.key not in source_keys:
            continue
        history = _filtered(
            source.model.history.model.objects.filter(source.scope_q(user)),
            actor=actor,
            object_id=object_id,
            since=since,
            until=until,
        )
        if before:
            history = history.filter(_before_q(before, index))
        page = list(
            history.select_related("history_user", *source.related).order_by("-history_date", "-history_id")[:limit]
        )
        if not page:
            continue
        # The previous version of each changed object, fetched in one query for the whole page.
        ids = {r.id for r in page}
        earlier = source.model.history.model.objects.filter(
            id__in=ids, history_date__lte=max(r.history_date for r in page)
        ).order_by("id", "-history_date", "-history_id")
        versions = {key: list(group) for key, group in groupby(earlier, key=lambda r: r.id)}
        for record in page:
            chain = versions.get(record.id, [])
            older = next(
                (r for r in chain if (r.history_date, r.history_id) < (record.history_date, record.history_id)),
                None,
            )
            changes = []
            if older is not None and record.history_type == "~":
                changes = history_changes(record, older)
            entries.append(
                {
                    "source": source,
                    "record": record,
                    "title": source.title(record),
                    "changes": changes,
                    "key": (record.history_date, index, record.history_id),
                }
            )
    entries.sort(key=lambda e: e["key"], reverse=True)
    return entries[:limit]


def audit_cursor_format(key: tuple[datetime.datetime, int, int]) -> str:
    """The ``before`` cursor of the page after the entry with this key."""
    moment, index, history_id = key
    return f"{moment.isoformat()}|{index}|{history_id}"


def audit_cursor_parse(value: str) -> tuple[datetime.datetime, int, int] | None:
    """Parse "<iso time>|<source index>|<history id>"; None when malformed."""
    try:
        moment, source_index, history_id = value.split("|")
        parsed = parse_datetime(moment)
        if parsed is None:
            return None
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
        parsed.astimezone(datetime.UTC)  # compared in UTC: the first hours of year 1 east of UTC have none
        return parsed, int(source_index), int(history_id)
    except (ValueError, OverflowError):
        return None
