"""Faults: Redis down, rolled-back transactions, visibility timeout vs task time limits.

- Redis down (a real closed port: every connection is refused): pages render, sessions still
  work (they live in the database), /healthz says "degraded", and the actions that need the queue
  (report refresh, assessment export) say "任务队列暂时不可用" instead of a 500 and leave their
  run/export marked failed.
- A task queued inside a transaction that rolls back never runs (real worker, real Redis).
- Redis's visibility timeout outlasts every task's hard time limit.
"""

from __future__ import annotations

import socket
import time
import uuid

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.urls import reverse

from reports.models import AssessmentExport, ReportRun
from tests.factories import PASSWORD, BranchFactory, RegionFactory, UserFactory
from twinning.celery import app


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dead_redis(settings):
    """Broker, result backend and cache all pointed at a port where nothing listens."""
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    saved = (app.conf.broker_url, app.conf.task_always_eager, app._pool, app.amqp._producer_pool)
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 5},
        }
    }
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.broker_url = url
    app.conf.task_always_eager = False
    app._pool = None
    app.amqp._producer_pool = None
    try:
        yield url
    finally:
        app.conf.broker_url, app.conf.task_always_eager, app._pool, app.amqp._producer_pool = saved


@pytest.fixture
def city_staff(db):
    city = RegionFactory(city=True, name="信阳市")
    county = RegionFactory(parent=city, name="商城县")
    BranchFactory(county=county)
    return UserFactory.staff(region=city)


@pytest.mark.django_db
def test_pages_work_while_redis_is_down(client, city_staff, dead_redis):
    # Log in through the real form: the session is written to the database, not Redis.
    response = client.post(reverse("login"), {"username": city_staff.username, "password": PASSWORD})
    assert response.status_code == 302
    for name in ("home", "pairing:branch_list", "reports:dashboard", "activities:index", "volunteers:index"):
        response = client.get(reverse(name), follow=True)
        assert response.status_code == 200, name
    health = client.get(reverse("healthz"))
    assert health.status_code == 200
    payload = health.json()
    assert payload["status"] == "degraded"
    assert payload["checks"]["database"]["ok"] is True
    assert payload["checks"]["broker"]["ok"] is False and payload["checks"]["cache"]["ok"] is False


@pytest.mark.django_db(transaction=True)
def test_refresh_says_the_queue_is_down_instead_of_500(client, city_staff, dead_redis):
    client.force_login(city_staff)
    started = time.monotonic()
    response = client.post(reverse("reports:refresh"), follow=True)
    assert time.monotonic() - started < 10  # fails fast, no 20 s of result-backend retries
    assert response.status_code == 200
    assert "任务队列暂时不可用" in response.content.decode()
    run = ReportRun.objects.get()
    assert run.status == ReportRun.Status.FAILED


@pytest.mark.django_db(transaction=True)
def test_assessment_export_says_the_queue_is_down_instead_of_500(client, city_staff, dead_redis):
    from django.utils import timezone

    from reports.periods import recent_quarters

    client.force_login(city_staff)
    previous = recent_quarters(today=timezone.localdate())[1]
    response = client.post(
        reverse("reports:assessment"), {"quarter": f"{previous.year}Q{previous.number}"}, follow=True
    )
    assert response.status_code == 200
    assert "任务队列暂时不可用" in response.content.decode()
    assert AssessmentExport.objects.get().status == AssessmentExport.Status.FAILED


def test_any_other_enqueue_failure_is_a_clear_503_page(rf):
    """The safety net for a view that does not handle the broker itself."""
    from kombu.exceptions import OperationalError

    from twinning.middleware import RequestLimitsMiddleware

    request = rf.post("/x/")
    request.user = None
    response = RequestLimitsMiddleware(lambda r: None).process_exception(request, OperationalError("refused"))
    assert response.status_code == 503 and "任务队列暂时不可用" in response.content.decode()


# --- rollback: a task queued in a transaction that rolls back never runs ---------------------


