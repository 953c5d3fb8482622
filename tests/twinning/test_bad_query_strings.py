"""Every page, for every role, answers hostile query strings without a server error (issue 14, item 6).

The walk, in the spirit of schemathesis for the HTML pages:

1. the pages are the project's URL patterns (``get_resolver``), less the admin, the API (fuzzed by
   tests/api/test_fuzz.py), the language switch and logout; path ints are filled with real rows of
   the API tests' world where a page has one, else an id that does not exist;
2. the parameters a page reads are found by asking: each page is opened once with every parameter
   name the project's views, filters and forms read (``CANDIDATES``), and ``request.GET`` records
   the names that were looked up;
3. each page is then opened with hostile values: for every role that may open it, once per value
   with all its parameters set to it; for one role, each parameter alone with each value (and as a
   list); and hypothesis draws ``st.text()`` for a bounded number of examples.

A response passes when its status is below 500 and an HTML body shows no traceback or database
internals. The world is built once: the walk is one test.
"""

from __future__ import annotations

import functools
import logging
import re
import sys
import time

import pytest
from django.core.handlers.wsgi import WSGIRequest
from django.http import QueryDict
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.models import Snapshot
from tests.api.conftest import world  # noqa: F401  (the shared world fixture)
from tests.factories import UserFactory
from volunteers import services as volunteer_services

SKIPPED = re.compile(r"^(admin/|api/|i18n/|static/|media/|accounts/logout/)")
# Every query parameter name the views, filters and forms read (grep request.GET, the FilterSets
# and the filter forms); each page reads some of them.
CANDIDATES = [
    *("page", "after", "before", "sort", "q", "county", "township", "kind", "level", "grade", "optimised"),
    *("status", "method", "double", "year", "region", "since", "until", "object", "actor", "source"),
    *("partner", "target", "next"),
]
HOSTILE = [
    "0",
    "-5",
    "99999",
    "2026-13-45",
    "2026-02-30",
    "abc",
    "",
    "%00",
    "\x00",
    "1e9",
    "1.5",
    "9" * 40,
    "-" + "9" * 40,
    "²",
    "١٢",
    "党支部",
    "' OR 1=1 --",
    "x" * 3000,
    "2026-01-01T00:00:00|0|" + "9" * 30,
    "2026-13-45T99:99:99|x|y",
    "0001-01-01T00:00:00|0|1",
]
# The values every role sends to every page it opens (all parameters at once).
EVERY_ROLE = ["0", "-5", "2026-02-30", "abc", "9" * 40, "²"]
INTERNALS = ("Traceback", "Exception Value", "IntegrityError", "OperationalError", "约束", "constraint", "DoesNotExist")


class RecordingQueryDict(QueryDict):
    """A request's query that notes the names a view looks up."""

    seen: set[str] | None = None

    def _note(self, key):
        # A look-up by a view, a filter or a form; not QueryDict's own items(), dict() or copy().
        caller = sys._getframe(2).f_code.co_filename
        if RecordingQueryDict.seen is not None and not caller.endswith(("datastructures.py", "request.py")):
            RecordingQueryDict.seen.add(key)

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)

    def get(self, key, default=None):
        self._note(key)
        return super().get(key, default)

    def getlist(self, key, default=None):
        self._note(key)
        return super().getlist(key, default)


@pytest.fixture
def recorded_queries(monkeypatch):
    def recording_get(request):
        return RecordingQueryDict(request.META.get("QUERY_STRING", ""), encoding=request._encoding)

    prop = functools.cached_property(recording_get)
    monkeypatch.setattr(WSGIRequest, "GET", prop)
    prop.__set_name__(WSGIRequest, "GET")
    yield RecordingQueryDict
    RecordingQueryDict.seen = None


def _patterns(resolvers, prefix="", namespace=None):
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns, prefix + str(entry.pattern), entry.namespace or namespace)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield prefix + str(entry.pattern), name


