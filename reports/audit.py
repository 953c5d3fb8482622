"""The audit trail: who changed what and when (before → after), within the user's scope.

Every tracked model keeps its history with django-simple-history; this page reads those
history tables through the same scope rule as the pages of each app, merges them newest
first and pages backwards by time ("before" cursor), with two queries per source
whatever the page size.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from itertools import groupby

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from activities.models import ThemeDay
from pairing import scope
from pairing.models import Branch, BranchGrade, OptimisationRecord, Pairing
from twinning.params import query_date, query_id
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


def can_audit(user) -> bool:
    """Staff (and superusers) read the audit trail of their region."""
    return scope.can_manage(user)


def _labels(model) -> dict[str, str]:
    labels = {f.attname: str(f.verbose_name) for f in model._meta.fields}
    labels.update({f.name: str(f.verbose_name) for f in model._meta.fields})
    return labels


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
        history = source.model.history.model.objects.filter(source.scope_q(user))
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
        if before:
            moment, source_index, history_id = before
            if index < source_index:
                history = history.filter(history_date__lte=moment)
            elif index == source_index:
                history = history.filter(Q(history_date__lt=moment) | Q(history_date=moment, history_id__lt=history_id))
            else:
                history = history.filter(history_date__lt=moment)
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
        labels = _labels(source.model)
        for record in page:
            chain = versions.get(record.id, [])
            older = next(
                (r for r in chain if (r.history_date, r.history_id) < (record.history_date, record.history_id)),
                None,
            )
            changes = []
            if older is not None and record.history_type == "~":
                delta = record.diff_against(older)
                changes = [{"field": labels.get(c.field, c.field), "old": c.old, "new": c.new} for c in delta.changes]
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


def _cursor(value: str) -> tuple[datetime.datetime, int, int] | None:
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


@login_required
def audit_list(request):
    if not can_audit(request.user):
        raise PermissionDenied
    get = request.GET
    keys = [k for k in get.getlist("source") if k in SOURCE_BY_KEY]
    before = _cursor(get.get("before", ""))
    entries = audit_entries(
        user=request.user,
        source_keys=keys or None,
        actor=get.get("actor", "").strip(),
        object_id=query_id(request, "object", label=_("对象编号")),
        since=query_date(request, "since", label=_("起")),
        until=query_date(request, "until", label=_("止")),
        before=before,
    )
    next_before = None
    if len(entries) == PAGE_SIZE:
        moment, index, history_id = entries[-1]["key"]
        next_before = f"{moment.isoformat()}|{index}|{history_id}"
    query = get.copy()
    query.pop("before", None)
    context = {
        "entries": entries,
        "sources": SOURCES,
        "selected": set(keys),
        "filters": get,
        "next_before": next_before,
        "query": query.urlencode(),
    }
    return render(request, "reports/audit.html", context)
