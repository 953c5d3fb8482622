"""Upload limits at the volunteers entry points: the unit's co-building agreement and the wish
photo. Over-limit and wrong-type files get a Chinese message and leave nothing behind."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.volunteers.conftest import world  # noqa: F401 - the volunteers world fixture
from volunteers import services
from volunteers.models import Registration, Wish
from volunteers.services import AGREEMENT_MAX_BYTES, IMAGE_MAX_BYTES

from .helpers import exe, oversized, png_over, stored

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: oversized("协议.pdf", AGREEMENT_MAX_BYTES, b"%PDF-1.4", "application/pdf"), "MB"),
        (lambda: exe("协议.pdf", "application/pdf"), "PDF"),
    ],
    ids=["agreement-too-big", "agreement-executable"],
)
def test_unit_agreement_is_refused_and_nothing_is_kept(client, world, settings, upload, message):  # noqa: F811
    client.force_login(world.unit_secretary)
    response = client.post(
        reverse("volunteers:register_unit"), {"community": world.community.pk, "agreement": upload()}
    )
    assert response.status_code in (200, 400)
    html = response.content.decode()
    assert message in html and ("is-invalid" in html or "invalid-feedback" in html or "alert-danger" in html)
    assert not Registration.objects.exists()
    assert not stored(settings.MEDIA_ROOT)


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: png_over(IMAGE_MAX_BYTES), "MB"),
        (lambda: SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff not really a jpeg", "image/jpeg"), "图片"),
    ],
    ids=["wish-photo-too-big", "wish-photo-not-an-image"],
)
def test_wish_photo_is_refused_and_nothing_is_kept(client, world, settings, upload, message):  # noqa: F811
    from tests.volunteers.conftest import register_member

    register_member(world)
    wish = services.wish_create(
        acting_user=world.community_secretary, community=world.community, title="收音机", resident_name="张秀英"
    )
    services.wish_claim(wish=wish, member=world.member)
    before = Wish.objects.get(pk=wish.pk).status
    client.force_login(world.member)
    response = client.post(reverse("volunteers:wish_fulfil", args=[wish.pk]), {"note": "送到了", "photo": upload()})
    assert response.status_code in (200, 400)
    assert message in response.content.decode()
    wish.refresh_from_db()
    assert not wish.photo and wish.status == before
    assert not stored(settings.MEDIA_ROOT)
