"""The production shape on loopback: gunicorn + PostgreSQL + Redis + Celery worker, started by
.ci/run after the suite (TWINNING_LIVE_URL). Plain HTTP requests, as a browser would make them.

.ci/run runs this file three times: ``TWINNING_LIVE_PHASE=up`` (all healthy), ``redis_down``
(after it stopped Redis) and ``up`` again (after it restarted Redis).
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from .conftest import LIVE_URL

pytestmark = pytest.mark.production
PHASE = os.environ.get("TWINNING_LIVE_PHASE", "up")
PASSWORD = os.environ.get("TWINNING_LIVE_PASSWORD", "Twinning@2024")
USERNAME = os.environ.get("TWINNING_LIVE_USER", "staff_city")
PAGES = ["/", "/branches/", "/reports/", "/activities/", "/volunteers/demands/", "/notices/"]


class Browser:
    """A cookie-keeping HTTP client that never follows redirects by itself."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self):
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), self._NoRedirect())

    def request(self, path: str, data: dict | bytes | None = None, headers: dict | None = None, timeout: float = 30):
        body = urllib.parse.urlencode(data).encode() if isinstance(data, dict) else data
        req = urllib.request.Request(LIVE_URL + path, data=body, headers={"Referer": LIVE_URL + "/", **(headers or {})})
        started = time.monotonic()
        try:
            with self.opener.open(req, timeout=timeout) as response:
                status, text, head = response.status, response.read(), response.headers
        except urllib.error.HTTPError as exc:
            status, text, head = exc.code, exc.read(), exc.headers
        return status, text, head, time.monotonic() - started

    def csrf(self) -> str:
        return next(c.value for c in self.cookies if c.name == "csrftoken")

    def login(self, username: str = USERNAME, password: str = PASSWORD):
        status, html, _, _ = self.request("/accounts/login/")
        assert status == 200, html[:500]
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1).decode()
        status, html, head, _ = self.request(
            "/accounts/login/", {"csrfmiddlewaretoken": token, "username": username, "password": password}
        )
        assert status == 302, f"login failed ({status}): {html[:800]!r}"
        return head["Location"]


def _health() -> dict:
    """/healthz with its checks: .ci/run exports the token the server was started with."""
    token = os.environ.get("HEALTHZ_TOKEN", "")
    assert token, "HEALTHZ_TOKEN not set (.ci/run exports it)"
    status, body, _, _ = Browser().request("/healthz", headers={"Authorization": f"Bearer {token}"})
    assert status == 200, body[:500]
    return json.loads(body)


@pytest.fixture
def browser() -> Browser:
    b = Browser()
    b.login()
    return b


def _wait_for_workers(seconds: float = 60) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        payload = _health()
        if payload["status"] == "ok" or time.monotonic() > deadline:
            return payload
        time.sleep(2)


