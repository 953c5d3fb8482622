import pytest
from django.urls import reverse

from tests.factories import BranchFactory, RegionFactory, UserFactory

pytestmark = pytest.mark.django_db

TOKEN = "monitoring-token-for-tests"


@pytest.fixture
def token(settings):
    settings.HEALTHZ_TOKEN = TOKEN
    return {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


def test_healthz_reports_each_part(client, settings, token):
    response = client.get(reverse("healthz"), **token)
    assert response.status_code == 200
    payload = response.json()
    assert payload["checks"]["database"]["ok"] is True
    assert set(payload["checks"]) == {"database", "cache", "broker", "workers"}
    if settings.CELERY_TASK_ALWAYS_EAGER:
        assert payload["status"] == "ok"
        assert payload["checks"]["workers"]["mode"] == "eager"


def test_healthz_degrades_when_the_broker_is_unreachable(client, settings, token):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    from twinning.celery import app

    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get(reverse("healthz"), **token)
        anonymous = client.get(reverse("healthz"))
    finally:
        app.conf.broker_url = original
    payload = response.json()
    assert payload["status"] == "degraded"
    assert payload["checks"]["broker"]["ok"] is False
    assert payload["checks"]["database"]["ok"] is True
    assert anonymous.status_code == 200 and anonymous.json() == {"status": "degraded"}


def test_anonymous_callers_learn_up_or_down_only(client, settings, token):
    for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer wrong"}, {"HTTP_AUTHORIZATION": TOKEN}):
        response = client.get(reverse("healthz"), **headers)
        assert response.status_code == 200
        assert set(response.json()) == {"status"}
        assert b"sqlite" not in response.content and b"eager" not in response.content
    settings.HEALTHZ_TOKEN = ""  # no token configured: an empty bearer is no key
    assert set(client.get(reverse("healthz"), HTTP_AUTHORIZATION="Bearer ").json()) == {"status"}


def test_a_database_outage_is_503_for_anyone(client, monkeypatch, token):
    from twinning import health

    def broken():
        raise RuntimeError("connection refused")

    monkeypatch.setattr(health, "_database", broken)
    anonymous = client.get(reverse("healthz"))
    assert anonymous.status_code == 503 and anonymous.json() == {"status": "down"}
    detailed = client.get(reverse("healthz"), **token)
    assert detailed.status_code == 503 and detailed.json()["checks"]["database"]["ok"] is False


def test_staff_see_the_details_other_users_do_not(client):
    city = RegionFactory(city=True)
    client.force_login(UserFactory.staff(region=city))
    assert "checks" in client.get(reverse("healthz")).json()
    client.force_login(UserFactory.member(branch=BranchFactory()))
    assert set(client.get(reverse("healthz")).json()) == {"status"}
    client.force_login(UserFactory.member(branch=BranchFactory(), is_staff=True))  # Django admin access
    assert "checks" in client.get(reverse("healthz")).json()
