"""Browser test harness: Playwright (sync API) driving Debian's Chromium against a live server.

Everything under tests/browser/ gets the ``browser`` mark, so it is skipped with a one-line
reason where /usr/bin/chromium is missing (and fails instead under TWINNING_REQUIRE_SERVICES=1).

Fixtures:
- ``browser``      one headless Chromium for the whole tests/browser/ package;
- ``page``         a fresh context per test: desktop 1280x800, zh-CN;
- ``phone_page``   a fresh context per test: 390x844, mobile, touch, zh-CN;
- ``login``        ``login(page, live_server, username, password)`` through the real login form;
- ``screenshot``   ``screenshot(page, name)`` saves artifacts/screenshots/<name>.png;
- ``demo``         ``demo(branches, seed)`` gives the test ``seed_demo --branches N --seed S``'s data.

Tests use pytest-django's ``live_server``; it needs committed data, so it runs with
``transactional_db`` (requested automatically by pytest-django for live_server tests).
"""

import os
import re
import sqlite3
from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path

import pytest

BROWSER_DIR = Path(__file__).resolve().parent
SCREENSHOT_DIR = BROWSER_DIR.parent.parent / "artifacts" / "screenshots"
LOGIN_PATH = "/accounts/login/"
DEFAULT_TIMEOUT_MS = 15_000

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if BROWSER_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


# Package scope: one Chromium for all of tests/browser/ (collected together), stopped after the
# last browser test so that the rest of the suite runs without Playwright's event loop.
@pytest.fixture(scope="package")
def _playwright(chromium_path: Path) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    # While Playwright's sync API is started, its asyncio loop counts as running in this thread and
    # Django would refuse ORM calls from test code ("You cannot call this from an async context").
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            yield playwright
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def browser(_playwright, chromium_path: Path) -> Iterator[object]:
    browser = _playwright.chromium.launch(executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


def _new_page(browser, **context_options):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **context_options)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    return context, context.new_page()


@pytest.fixture
def page(browser) -> Iterator[object]:
    context, page = _new_page(browser, viewport={"width": 1280, "height": 800})
    yield page
    context.close()


@pytest.fixture
def phone_page(browser) -> Iterator[object]:
    context, page = _new_page(
        browser,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    yield page
    context.close()


def login(page, live_server, username: str, password: str):
    """Log in through the real form at /accounts/login/; returns the response of the page landed on."""
    page.goto(f"{live_server.url}{LOGIN_PATH}")
    form = page.locator("form:has(input[name='password'])")
    form.locator("input[name='username']").fill(username)
    form.locator("input[name='password']").fill(password)
    with page.expect_navigation() as navigation:
        form.locator("button[type='submit'], input[type='submit']").first.click()
    return navigation.value


def screenshot(page, name: str) -> Path:
    """Save a full-page PNG under artifacts/screenshots/ and return its path."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "page"
    path = SCREENSHOT_DIR / f"{safe}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture(name="login")
def login_fixture() -> Callable:
    return login


@pytest.fixture(name="screenshot")
def screenshot_fixture() -> Callable:
    return screenshot


# seed_demo's database per (branches, seed), kept for the rest of this process (one per xdist worker).
_DEMO_COPIES: dict[tuple[int, int], sqlite3.Connection] = {}


@pytest.fixture
def demo(transactional_db) -> Callable[..., None]:
    """``demo(branches=120, seed=1)`` loads what ``seed_demo --branches N --seed S`` builds.

    Many browser tests start from the same demo; building it costs seconds each time. On SQLite
    (``make test``) the first build is copied with sqlite3's backup API and later tests restore the
    copy in milliseconds (the live server shares the test's in-memory connection, so it sees the
    restored rows). On PostgreSQL (CI) the demo is built for each test, as before.
    """
    from django.core.management import call_command
    from django.db import connection

    from twinning.memo import clear_all

    def load(branches: int = 120, seed: int = 1) -> None:
        key = (branches, seed)
        if connection.vendor != "sqlite":
            call_command("seed_demo", "--branches", str(branches), "--seed", str(seed), stdout=StringIO())
            return
        connection.ensure_connection()
        if key in _DEMO_COPIES:
            _DEMO_COPIES[key].backup(connection.connection)
            clear_all()
            return
        call_command("seed_demo", "--branches", str(branches), "--seed", str(seed), stdout=StringIO())
        copy = sqlite3.connect(":memory:", check_same_thread=False)
        connection.connection.backup(copy)
        _DEMO_COPIES[key] = copy

    return load
