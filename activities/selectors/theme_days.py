"""Reads of theme Party days (主题党日): the index's rows, a day's page, its files and history."""

from __future__ import annotations

import dataclasses
from collections import namedtuple

from django.db.models import F, Q, QuerySet, Value
from django.shortcuts import get_object_or_404

from pairing import scope
from twinning.keyset import Keyset, Page, keyset_page

from ..choices import ThemeDayStatus
from ..models import ThemeDay, ThemeDayAttachment, ThemeDayPhoto

# Lists of theme days and joint activities: newest first (indexes on held_on, id).
NEWEST_FIRST = Keyset("-held_on", "-pk")


def theme_day_list(*, user) -> QuerySet[ThemeDay]:
    return ThemeDay.objects.visible_to(user).select_related("pairing__helper", "pairing__partner", "recorded_by_branch")


def theme_day_get(*, user, pk: int) -> ThemeDay:
    return get_object_or_404(theme_day_list(user=user), pk=pk)


def theme_days_to_confirm(*, user) -> QuerySet[ThemeDay]:
    """Pending theme days recorded by the partner of the user's branch: the user's to-do."""
    if not user.branch_id:
        return ThemeDay.objects.none()
    return (
        theme_day_list(user=user)
        .filter(status=ThemeDayStatus.PENDING)
        .exclude(recorded_by_branch_id=user.branch_id)
        .filter(Q(pairing__helper_id=user.branch_id) | Q(pairing__partner_id=user.branch_id))
    )


# --- the index: rows, not models ---------------------------------------------------------------
# A line of the list prints a date, a theme, a status and two names: named tuples, not the five
# model instances (day, pairing, two branches, recorder) a row used to cost.

ThemeDayRow = namedtuple("ThemeDayRow", "pk held_on theme status helper_name partner_name")
ToConfirmRow = namedtuple("ToConfirmRow", "pk held_on theme recorded_by_name")


def theme_day_page(
    *, user, pairings: dict | None, status: str | None, size: int, after: str | None = None, before: str | None = None
) -> Page:
    """A keyset page of the theme days the user sees, newest first, as ``ThemeDayRow``.

    ``pairings`` is ``branch_pairings(user=user)``: given, the days are read by those pairings.
    """
    where = Q(status=status) if status else Q()
    if pairings is None:
        rows = (
            ThemeDay.objects.visible_to(user)
            .filter(where)
            .annotate(helper_name=F("pairing__helper__name"), partner_name=F("pairing__partner__name"))
            .values_list(*ThemeDayRow._fields, named=True)
        )
        return keyset_page(rows, NEWEST_FIRST, size=size, after=after, before=before)
    rows = ThemeDay.objects.filter(where, pairing_id__in=list(pairings)).values_list(
        "pk", "held_on", "theme", "status", "pairing_id", named=True
    )
    page = keyset_page(rows, NEWEST_FIRST, size=size, after=after, before=before)
    named = []
    for row in page.rows:
        pairing = pairings[row.pairing_id]
        named.append(ThemeDayRow(row.pk, row.held_on, row.theme, row.status, pairing.helper_name, pairing.partner_name))
    return dataclasses.replace(page, rows=named)


def theme_days_to_confirm_rows(*, user, pairings: dict | None, size: int = 20) -> list:
    """The first ``size`` of ``theme_days_to_confirm``, newest first, as ``ToConfirmRow``."""
    if pairings is None:
        rows = (
            theme_days_to_confirm(user=user)
            .select_related(None)
            .annotate(recorded_by_name=F("recorded_by_branch__name"))
            .values_list(*ToConfirmRow._fields, named=True)
        )
        return list(rows[:size])
    mine = [p.pk for p in pairings.values() if user.branch_id in (p.helper_id, p.partner_id)]
    if not mine:
        return []
    rows = (
        ThemeDay.objects.filter(pairing_id__in=mine, status=ThemeDayStatus.PENDING)
        .exclude(recorded_by_branch_id=user.branch_id)
        .values_list("pk", "held_on", "theme", "pairing_id", "recorded_by_branch_id")
        .order_by("-held_on", "-pk")[:size]
    )
    result = []
    for pk, held_on, theme, pairing_id, recorder in rows:
        pairing = pairings[pairing_id]
        result.append(
            ToConfirmRow(
                pk, held_on, theme, pairing.helper_name if recorder == pairing.helper_id else pairing.partner_name
            )
        )
    return result


# --- a theme day's page ---------------------------------------------------------------------------


# What the page prints: the day, both sides' names and who recorded and reviewed it. The branch
# and user tables are wide: all their columns made this query cost three times as much to build.
_PAGE_THEME_DAY_FIELDS = (
    *("pairing_id", "recorded_by_branch_id", "recorded_by_id", "reviewed_by_id", "held_on", "theme", "place"),
    *("summary", "helper_attendance", "partner_attendance", "status", "return_reason", "reviewed_at"),
    *("pairing__helper_id", "pairing__partner_id", "pairing__helper__name", "pairing__partner__name"),
    *("recorded_by_branch__name", "recorded_by__display_name", "recorded_by__username"),
    *("reviewed_by__display_name", "reviewed_by__username"),
)


def theme_day_get_for_page(*, user, pk: int) -> ThemeDay:
    """``theme_day_get`` with who recorded and who reviewed it, in the same query, and only what
    the theme day's page prints."""
    theme_days = theme_day_list(user=user).select_related("recorded_by", "reviewed_by")
    return get_object_or_404(theme_days.only(*_PAGE_THEME_DAY_FIELDS), pk=pk)


StoredFileRow = namedtuple("StoredFileRow", "pk original_name size")


def theme_day_files(*, theme_day: ThemeDay) -> tuple[list, list]:
    """Its photos and its attachments, each as ``StoredFileRow`` in upload order: one query for both."""
    photos = ThemeDayPhoto.objects.filter(theme_day=theme_day).annotate(is_photo=Value(True))
    attachments = ThemeDayAttachment.objects.filter(theme_day=theme_day).annotate(is_photo=Value(False))
    fields = ("is_photo", "pk", "original_name", "size")
    rows = photos.order_by().values_list(*fields).union(attachments.order_by().values_list(*fields), all=True)
    rows = rows.order_by("pk")
    found = {True: [], False: []}
    for is_photo, *row in rows:
        found[bool(is_photo)].append(StoredFileRow(*row))
    return found[True], found[False]


HistoryRow = namedtuple("HistoryRow", "history_date user_label status")


def theme_day_history(*, theme_day: ThemeDay, size: int = 20) -> list:
    """Its last ``size`` changes, newest first, as ``HistoryRow``."""
    rows = theme_day.history.values_list(
        "history_date", "history_user__display_name", "history_user__username", "status"
    ).order_by("-history_date")[:size]
    return [HistoryRow(date, display_name or username or "", status) for date, display_name, username, status in rows]


def theme_day_photo_get(*, user, pk: int) -> ThemeDayPhoto:
    return get_object_or_404(ThemeDayPhoto.objects.filter(scope.pairing_q(user, "theme_day__pairing__")), pk=pk)


def theme_day_attachment_get(*, user, pk: int) -> ThemeDayAttachment:
    return get_object_or_404(ThemeDayAttachment.objects.filter(scope.pairing_q(user, "theme_day__pairing__")), pk=pk)