class Rollback(Exception):
    pass


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_task_queued_in_a_rolled_back_transaction_never_runs():
    """Real worker on real Redis: the rolled-back ping never reaches it, the committed one does."""
    from celery.result import AsyncResult

    from twinning.tasks import ping

    lost, kept = f"rollback-{uuid.uuid4()}", f"commit-{uuid.uuid4()}"
    with pytest.raises(Rollback), transaction.atomic():
        transaction.on_commit(lambda: ping.apply_async(["lost"], task_id=lost))
        raise Rollback
    with transaction.atomic():
        transaction.on_commit(lambda: ping.apply_async(["kept"], task_id=kept))
    # The worker takes messages in order (prefetch 1): once the later one is done, an earlier
    # rolled-back one would have been run too.
    assert AsyncResult(kept, app=app).get(timeout=60) == "kept"
    time.sleep(1)
    assert AsyncResult(lost, app=app).state == "PENDING"  # never received, never run


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_the_services_queue_nothing_when_the_callers_transaction_rolls_back(city_staff):
    """report_run_start and assessment_export_start inside a rolled-back transaction: nothing
    reaches Redis (their tasks are routed to a queue no worker reads, and its length is read)."""
    import redis
    from django.utils import timezone

    from reports.periods import recent_quarters
    from reports.services.assessment_exports import assessment_export_start
    from reports.services.runs import report_run_start

    queue = f"rollback-probe-{uuid.uuid4().hex[:8]}"
    routes = app.conf.task_routes
    app.conf.task_routes = {"reports.*": {"queue": queue}}
    _reset_router()
    r = redis.Redis.from_url(django_settings.REDIS_URL)
    city = city_staff.region
    quarter = recent_quarters(today=timezone.localdate())[1]
    try:
        with pytest.raises(Rollback), transaction.atomic():
            report_run_start(region=city, as_of=timezone.localdate(), acting_user=city_staff)
            assessment_export_start(region=city, quarter=quarter, acting_user=city_staff)
            raise Rollback
        assert r.llen(queue) == 0
        assert not ReportRun.objects.exists() and not AssessmentExport.objects.exists()
        report_run_start(region=city, as_of=timezone.localdate(), acting_user=city_staff)
        assessment_export_start(region=city, quarter=quarter, acting_user=city_staff)
        assert r.llen(queue) == 2  # committed: both queued
    finally:
        r.delete(queue)
        app.conf.task_routes = routes
        _reset_router()


def _reset_router():
    app.amqp.flush_routes()
    app.amqp.__dict__.pop("router", None)


# --- visibility timeout ---------------------------------------------------------------------


def test_visibility_timeout_outlasts_every_task_time_limit():
    app.loader.import_default_modules()
    visibility = django_settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert django_settings.CELERY_TASK_SOFT_TIME_LIMIT < django_settings.CELERY_TASK_TIME_LIMIT < visibility
    ours = {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}
    assert {"reports.refresh_snapshots", "reports.build_assessment", "activities.send_theme_day_reminders"} <= set(ours)
    for name, task in ours.items():
        limit = task.time_limit or django_settings.CELERY_TASK_TIME_LIMIT
        assert limit < visibility, f"{name}: time limit {limit}s >= visibility timeout {visibility}s"
        # Retried tasks back off for less than the visibility timeout too (or Redis redelivers the wait).
        assert (getattr(task, "retry_backoff_max", 0) or 0) < visibility, name


def test_tasks_are_acknowledged_late_and_requeued_when_the_worker_dies():
    assert django_settings.CELERY_TASK_ACKS_LATE is True
    assert django_settings.CELERY_TASK_REJECT_ON_WORKER_LOST is True
    assert django_settings.CELERY_WORKER_PREFETCH_MULTIPLIER == 1


def test_pages_do_not_depend_on_the_cache():
    """Redis is the cache too. Only /healthz touches it (and reports a failure); a page that used
    the cache would 500 while Redis is down, so any new use must be made failure-tolerant first."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    allowed = {root / "twinning" / "health.py", root / "twinning" / "settings.py"}
    users = []
    for app_dir in ("accounts", "pairing", "activities", "volunteers", "reports", "twinning"):
        for path in (root / app_dir).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if path not in allowed and ("django.core.cache" in text or "cache_page" in text):
                users.append(str(path.relative_to(root)))
    for path in (root / "templates").rglob("*.html"):
        if "{% load cache" in path.read_text(encoding="utf-8"):
            users.append(str(path.relative_to(root)))
    assert not users, f"cache used on page paths: {users}"
    assert django_settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