def _path_ids(shared, whistle) -> list[tuple[str, int]]:
    """(URL name fragment, pk) for the ``pk`` of a page: the first fragment in the name wins."""
    s = shared.mine
    return [
        ("branch", s.pairing.helper_id),
        ("unit", s.pairing.helper_id),
        ("pairing", s.pairing.pk),
        ("theme_day", s.theme_day.pk),
        ("task", s.report.task.task_list_id),
        ("community", s.community.pk),
        ("registration", s.registration.pk),
        ("project", s.project.pk),
        ("wish", s.wish.pk),
        ("whistle", whistle.pk),
        ("hours", s.hours.pk),
        ("member", s.member.pk),
    ]


def pages(shared, whistle) -> list[str]:
    """Every page's URL, its path ints filled in."""
    ids = _path_ids(shared, whistle)
    urls = []
    for route, name in _patterns(get_resolver().url_patterns):
        if SKIPPED.match(route) or "(?P" in route:
            continue
        pk = next((pk for fragment, pk in ids if fragment in (name or "")), 987654)
        values = {"pk": pk, "pairing_pk": shared.mine.pairing.pk, "community_pk": shared.mine.community.pk}
        urls.append("/" + re.sub(r"<int:(\w+)>", lambda m: str(values[m.group(1)]), route))
    return urls


def check(problems: list[str], response, url: str, query) -> None:
    where = f"{url} {query!r}"
    if response.status_code >= 500:
        problems.append(f"{response.status_code} {where}")
        return
    if "html" in response.get("Content-Type", "") and not getattr(response, "streaming", False):
        body = response.content.decode(errors="replace")
        leaked = [text for text in INTERNALS if text in body]
        if leaked:
            problems.append(f"shows {leaked} {where}")


def test_every_page_answers_hostile_query_strings_without_a_server_error(client, world, recorded_queries, caplog):  # noqa: F811
    client.raise_request_exception = False
    caplog.set_level(
        logging.CRITICAL, logger="django"
    )  # thousands of 403s and 404s: the problems list says what failed
    s = world.mine
    whistle = volunteer_services.whistle_create(
        acting_user=s.community_sec,
        community=s.community,
        kind="flood",
        title="防汛",
        place="村部",
        happens_on=s.hours.served_on,
        places=3,
    )
    Snapshot.objects.all().delete()  # the API world's snapshots hold stub figures, not a computed snapshot
    city_staff = UserFactory.staff(region=world.city)
    roles = [city_staff, s.staff, world.leader, s.helper_sec, s.partner_sec, s.community_sec, s.member]
    urls = pages(world, whistle)
    started = time.monotonic()
    problems: list[str] = []

    # Which pages each role opens; the parameters a page reads, asked of the first role that opens it.
    opens: dict[str, list] = {}
    for user in roles:
        client.force_login(user)
        for url in urls:
            if client.get(url).status_code == 200:
                opens.setdefault(url, []).append(user)
    read_pages: dict[str, list[str]] = {}
    for url, users in opens.items():
        client.force_login(users[0])
        recorded_queries.seen = set()
        query = {name: "1" for name in CANDIDATES}
        check(problems, client.get(url, query), url, query)
        if recorded_queries.seen:
            read_pages[url] = sorted(recorded_queries.seen)
    recorded_queries.seen = None
    assert len(read_pages) >= 15, read_pages  # the walk found the list pages and their filters
    print(f"discovery {time.monotonic() - started:.0f} s")

    for url, names in read_pages.items():
        for user in opens[url]:
            client.force_login(user)
            for value in EVERY_ROLE:
                query = {name: value for name in names}
                check(problems, client.get(url, query), url, query)
        client.force_login(opens[url][0])
        for name in names:
            for value in [*HOSTILE, ["1", "2"], ["abc", ""]]:
                check(problems, client.get(url, {name: value}), url, {name: value})

    print(f"hostile {time.monotonic() - started:.0f} s")
    # Random text for a bounded number of examples, all of a page's parameters at once.
    targets = sorted(read_pages)

    @settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(url=st.sampled_from(targets), value=st.text(max_size=40))
    def random_text(url, value):
        client.force_login(opens[url][0])
        query = {name: value for name in read_pages[url]}
        check(problems, client.get(url, query), url, query)

    random_text()
    print(f"walk: {len(urls)} pages, {len(read_pages)} read parameters, {time.monotonic() - started:.0f} s")
    assert problems == [], "\n".join(sorted(set(problems)))
