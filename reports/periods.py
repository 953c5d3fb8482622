"""The reports' periods: quarters named as staff type them (2024Q3) and the dates a period is as of.

Pure functions, no database: the export form, the command, the assessment and the beat tasks
read their periods here.
"""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from volunteers.selectors import Quarter


def parse_quarter(text: str) -> Quarter:
    """``2024Q3`` → Quarter(2024, 3); ValueError with a clear message otherwise."""
    text = (text or "").strip().upper()
    year, sep, number = text.partition("Q")
    if not (sep and year.isdigit() and number.isdigit() and 1 <= int(number) <= 4 and 2000 <= int(year) <= 2100):
        raise ValueError(_("季度格式应为 2024Q3。"))
    return Quarter(int(year), int(number))


def quarter_as_of(quarter: Quarter) -> datetime.date:
    """The figures of a past quarter are as of its last day; of the current one, as of today."""
    return min(quarter.end, timezone.localdate())


def recent_quarters(*, today, count: int = 4) -> list:
    """The current quarter and the ``count - 1`` before it, newest first."""
    quarter = Quarter.of(today)
    result = []
    for _step in range(count):
        result.append(quarter)
        quarter = Quarter(quarter.year - 1, 4) if quarter.number == 1 else Quarter(quarter.year, quarter.number - 1)
    return result


def period_end(period: str, *, today: datetime.date) -> datetime.date:
    """The last day of the month or quarter before the one ``today`` is in."""
    if period == "month":
        return today.replace(day=1) - datetime.timedelta(days=1)
    if period == "quarter":
        first = datetime.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        return first - datetime.timedelta(days=1)
    raise ValueError(f"unknown period {period!r}")
