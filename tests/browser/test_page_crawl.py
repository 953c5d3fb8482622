"""Every page a role can reach from its menu and home page opens cleanly in Chromium:
no error status, no JavaScript error, and no Content-Security-Policy violation."""

from urllib.parse import urljoin, urlparse

import pytest
from playwright.sync_api import Error as PlaywrightError

pytestmark = pytest.mark.django_db(transaction=True)

DEMO_PASSWORD = "Twinning@2024"
ROLES = [
    "staff_city",
    "staff_county",
    "leader_city",
    "leader_county",
    "secretary_helper",
    "secretary_partner",
    "community_secretary",
    "member",
]
SKIP_PREFIXES = ("/accounts/logout", "/admin", "/i18n", "/static", "/media")
MAX_PAGES = 40


def reachable_links(page, base: str) -> list[str]:
    hrefs = page.eval_on_selector_all("nav a[href], main a[href]", "els => els.map(e => e.getAttribute('href'))")
    links = []
    for href in hrefs:
        if not href or href.startswith(("#", "mailto:", "tel:", "javascript:")):
            continue
        url = urljoin(base + "/", href)
        parsed = urlparse(url)
        if parsed.netloc != urlparse(base).netloc or parsed.path.startswith(SKIP_PREFIXES):
            continue
        if (
            parsed.path.endswith((".xlsx", ".pdf", ".jpg", ".png"))
            or "download" in parsed.path
            or "export" in parsed.path
        ):
            continue
        links.append(url)
    return list(dict.fromkeys(links))


@pytest.mark.parametrize("username", ROLES)
def test_every_linked_page_opens_without_errors(demo, page, live_server, login, screenshot, username):
    demo(branches=300, seed=3)
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: (
            problems.append(f"console {msg.type}: {msg.text} @ {page.url}")
            if msg.type == "error" or "Content Security Policy" in msg.text
            else None
        ),
    )
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc} @ {page.url}"))

    login(page, live_server, username, DEMO_PASSWORD)
    to_visit = reachable_links(page, live_server.url)
    visited = set()
    while to_visit and len(visited) < MAX_PAGES:
        url = to_visit.pop(0)
        if url in visited:
            continue
        visited.add(url)
        try:
            response = page.goto(url)
        except PlaywrightError as exc:
            if "Download is starting" in str(exc):
                continue  # a file download (template, export): not a page
            raise
        status = response.status if response else 0
        if status >= 400:
            problems.append(f"HTTP {status} @ {url}")
            screenshot(page, f"crawl-{username}-error-{len(visited)}")
        elif len(visited) <= 12:
            # one level deeper from the menu pages: lists lead to their detail pages
            to_visit.extend(link for link in reachable_links(page, live_server.url) if link not in visited)
    assert len(visited) >= 3, f"{username} reached only {sorted(visited)}"
    assert problems == [], "\n".join(problems)
