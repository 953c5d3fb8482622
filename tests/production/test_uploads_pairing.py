"""Upload limits at the pairing entry points: roster import and pairing agreement.

An over-limit file and a file of the wrong type each get a clear Chinese message, never a 500,
and leave nothing in MEDIA_ROOT."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from pairing.roster.imports import MAX_UPLOAD_BYTES
from pairing.services import pairings as services
from tests import uploads as hostile
from tests.factories import PASSWORD
from tests.pairing.pairing_fixtures import make_world, staff
from twinning.files import MAX_FILE_BYTES

from .helpers import exe, oversized, stored

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def county_branches():
    return make_world()


@pytest.fixture
def owner(county_branches, client):
    user = staff(county_branches.county)
    assert client.login(username=user.username, password=PASSWORD)
    return user


def test_roster_over_the_limit_is_refused_and_nothing_is_kept(client, owner, settings):
    upload = oversized("名册.xlsx", MAX_UPLOAD_BYTES, b"PK\x03\x04", XLSX)
    response = client.post(reverse("pairing:roster_upload"), {"file": upload})
    # One byte over: the form says so (a body far over the limit is refused with 413 before it is read).
    assert response.status_code in (200, 413)
    assert "上限" in response.content.decode()
    assert not stored(settings.MEDIA_ROOT)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("名册.xls", b"\xd0\xcf\x11\xe0 old excel", "xlsx"),
        ("名册.xlsx", b"MZ\x90\x00 an executable", ""),
        ("名册.xlsx", b"PK\x03\x04 not really a workbook", ""),
    ],
)
def test_roster_of_the_wrong_type_is_refused_and_nothing_is_kept(client, owner, settings, name, content, message):
    response = client.post(reverse("pairing:roster_upload"), {"file": SimpleUploadedFile(name, content, XLSX)})
    assert response.status_code < 500
    html = response.content.decode()
    assert message in html
    assert "导入" in html and ("is-invalid" in html or "alert-danger" in html or "invalid-feedback" in html)
    assert not stored(settings.MEDIA_ROOT)


@pytest.fixture
def pairing(county_branches, owner):
    return services.pairing_create(
        helper=county_branches.helpers[0], partner=county_branches.partners[0], acting_user=owner
    )


def test_agreement_over_the_limit_is_refused_and_nothing_is_kept(client, pairing, settings):
    upload = oversized("协议.pdf", MAX_FILE_BYTES, b"%PDF-1.4", "application/pdf")
    response = client.post(reverse("pairing:pairing_agreement_upload", args=[pairing.pk]), {"agreement": upload})
    assert response.status_code == 400
    assert "10 MB" in response.content.decode()
    assert not stored(settings.MEDIA_ROOT)
    pairing.refresh_from_db()
    assert not pairing.agreement


def test_agreement_of_the_wrong_type_is_refused_and_nothing_is_kept(client, pairing, settings):
    upload = exe("协议.pdf", "application/pdf")
    response = client.post(reverse("pairing:pairing_agreement_upload", args=[pairing.pk]), {"agreement": upload})
    assert response.status_code == 400
    assert "PDF" in response.content.decode()
    assert not stored(settings.MEDIA_ROOT)


# --- hostile files: refused, or stored as clean pixels / a checked PDF and served safely -------------


def _agreement_post(client, pairing, upload):
    return client.post(reverse("pairing:pairing_agreement_upload", args=[pairing.pk]), {"agreement": upload})


@pytest.mark.parametrize(
    ("data", "content_type", "inline", "start"),
    [
        (hostile.with_page_appended(hostile.png_bytes()), "image/png", True, b"\x89PNG"),
        (hostile.with_page_appended(hostile.pdf_bytes()), "application/pdf", False, b"%PDF-"),
    ],
    ids=["png-and-page", "pdf-and-page"],
)
def test_agreement_that_is_also_a_page_is_stored_clean_and_served_safely(
    client, pairing, data, content_type, inline, start
):
    assert _agreement_post(client, pairing, hostile.upload("agreement.html", data, "text/html")).status_code == 302
    response = client.get(reverse("pairing:pairing_agreement", args=[pairing.pk]))
    assert hostile.served_safely(response, content_type=content_type, inline=inline)
    content = hostile.body(response)
    assert content.startswith(start) and hostile.SCRIPT not in content


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: hostile.upload("photo.js", hostile.gif_js_polyglot(), "text/javascript"), "请上传 PDF 文件"),
        (lambda: hostile.upload("协议.png", hostile.png_with_forged_size(30000, 30000), "image/png"), "像素过大"),
    ],
    ids=["gif-js-polyglot", "30000x30000-png"],
)
def test_agreement_polyglots_and_bombs_are_refused_in_chinese(client, pairing, settings, upload, message):
    response = _agreement_post(client, pairing, upload())
    assert response.status_code == 400 and message in response.content.decode()
    assert not stored(settings.MEDIA_ROOT)
    pairing.refresh_from_db()
    assert not pairing.agreement


def test_roster_that_is_a_polyglot_is_refused_with_the_roster_message(client, owner, settings):
    response = client.post(
        reverse("pairing:roster_upload"), {"file": hostile.upload("名册.xlsx", hostile.gif_js_polyglot(), XLSX)}
    )
    assert response.status_code == 200 and "不是 Excel 工作簿" in response.content.decode()
    assert not stored(settings.MEDIA_ROOT)
