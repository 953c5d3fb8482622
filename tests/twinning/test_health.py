import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_healthz_reports_each_part(client, settings):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    payload = response.json()
    assert payload["checks"]["database"]["ok"] is True
    assert set(payload["checks"]) == {"database", "cache", "broker", "workers"}
    if settings.CELERY_TASK_ALWAYS_EAGER:
        assert payload["status"] == "ok"
        assert payload["checks"]["workers"]["mode"] == "eager"


def test_healthz_degrades_when_the_broker_is_unreachable(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    from twinning.celery import app

    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        payload = client.get(reverse("healthz")).json()
    finally:
        app.conf.broker_url = original
    assert payload["status"] == "degraded"
    assert payload["checks"]["broker"]["ok"] is False
    assert payload["checks"]["database"]["ok"] is True
