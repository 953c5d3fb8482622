"""Login lockout, security headers and the deployment checklist."""

import os
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import PASSWORD, RegionFactory, UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3


def attempt(client, username, password, ip="10.1.1.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_repeated_failures_lock_the_username_from_that_address_only(client, axes_on):
    city = RegionFactory(city=True)
    clerk = UserFactory.staff(region=city)
    colleague = UserFactory.staff(region=city)
    for _ in range(3):
        attempt(client, clerk.username, "wrong")
    locked = attempt(client, clerk.username, PASSWORD)
    assert locked.status_code == 429
    assert "登录失败次数过多" in locked.content.decode()
    # the office shares the address: a colleague still gets in
    assert attempt(client, colleague.username, PASSWORD).status_code == 302
    client.logout()
    # and the clerk can from another address
    assert attempt(client, clerk.username, PASSWORD, ip="10.9.9.9").status_code == 302


def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get(reverse("login"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("style-src-attr")[0]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_no_template_has_inline_script_or_event_handler():
    import re

    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        if (
            re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", text)
            or re.search(r"\son[a-z]+=\"", text)
            or "<style" in text
        ):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_check_deploy_is_clean_under_production_settings():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "twinning.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "twinning.example.org",
    }
    env.pop("SECURE_SSL_REDIRECT", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


PROXY = "172.18.0.5"  # the reverse proxy: every request behind it arrives from this address


@pytest.fixture
def proxies(settings, monkeypatch):
    """Apply the client-address settings that twinning/settings.py derives from PROXY_COUNT."""

    def configure(count: int) -> None:
        monkeypatch.setenv("PROXY_COUNT", str(count))
        fresh = runpy.run_path(str(ROOT / "twinning" / "settings.py"))
        for name, value in fresh.items():
            if name.startswith(("AXES_IPWARE_", "IPWARE_")):
                setattr(settings, name, value)
        settings.AXES_ENABLED = True
        settings.AXES_FAILURE_LIMIT = 5

    return configure


def attempt_via(client, username, password, forwarded_for, remote=PROXY):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=remote,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


def test_behind_one_proxy_a_clients_failures_lock_that_client_only(client, proxies):
    proxies(1)
    clerk = UserFactory.staff(region=RegionFactory(city=True))
    for _ in range(5):
        attempt_via(client, clerk.username, "wrong", "10.1.1.1")
    assert attempt_via(client, clerk.username, PASSWORD, "10.1.1.1").status_code == 429
    # the same account from another client behind the same proxy still gets in
    assert attempt_via(client, clerk.username, PASSWORD, "10.2.2.2").status_code == 302


def test_behind_one_proxy_addresses_the_client_prepends_are_ignored(client, proxies):
    proxies(1)
    clerk = UserFactory.staff(region=RegionFactory(city=True))
    # the proxy appends the address it saw; whatever the client sent itself stays on the left
    for n in range(5):
        attempt_via(client, clerk.username, "wrong", f"192.0.2.{n}, 10.1.1.1")
    assert attempt_via(client, clerk.username, PASSWORD, "192.0.2.99, 10.1.1.1").status_code == 429
    assert attempt_via(client, clerk.username, PASSWORD, "10.2.2.2").status_code == 302


def test_without_a_proxy_a_forged_forwarded_for_is_not_trusted(client, proxies):
    proxies(0)
    clerk = UserFactory.staff(region=RegionFactory(city=True))
    for n in range(5):
        attempt_via(client, clerk.username, "wrong", f"10.9.0.{n}", remote="198.51.100.7")
    locked = attempt_via(client, clerk.username, PASSWORD, "10.9.0.99", remote="198.51.100.7")
    assert locked.status_code == 429
