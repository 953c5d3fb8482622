"""Every page, for every role, answers hostile query strings and form fields without a server
error (issue 14, item 6).

The walk, in the spirit of schemathesis for the HTML pages:

1. the pages are the project's URL patterns (``get_resolver``), less the admin, the API (fuzzed by
   tests/api/test_fuzz.py), the language switch and logout; path ints are filled with real rows of
   the shared world (tests/world.py) where a page has one, else an id that does not exist;
2. each role opens each page once; the parameters a page reads are found by asking: it is opened
   with every parameter name the project's views, filters and forms read (``CANDIDATES``), and
   ``request.GET`` records the names that were looked up;
3. each page is then opened with hostile values: for every role that may open it, once per value
   in all its parameters; for one role, each parameter alone with each value (and as a list); and
   hypothesis draws ``st.text()`` for a bounded number of examples;
4. each form a page shows is posted hostile values in every field (but files: see the upload
   tests), and each page that only takes a POST is posted them by every role.

A response passes when its status is below 500 and an HTML body shows no traceback or database
internals. The world is built once: the walk is one test (about 45 s on SQLite).
"""

from __future__ import annotations

import functools
import logging
import re
import sys
import time
from dataclasses import dataclass, field

import pytest
from django.core.handlers.wsgi import WSGIRequest
from django.forms import FileField
from django.http import QueryDict
from django.urls import get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.models import Snapshot
from tests.test_scope_matrix import patterns

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
# The fields the views read from request.POST directly, outside a form, and the values posted.
POST_NAMES = ["decision", "reason", "task", "partner", "region", "token", "next", "fingerprint", "quarter"]
POSTED = ["0", "-5", "99999", "2026-02-30", "abc", "", "\x00", "9" * 40, "²", "x" * 3000]
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


def _path_ids(shared) -> list[tuple[str, int]]:
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
        ("whistle", s.whistle.pk),
        ("hours", s.hours.pk),
        ("member", s.member.pk),
    ]


def pages(shared) -> list[str]:
    """Every page's URL, its path ints filled in."""
    ids = _path_ids(shared)
    urls = []
    for route, name in patterns(get_resolver().url_patterns):
        if SKIPPED.match(route) or "(?P" in route:
            continue
        pk = next((pk for fragment, pk in ids if fragment in (name or "")), 987654)
        values = {"pk": pk, "pairing_pk": shared.mine.pairing.pk, "community_pk": shared.mine.community.pk}
        urls.append("/" + re.sub(r"<int:(\w+)>", lambda m: str(values[m.group(1)]), route))
    return urls


def walk_setup(shared) -> tuple[list, list[str]]:
    """The users of every role, and every page's URL."""
    s = shared.mine
    Snapshot.objects.all().delete()  # the shared world's snapshots hold stub figures, not a computed snapshot
    roles = [shared.city_staff, s.staff, shared.leader, s.helper_sec, s.partner_sec, s.community_sec, s.member]
    return roles, pages(shared)


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


@dataclass
class Walk:
    """What the first pass over every page found, for every role."""

    opens: dict[str, list] = field(default_factory=dict)  # url: the roles that open it
    forms: dict[str, tuple] = field(default_factory=dict)  # url: (first role, its form's field names)
    post_only: dict[str, list] = field(default_factory=dict)  # url: the roles a GET is refused (405)
    reads: dict[str, list[str]] = field(default_factory=dict)  # url: the query parameters it reads
    problems: list[str] = field(default_factory=list)


def survey(client, roles, urls, recorded_queries) -> Walk:
    walk = Walk()
    for user in roles:
        client.force_login(user)
        for url in urls:
            response = client.get(url)
            check(walk.problems, response, url, "")
            if response.status_code == 405:
                walk.post_only.setdefault(url, []).append(user)
            if response.status_code != 200:
                continue
            walk.opens.setdefault(url, []).append(user)
            form = (response.context or {}).get("form")
            if hasattr(form, "fields") and url not in walk.forms:
                names = [form.add_prefix(n) for n, f in form.fields.items() if not isinstance(f, FileField)]
                walk.forms[url] = (user, names)
    for url, users in walk.opens.items():
        client.force_login(users[0])
        recorded_queries.seen = set()
        query = dict.fromkeys(CANDIDATES, "1")
        check(walk.problems, client.get(url, query), url, query)
        if recorded_queries.seen:
            walk.reads[url] = sorted(recorded_queries.seen)
    recorded_queries.seen = None
    return walk


def send_hostile_queries(client, walk: Walk) -> None:
    """Every role that opens a page: each value in all its parameters; one role: each parameter alone."""
    for url, names in walk.reads.items():
        for user in walk.opens[url]:
            client.force_login(user)
            for value in EVERY_ROLE:
                query = dict.fromkeys(names, value)
                check(walk.problems, client.get(url, query), url, query)
        client.force_login(walk.opens[url][0])
        for name in names:
            for value in [*HOSTILE, ["1", "2"], ["abc", ""]]:
                check(walk.problems, client.get(url, {name: value}), url, {name: value})


def send_random_queries(client, walk: Walk) -> None:
    """Hypothesis's text in all of a page's parameters at once, for a bounded number of examples."""

    @settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(url=st.sampled_from(sorted(walk.reads)), value=st.text(max_size=40))
    def random_text(url, value):
        client.force_login(walk.opens[url][0])
        query = dict.fromkeys(walk.reads[url], value)
        check(walk.problems, client.get(url, query), url, query)

    random_text()


def send_hostile_forms(client, walk: Walk) -> None:
    """Each form a page shows (as the first role that opens it), and each page that takes only a
    POST (as every role), with each value in every field."""
    for url, (user, names) in walk.forms.items():
        client.force_login(user)
        for value in POSTED:
            data = dict.fromkeys([*names, *POST_NAMES], value)
            check(walk.problems, client.post(url, data), url, data)
    for url, users in walk.post_only.items():
        for user in users:
            client.force_login(user)
            for value in POSTED[:5]:
                data = dict.fromkeys(POST_NAMES, value)
                check(walk.problems, client.post(url, data), url, data)


def test_every_page_answers_hostile_query_strings_and_forms_without_a_server_error(
    client,
    world,
    recorded_queries,
    caplog,
):
    client.raise_request_exception = False
    caplog.set_level(logging.CRITICAL, logger="django")  # thousands of 403s and 404s; the problems say enough
    roles, urls = walk_setup(world)
    started = time.monotonic()
    walk = survey(client, roles, urls, recorded_queries)
    assert len(walk.reads) >= 15, walk.reads  # it found the list pages and their filters
    assert len(walk.forms) >= 10, sorted(walk.forms)  # and the forms
    send_hostile_queries(client, walk)
    send_random_queries(client, walk)
    send_hostile_forms(client, walk)
    print(
        f"walk: {len(urls)} pages, {len(walk.reads)} with parameters, {len(walk.forms)} forms, {time.monotonic() - started:.0f} s"
    )
    assert walk.problems == [], "\n".join(sorted(set(walk.problems)))
