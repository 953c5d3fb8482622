"""Test infrastructure shared by every test directory: service availability and isolation.

Keep this file about infrastructure and the one shared ``world`` (tests/world.py). Fixtures for
one app's extra rows belong in tests/<app>/conftest.py, named for what they add.

Tests that need a service outside the embedded shape say so with a mark (or a fixture):

- ``@pytest.mark.browser`` / ``chromium_path``: Debian's Chromium at /usr/bin/chromium;
- ``@pytest.mark.postgres`` / ``requires_postgres``: the PostgreSQL backend (DATABASE_URL);
- ``@pytest.mark.celery_worker`` / ``requires_celery_worker``: a real worker on Redis.

Every other test runs Celery tasks eagerly in-process, even when REDIS_URL is set (as under
.ci/run): a worker could not see the test database.

Without the service the test is skipped with a one-line reason. With
``TWINNING_REQUIRE_SERVICES=1`` (set by .ci/run, which always provides them) it fails instead,
so that CI never passes by skipping.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM_PATH = Path(os.environ.get("TWINNING_CHROMIUM", "/usr/bin/chromium"))


def services_required() -> bool:
    return os.environ.get("TWINNING_REQUIRE_SERVICES", "").strip().lower() in {"1", "true", "yes", "on"}


def unavailable(reason: str) -> None:
    """Skip the current test, or fail it when CI promised every service."""
    if services_required():
        pytest.fail(f"{reason} [TWINNING_REQUIRE_SERVICES=1]", pytrace=False)
    pytest.skip(reason)


def chromium_missing_reason() -> str | None:
    if not (CHROMIUM_PATH.is_file() and os.access(CHROMIUM_PATH, os.X_OK)):
        return f"Chromium not installed ({CHROMIUM_PATH})"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python not installed (pip install -r requirements-dev.txt)"
    return None


def postgres_missing_reason() -> str | None:
    from django.db import connection

    if connection.vendor != "postgresql":
        return f"PostgreSQL not in use (database backend is {connection.vendor}; set DATABASE_URL=postgres://...)"
    return None


def celery_worker_missing_reason() -> str | None:
    if not os.environ.get("REDIS_URL"):
        return "Celery worker not available (REDIS_URL not set)"
    if os.environ.get("CELERY_WORKER_AVAILABLE") != "1":
        return "Celery worker not available (CELERY_WORKER_AVAILABLE=1 not set; .ci/run starts one)"
    return None


_MARK_CHECKS = {
    "browser": chromium_missing_reason,
    "postgres": postgres_missing_reason,
    "celery_worker": celery_worker_missing_reason,
}


@pytest.hookimpl(trylast=True)  # after sub-conftests have added their marks (tests/browser/)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Turn a missing service into a skip mark, so the skip line names the test and the reason."""
    if services_required():
        return  # pytest_runtest_setup fails these instead
    reasons: dict[str, str | None] = {}
    for item in items:
        for mark, check in _MARK_CHECKS.items():
            if item.get_closest_marker(mark) is not None:
                if mark not in reasons:
                    reasons[mark] = check()
                if reasons[mark]:
                    item.add_marker(pytest.mark.skip(reason=reasons[mark]))
                    break


def pytest_runtest_setup(item: pytest.Item) -> None:
    for mark, check in _MARK_CHECKS.items():
        if item.get_closest_marker(mark) is not None:
            reason = check()
            if reason:
                unavailable(reason)


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    reason = chromium_missing_reason()
    if reason:
        unavailable(reason)
    return CHROMIUM_PATH


@pytest.fixture
def requires_postgres() -> None:
    reason = postgres_missing_reason()
    if reason:
        unavailable(reason)


@pytest.fixture
def requires_celery_worker() -> None:
    reason = celery_worker_missing_reason()
    if reason:
        unavailable(reason)


@pytest.fixture(autouse=True)
def _celery_eager_unless_worker(request, settings) -> Iterator[None]:
    """Tasks run eagerly in tests, whatever REDIS_URL says: a worker process cannot see the test
    database, let alone a test's uncommitted rows. Only ``celery_worker`` tests use the real worker."""
    if request.node.get_closest_marker("celery_worker") is not None:
        yield
        return
    from twinning.celery import app

    previous = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.CELERY_TASK_EAGER_PROPAGATES = True
    try:
        yield
    finally:
        app.conf.task_always_eager, app.conf.task_eager_propagates = previous


@pytest.fixture(autouse=True)
def _isolated_media_root(settings, tmp_path) -> Path:
    """Every test writes uploads into its own temporary MEDIA_ROOT, never into media/."""
    media_root = tmp_path / "media"
    media_root.mkdir()
    settings.MEDIA_ROOT = media_root
    return media_root


@pytest.fixture(autouse=True)
def _fresh_process_memos() -> None:
    """Process memos (twinning/memo.py) start empty in every test: a rolled-back test database can
    hand the next test the same keys (history high-water marks) for different rows."""
    from twinning.memo import clear_all

    clear_all()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Every test starts in the default language (zh-hans): a request with an English cookie, or a
    management command, leaves its language active in the thread, and a later test asserting Chinese
    messages then depended on the order the tests ran in."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture
def world(db):
    """The shared world (tests/world.py): two counties, a user of every role in each. Built per test
    on the test's own database (safe under pytest-xdist and rolled back with the test)."""
    from tests.world import build_world

    return build_world()
