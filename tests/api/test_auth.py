"""Token and session authentication; the schema and its doc page."""

from __future__ import annotations

import io
import re

from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import PASSWORD


def test_token_authentication_reads_in_the_token_owners_scope(world):
    token = Token.objects.create(user=world.mine.staff)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = client.get("/api/v1/pairings/")
    assert response.status_code == 200
    assert {row["id"] for row in response.json()["results"]} == {world.mine.pairing.pk}


def test_a_wrong_token_is_401(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    response = client.get("/api/v1/branches/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_token_of_a_deactivated_user_is_refused(world):
    token = Token.objects.create(user=world.mine.staff)
    world.mine.staff.is_active = False
    world.mine.staff.save(update_fields=["is_active"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/v1/branches/").status_code == 401


def test_drf_create_token_command_makes_a_token(world):
    out = io.StringIO()
    call_command("drf_create_token", world.mine.staff.username, stdout=out)
    key = Token.objects.get(user=world.mine.staff).key
    assert key in out.getvalue()


def test_session_login_reads_and_writes_need_the_csrf_token(world):
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username=world.mine.staff.username, password=PASSWORD)
    assert client.get("/api/v1/branches/").status_code == 200
    response = client.post("/api/v1/grades/assign/", {"branches": [world.mine.pairing.partner_id]}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_schema_validates_without_warnings(db):
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    schema = out.getvalue()
    for path in ("/api/v1/branches/", "/api/v1/hours/{id}/verify/", "/api/v1/report-snapshots/"):
        assert f"{path}:" in schema


def test_schema_and_docs_need_a_login_and_satisfy_the_csp(world):
    anonymous = APIClient()
    assert anonymous.get("/api/schema/").status_code == 401
    client = APIClient()
    client.force_authenticate(world.mine.member)
    assert client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").status_code == 200
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<style" not in html
    assert not re.search(r"<script>", html)  # every script has a src on this origin
    assert "https://" not in html
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert "/api/schema/" in script.content.decode()
