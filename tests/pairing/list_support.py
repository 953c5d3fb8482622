"""What the list page tests share: the page size they use, and a walk over the pages that follows
the "next" links and back."""

from __future__ import annotations

import base64
import json
import re
from html import unescape

from tests.factories import PASSWORD

PAGE = 4
NEXT = re.compile(r'rel="next" href="([^"]+)"')
PREVIOUS = re.compile(r'rel="prev" href="([^"]+)"')
ROW_LINKS = re.compile(r'<td(?: class="d-none d-md-table-cell")?><a href="([^"]+)">([^<]+)</a></td>')


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def cursor(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def walk(client, url: str, params: dict | None = None) -> list:
    """Follow the "next" links from the first page, then the "previous" links back, checking both
    ways give the same pages; return the pages' rows."""
    response = client.get(url, params or {})
    pages = []
    while True:
        assert response.status_code == 200
        pages.append(list(response.context["page"].rows))
        found = NEXT.search(response.content.decode())
        if not found:
            break
        assert len(pages) < 50, "the pages do not end"
        response = client.get(url + unescape(found.group(1)))
    back = [pages[-1]]
    while found := PREVIOUS.search(response.content.decode()):
        response = client.get(url + unescape(found.group(1)))
        back.append(list(response.context["page"].rows))
    assert back[::-1] == pages, "going back gives other pages than going forward"
    return pages


def rows(pages: list) -> list:
    return [row for page in pages for row in page]


def flat(pages: list) -> list:
    """The primary keys of the pages' rows (named tuples of the columns shown, or model instances)."""
    return [row.pk for page in pages for row in page]


def pks(objects) -> list:
    return [obj.pk for obj in objects]


def api_walk(client, url: str) -> list[dict]:
    rows = []
    while url:
        body = client.get(url).json()
        rows += body["results"]
        url = body["next"]
    return rows
