"""Oversized and over-many-field requests get a clear 413/400 page in Chinese, never a crash."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import RegionFactory, UserFactory

from .helpers import MB, stored

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory.staff(region=RegionFactory(city=True)))
    return client


def test_a_form_body_over_the_memory_limit_gets_413_in_chinese(staff_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
    response = staff_client.post(reverse("pairing:branch_list"), {"q": "x" * (80 * 1024)})
    assert response.status_code == 413
    html = response.content.decode()
    assert "提交的内容过大" in html and "<html" in html


def test_a_raw_body_over_the_limit_gets_413(staff_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
    response = staff_client.post(
        reverse("pairing:branch_list"), data=b"x" * (80 * 1024), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413 and "提交的内容过大" in response.content.decode()


def test_too_many_fields_get_400_in_chinese(staff_client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50
    response = staff_client.post(reverse("pairing:branch_list"), {f"f{i}": "1" for i in range(60)})
    assert response.status_code == 400
    assert "提交的字段或文件过多" in response.content.decode()


def test_too_many_files_get_400_and_nothing_is_kept(staff_client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    files = {f"f{i}": SimpleUploadedFile(f"{i}.txt", b"x") for i in range(5)}
    response = staff_client.post(reverse("pairing:branch_list"), files)
    assert response.status_code == 400
    assert "提交的字段或文件过多" in response.content.decode()
    assert not stored(settings.MEDIA_ROOT)


def test_a_declared_length_over_the_request_cap_is_refused_before_reading(staff_client, settings):
    settings.MAX_REQUEST_BYTES = 1 * MB
    response = staff_client.generic(
        "POST",
        reverse("pairing:roster_upload"),
        data=b"x" * 100,
        content_type="multipart/form-data; boundary=zzz",
        CONTENT_LENGTH=str(2 * MB),
    )
    assert response.status_code == 413
    assert "上限 12 MB" in response.content.decode() or "提交的内容过大" in response.content.decode()


def test_the_api_gets_json_413(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
    settings.MAX_REQUEST_BYTES = 64 * 1024
    client.force_login(UserFactory.staff(region=RegionFactory(city=True)))
    response = client.post("/api/v1/branches/", data=b"{" + b" " * (80 * 1024) + b"}", content_type="application/json")
    assert response.status_code == 413
    assert "提交的内容过大" in response.json()["detail"]


def test_anonymous_over_limit_gets_the_page_too(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
    response = client.post(reverse("login"), {"username": "x", "password": "y" * (80 * 1024)})
    assert response.status_code == 413 and "提交的内容过大" in response.content.decode()


def test_a_plain_bad_request_uses_the_chinese_400_page(client, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    response = client.get(reverse("login"), HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "请求无法处理" in response.content.decode()
