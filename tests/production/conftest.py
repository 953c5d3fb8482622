"""Production-shape tests. Tests marked ``production`` drive the live stack that .ci/run starts
after the suite (gunicorn + PostgreSQL + Redis + Celery worker); elsewhere they are skipped."""

import os

import pytest

LIVE_URL = os.environ.get("TWINNING_LIVE_URL", "").rstrip("/")


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "production: drives the live production-shape stack (TWINNING_LIVE_URL, started by .ci/run after the suite)",
    )


def pytest_collection_modifyitems(config, items):
    if LIVE_URL:
        return
    skip = pytest.mark.skip(reason="live stack not running (TWINNING_LIVE_URL unset; .ci/run's production smoke step)")
    for item in items:
        if item.get_closest_marker("production") is not None:
            item.add_marker(skip)
