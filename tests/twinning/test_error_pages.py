"""The error pages: 500 needs nothing but the template (no database, no context processors), and
400, 403 and 404 are pages of the site, with its layout."""

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404
from django.urls import include, path

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

SECRET = "internal detail of the failure"


def broken(request):
    raise RuntimeError(SECRET)


def refused(request, status: int):
    raise {400: SuspiciousOperation, 403: PermissionDenied, 404: Http404}[status](SECRET)


urlpatterns = [
    path("", include("twinning.urls")),
    path("broken/", broken),
    path("refused/<int:status>/", refused),
]


@pytest.fixture
def production(client, settings):
    settings.DEBUG = False
    client.raise_request_exception = False
    return client


def test_a_server_error_shows_a_plain_page_in_chinese_without_the_database(production, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = production.get("/broken/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "服务器出错了" in html and "500" in html
    assert 'href="/static/css/app.css"' in html  # the site's look, from a fixed path
    assert SECRET not in html and "Traceback" not in html


def test_a_server_error_page_is_translated(production):
    production.cookies["django_language"] = "en"
    html = production.get("/broken/").content.decode()
    assert 'lang="en"' in html


@pytest.mark.parametrize("status", [400, 403, 404])
def test_refusals_are_pages_of_the_site(production, status):
    response = production.get(f"/refused/{status}/")
    assert response.status_code == status
    html = response.content.decode()
    assert "brand-navbar" in html and f">{status}<" in html  # the site's layout around the status
    assert SECRET not in html
