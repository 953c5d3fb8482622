"""Celery in both shapes: a real worker on Redis, and eager in-process without a broker."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from twinning.tasks import ping

BASE_DIR = Path(__file__).resolve().parent.parent


@pytest.mark.celery_worker
def test_task_round_trips_through_redis_and_a_worker():
    assert ping.app.conf.task_always_eager is False
    assert ping.app.conf.broker_url.startswith("redis://")

    result = ping.delay("hello")

    assert result.get(timeout=30) == "hello"
    assert result.successful()


EMBEDDED_PROBE = """
import json
import django
django.setup()
from django.conf import settings
from twinning.tasks import ping
result = ping.delay("hello")
print(json.dumps({
    "eager_setting": settings.CELERY_TASK_ALWAYS_EAGER,
    "broker": ping.app.conf.broker_url,
    "result_type": type(result).__name__,
    "value": result.get(timeout=5),
}))
"""


def test_tasks_run_eagerly_in_the_embedded_shape():
    """With no REDIS_URL (a laptop, a demo) a task runs in-process; checked in a clean subprocess
    because this test process may itself be configured for Redis (as under .ci/run)."""
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL", "CELERY_WORKER_AVAILABLE"}}
    env["DJANGO_SETTINGS_MODULE"] = "twinning.settings_test"

    completed = subprocess.run(
        [sys.executable, "-c", EMBEDDED_PROBE],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    probe = json.loads(completed.stdout.strip().splitlines()[-1])
    assert probe == {
        "eager_setting": True,
        "broker": "memory://",
        "result_type": "EagerResult",
        "value": "hello",
    }
