"""Upload limits at the pairing entry points: roster import and pairing agreement.

An over-limit file and a file of the wrong type each get a clear Chinese message, never a 500,
and leave nothing in MEDIA_ROOT."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from pairing.roster.imports import MAX_UPLOAD_BYTES
from pairing.services import pairings as services
from pairing.services.pairings import AGREEMENT_MAX_BYTES
from tests.factories import PASSWORD
from tests.pairing.test_pairing_fixtures import make_world, staff

from .helpers import exe, oversized, stored

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def world():
    return make_world()


@pytest.fixture
def owner(world, client):
    user = staff(world.county)
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
def pairing(world, owner):
    return services.pairing_create(helper=world.helpers[0], partner=world.partners[0], acting_user=owner)


def test_agreement_over_the_limit_is_refused_and_nothing_is_kept(client, pairing, settings):
    upload = oversized("协议.pdf", AGREEMENT_MAX_BYTES, b"%PDF-1.4", "application/pdf")
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