@pytest.mark.skipif(PHASE != "up", reason="runs while Redis is up (TWINNING_LIVE_PHASE=up)")
class TestHealthy:
    def test_healthz_reports_database_broker_and_workers(self):
        payload = _wait_for_workers()  # after a Redis restart the worker reconnects within seconds
        assert payload["status"] == "ok", payload
        checks = payload["checks"]
        assert checks["database"]["ok"] and checks["database"]["vendor"] == "postgresql"
        assert checks["broker"]["ok"] and checks["broker"]["mode"] == "redis"
        assert checks["cache"]["ok"]
        assert checks["workers"]["ok"] and checks["workers"]["count"] >= 1

    def test_healthz_tells_anonymous_callers_the_status_only(self):
        # The status itself may flap between ok and degraded while the worker reconnects after a
        # Redis restart (its ping has a 1 s timeout): what matters here is that nothing else is told.
        status, body, _, _ = Browser().request("/healthz")
        payload = json.loads(body)
        assert status == 200 and list(payload) == ["status"] and payload["status"] in {"ok", "degraded"}, body[:500]

    def test_pages_render_for_a_logged_in_user(self, browser):
        for path in PAGES:
            status, html, head, _ = browser.request(path)
            assert status == 200, f"{path}: {status}"
            assert head["Content-Security-Policy"] and head["X-Frame-Options"] == "DENY"

    def test_static_files_are_served_by_whitenoise_with_hashed_names(self, browser):
        status, html, _, _ = browser.request("/")
        css = re.search(rb'href="(/static/vendor/bootstrap/css/bootstrap\.min\.[0-9a-f]{12}\.css)"', html)
        assert css, "static URLs are not the manifest's hashed names"
        status, body, head, _ = browser.request(css.group(1).decode(), headers={"Accept-Encoding": "gzip"})
        assert status == 200 and len(body) > 1000
        assert "max-age=315360000" in head["Cache-Control"]  # WhiteNoise: hashed files cached forever

    def test_refresh_is_queued_and_done_by_the_worker(self, browser):
        status, _, head, _ = browser.request("/reports/refresh/", {"csrfmiddlewaretoken": browser.csrf()})
        assert status == 302 and "/reports/runs/" in head["Location"], head["Location"]
        run_path = urllib.parse.urlparse(head["Location"]).path
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            _, body, _, _ = browser.request(run_path, headers={"Accept": "application/json"})
            state = json.loads(body)
            if state["status"] in ("done", "failed"):
                break
            time.sleep(1)
        assert state["status"] == "done", state

    def test_oversized_request_gets_the_413_page(self, browser):
        data = {"csrfmiddlewaretoken": browser.csrf(), "q": "x" * (13 * 1024 * 1024)}
        status, html, _, _ = browser.request("/branches/", data)
        assert status == 413 and "提交的内容过大".encode() in html

    def test_wrong_host_gets_400_not_500(self):
        status, html, _, _ = Browser().request("/accounts/login/", headers={"Host": "evil.example"})
        assert status == 400


@pytest.mark.skipif(PHASE != "redis_down", reason="runs while Redis is stopped (TWINNING_LIVE_PHASE=redis_down)")
class TestRedisDown:
    def test_healthz_says_degraded_with_the_database_ok(self):
        payload = _health()
        assert payload["status"] == "degraded", payload
        assert payload["checks"]["database"]["ok"] is True
        assert payload["checks"]["broker"]["ok"] is False
        assert payload["checks"]["cache"]["ok"] is False
        status, body, _, _ = Browser().request("/healthz")
        assert status == 200 and json.loads(body) == {"status": "degraded"}, body[:500]

    def test_login_and_pages_still_work(self, browser):
        for path in PAGES:
            status, _, _, elapsed = browser.request(path)
            assert status == 200, f"{path}: {status}"
            assert elapsed < 5, f"{path} took {elapsed:.1f}s"

    def test_refresh_says_the_queue_is_unavailable(self, browser):
        status, _, head, elapsed = browser.request("/reports/refresh/", {"csrfmiddlewaretoken": browser.csrf()})
        assert status == 302 and elapsed < 10, (status, elapsed)
        status, html, _, _ = browser.request(urllib.parse.urlparse(head["Location"]).path)
        assert status == 200 and "任务队列暂时不可用".encode() in html

    def test_assessment_export_says_the_queue_is_unavailable(self, browser):
        status, html, _, _ = browser.request("/reports/assessment/")
        assert status == 200
        quarter = re.search(rb'name="quarter"[^>]*>.*?<option value="([0-9]{4}Q[1-4])"', html, re.S) or re.search(
            rb'value="([0-9]{4}Q[1-4])"', html
        )
        data = {"csrfmiddlewaretoken": browser.csrf(), "quarter": quarter.group(1).decode()}
        status, _, head, elapsed = browser.request("/reports/assessment/", data)
        assert status == 302 and elapsed < 10, (status, elapsed)
        status, html, _, _ = browser.request(
            urllib.parse.urlparse(head["Location"]).path + "?" + urllib.parse.urlparse(head["Location"]).query
        )
        assert status == 200 and "任务队列暂时不可用".encode() in html
