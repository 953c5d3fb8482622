"""Reads of the accounts app."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from django.db import connection
from django.urls import get_script_prefix, reverse
from django.utils.translation import get_language, gettext, gettext_noop

from pairing import scope
from pairing.models import Branch, BranchGrade, OptimisationCampaign, OptimisationRecord
from pairing.selectors import registry as registry_selectors
from twinning.memo import memoized

from .perms import MenuKey


def home_summary_stamp() -> tuple:
    """What the home page's headline counts (pairing.selectors.registry.scope_summary) move with, in one cheap
    query: the high-water marks of the branch, grade and optimisation-record history (every write of
    them leaves a history row, bulk ones included) and the current optimisation campaigns. Index
    lookups only."""
    branches, grades, records = (m.history.model._meta.db_table for m in (Branch, BranchGrade, OptimisationRecord))
    current = f"FROM {OptimisationCampaign._meta.db_table} WHERE is_current"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT MAX(history_id) FROM {branches}), (SELECT MAX(history_id) FROM {grades}),"
            f" (SELECT MAX(history_id) FROM {records}),"
            f" (SELECT MIN(id) {current}), (SELECT MAX(id) {current}), (SELECT COUNT(*) {current})"
        )
        return tuple(cursor.fetchone())


# Counting every branch of a city's scope takes about half a second of PostgreSQL at province scale
# and every login of the city's staff lands here; the counts move only with the branches, grades,
# optimisation records and current campaigns: counted once per change (and at most every five
# minutes) per scope and year, per worker, as the coverage page does.
@memoized(
    key=lambda *, user: (scope.scope_key(user), registry_selectors.current_year()),
    stamp=home_summary_stamp,
    size=256,
    ttl=300,
)
def home_summary(*, user) -> dict:
    """The home page's headline counts of the user's scope (``scope_summary``)."""
    return registry_selectors.scope_summary(user=user)


class MenuEntry(NamedTuple):
    url: str
    label: str  # in the current language


def _everyone(key: MenuKey) -> bool:
    return True


def _signed_in(key: MenuKey) -> bool:
    return key.signed_in


def _sees_region(key: MenuKey) -> bool:
    return key.can.sees_region


# The main menu in order, app by app: (URL name, label's msgid, who is offered it). The one place to
# add an entry. The conditions read only the memo key (perms.MenuKey: ``Can`` and two facts of the
# user), so the memo is keyed by all they depend on.
MAIN_MENU: tuple[tuple[str, str, Callable[[MenuKey], bool]], ...] = (
    ("home", gettext_noop("首页"), _everyone),
    # pairing
    ("pairing:branch_list", gettext_noop("支部"), _everyone),
    ("pairing:pairing_list", gettext_noop("结对"), _sees_region),
    ("pairing:coverage", gettext_noop("覆盖率"), _sees_region),
    ("pairing:my_pairing", gettext_noop("我的结对"), lambda key: not key.can.sees_region and key.on_branch),
    # activities
    ("activities:index", gettext_noop("主题党日"), _signed_in),
    ("activities:compliance", gettext_noop("月度达标"), _signed_in),
    ("activities:task_list_index", gettext_noop("重点任务"), _signed_in),
    # volunteers
    ("volunteers:index", gettext_noop("双报到双服务"), _signed_in),
    ("volunteers:demand_list", gettext_noop("需求清单"), _signed_in),
    # reports
    ("reports:dashboard", gettext_noop("统计看板"), _sees_region),
    ("reports:audit", gettext_noop("变更审计"), lambda key: key.can.manage),
)


# Every page draws the main menu; reversing its URLs and translating its labels at each request cost
# about 1 ms a page (docs/performance.md). No stamp: the menu moves only with the code and the
# translations, which a deploy restarts.
@memoized(key=lambda *, user: (MenuKey.of(user), get_language(), get_script_prefix()), size=64, ttl=3600)
def menu_entries(*, user) -> tuple[MenuEntry, ...]:
    """The main menu offered to ``user`` (``MAIN_MENU``): its entries' URLs and labels, in order."""
    key = MenuKey.of(user)
    return tuple(MenuEntry(reverse(name), gettext(label)) for name, label, offered in MAIN_MENU if offered(key))
