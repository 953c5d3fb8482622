"""Upload limits at the volunteers entry points: the unit's co-building agreement and the wish
photo. Over-limit and wrong-type files get a Chinese message and leave nothing behind."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests import uploads as hostile
from tests.volunteers.conftest import communities  # noqa: F401 - the volunteers fixture
from twinning.files import MAX_FILE_BYTES
from volunteers import services
from volunteers.models import Registration, Wish

from .helpers import exe, oversized, png_over, stored

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: oversized("协议.pdf", MAX_FILE_BYTES, b"%PDF-1.4", "application/pdf"), "MB"),
        (lambda: exe("协议.pdf", "application/pdf"), "PDF"),
    ],
    ids=["agreement-too-big", "agreement-executable"],
)
def test_unit_agreement_is_refused_and_nothing_is_kept(client, communities, settings, upload, message):  # noqa: F811
    client.force_login(communities.unit_secretary)
    response = client.post(
        reverse("volunteers:register_unit"), {"community": communities.community.pk, "agreement": upload()}
    )
    assert response.status_code in (200, 400)
    html = response.content.decode()
    assert message in html and ("is-invalid" in html or "invalid-feedback" in html or "alert-danger" in html)
    assert not Registration.objects.exists()
    assert not stored(settings.MEDIA_ROOT)


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: png_over(MAX_FILE_BYTES), "MB"),
        (lambda: SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff not really a jpeg", "image/jpeg"), "图片"),
    ],
    ids=["wish-photo-too-big", "wish-photo-not-an-image"],
)
def test_wish_photo_is_refused_and_nothing_is_kept(client, communities, settings, upload, message):  # noqa: F811
    from tests.volunteers.conftest import register_member

    register_member(communities)
    wish = services.wish_create(
        acting_user=communities.community_secretary,
        community=communities.community,
        title="收音机",
        resident_name="张秀英",
    )
    services.wish_claim(wish=wish, member=communities.member)
    before = Wish.objects.get(pk=wish.pk).status
    client.force_login(communities.member)
    response = client.post(reverse("volunteers:wish_fulfil", args=[wish.pk]), {"note": "送到了", "photo": upload()})
    assert response.status_code in (200, 400)
    assert message in response.content.decode()
    wish.refresh_from_db()
    assert not wish.photo and wish.status == before
    assert not stored(settings.MEDIA_ROOT)


# --- hostile files: refused, or stored as clean pixels / a checked PDF and served safely -------------


def _claimed_wish(communities):  # noqa: F811
    from tests.volunteers.conftest import register_member

    register_member(communities)
    wish = services.wish_create(
        acting_user=communities.community_secretary,
        community=communities.community,
        title="收音机",
        resident_name="张秀英",
    )
    services.wish_claim(wish=wish, member=communities.member)
    return wish


def _fulfil(client, communities, wish, photo):  # noqa: F811
    client.force_login(communities.member)
    return client.post(reverse("volunteers:wish_fulfil", args=[wish.pk]), {"note": "送到了", "photo": photo})


def _register_unit(client, communities, agreement):  # noqa: F811
    client.force_login(communities.unit_secretary)
    return client.post(
        reverse("volunteers:register_unit"), {"community": communities.community.pk, "agreement": agreement}
    )


def test_wish_photo_that_is_also_a_page_is_served_as_clean_pixels(client, communities):  # noqa: F811
    wish = _claimed_wish(communities)
    photo = hostile.upload("photo.html", hostile.with_page_appended(hostile.jpeg_bytes()), "text/html")
    assert _fulfil(client, communities, wish, photo).status_code == 302
    client.force_login(communities.community_secretary)
    response = client.get(reverse("volunteers:wish_photo", args=[wish.pk]))
    assert hostile.served_safely(response, content_type="image/jpeg", inline=True)
    assert hostile.SCRIPT not in hostile.body(response)


@pytest.mark.parametrize(
    ("photo", "message"),
    [
        (lambda: hostile.upload("photo.js", hostile.gif_js_polyglot(), "text/javascript"), "不是有效的图片"),
        (lambda: hostile.upload("photo.png", hostile.png_with_forged_size(30000, 30000), "image/png"), "像素过大"),
    ],
    ids=["gif-js-polyglot", "30000x30000-png"],
)
def test_wish_photo_polyglots_and_bombs_are_refused_in_chinese(client, communities, settings, photo, message):  # noqa: F811
    wish = _claimed_wish(communities)
    response = _fulfil(client, communities, wish, photo())
    assert response.status_code == 200 and message in response.content.decode()
    wish.refresh_from_db()
    assert not wish.photo and not stored(settings.MEDIA_ROOT)


@pytest.mark.parametrize(
    ("data", "content_type", "inline"),
    [
        (hostile.with_page_appended(hostile.pdf_bytes()), "application/pdf", False),
        (hostile.with_page_appended(hostile.png_bytes()), "image/png", True),
    ],
    ids=["pdf-and-page", "png-and-page"],
)
def test_registration_agreement_that_is_also_a_page_is_stored_clean_and_served_safely(
    client,
    communities,  # noqa: F811
    data,
    content_type,
    inline,
):
    assert _register_unit(client, communities, hostile.upload("agreement.html", data, "text/html")).status_code == 302
    registration = Registration.objects.get()
    client.force_login(communities.community_secretary)
    response = client.get(reverse("volunteers:registration_agreement", args=[registration.pk]))
    assert hostile.served_safely(response, content_type=content_type, inline=inline)
    assert hostile.SCRIPT not in hostile.body(response)


@pytest.mark.parametrize(
    ("agreement", "message"),
    [
        (lambda: hostile.upload("photo.js", hostile.gif_js_polyglot(), "text/javascript"), "请上传 PDF 文件"),
        (lambda: hostile.upload("协议.png", hostile.png_with_forged_size(30000, 30000), "image/png"), "像素过大"),
    ],
    ids=["gif-js-polyglot", "30000x30000-png"],
)
def test_registration_agreement_polyglots_and_bombs_are_refused_in_chinese(
    client,
    communities,  # noqa: F811
    settings,
    agreement,
    message,
):
    response = _register_unit(client, communities, agreement())
    assert response.status_code == 200 and message in response.content.decode()
    assert not Registration.objects.exists() and not stored(settings.MEDIA_ROOT)


def test_files_stored_before_under_the_uploaders_name_are_served_as_downloads(client, communities, settings):  # noqa: F811
    """Old rows keep their old names ("photo.js"): the type comes from a fixed table, never a guess."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    wish = _claimed_wish(communities)
    name = default_storage.save("volunteers/wishes/2025/photo.js", ContentFile(hostile.gif_js_polyglot()))
    Wish.objects.filter(pk=wish.pk).update(photo=name, status="fulfilled")
    client.force_login(communities.community_secretary)
    response = client.get(reverse("volunteers:wish_photo", args=[wish.pk]))
    assert hostile.served_safely(response, content_type="application/octet-stream", inline=False)
