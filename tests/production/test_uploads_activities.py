"""Upload limits at the activities entry points: theme-day photos and attachments, key-task
(N-task) evidence photos. Over-limit and wrong-type files get a Chinese message next to the field
and leave nothing in MEDIA_ROOT and no half-written row."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from activities import services
from activities.models import KeyTaskEvidence, KeyTaskReport, ThemeDay, ThemeDayAttachment, ThemeDayPhoto
from tests import uploads as hostile
from tests.activities.conftest import county_pairings, image_upload  # noqa: F401 - the activities fixture
from twinning.files import MAX_FILE_BYTES

from .helpers import exe, oversized, png_over, stored

pytestmark = pytest.mark.django_db


def _theme_day_post(client, county_pairings, **files):  # noqa: F811
    client.force_login(county_pairings.helper_sec)
    data = {
        "held_on": "2022-03-05",
        "theme": "重温入党誓词",
        "place": "村部",
        "helper_attendance": 5,
        "partner_attendance": 6,
        "summary": "",
        **files,
    }
    return client.post(reverse("activities:theme_day_create", args=[county_pairings.pairing.pk]), data)


@pytest.mark.parametrize(
    ("field", "upload", "message"),
    [
        ("photos", lambda: png_over(MAX_FILE_BYTES), "MB"),
        ("photos", lambda: SimpleUploadedFile("photo.jpg", b"not a jpeg" * 50, "image/jpeg"), "图片"),
        ("attachments", lambda: oversized("签到表.pdf", MAX_FILE_BYTES, b"%PDF-1.4", "application/pdf"), "MB"),
        ("attachments", lambda: exe("签到表.pdf", "application/pdf"), "签到表.pdf"),
    ],
    ids=["photo-too-big", "photo-not-an-image", "attachment-too-big", "attachment-executable"],
)
def test_theme_day_upload_is_refused_and_nothing_is_kept(client, county_pairings, settings, field, upload, message):  # noqa: F811
    files = {field: [upload()]}
    if field == "attachments":
        files["photos"] = [image_upload(size=(40, 30))]
    response = _theme_day_post(client, county_pairings, **files)
    assert response.status_code in (200, 400)
    html = response.content.decode()
    assert message in html and ("is-invalid" in html or "invalid-feedback" in html or "alert-danger" in html)
    assert not ThemeDay.objects.exists()
    assert not stored(settings.MEDIA_ROOT)


@pytest.fixture
def task_list(county_pairings):  # noqa: F811
    return services.key_task_list_publish(
        region=county_pairings.county,
        year=2022,
        half=1,
        tasks=[{"title": "防汛救灾", "description": "", "due_on": datetime.date(2022, 6, 30)}],
        acting_user=county_pairings.staff,
    )


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: png_over(MAX_FILE_BYTES), "MB"),
        (lambda: exe("evidence.jpg", "image/jpeg"), "图片"),
    ],
    ids=["evidence-too-big", "evidence-not-an-image"],
)
def test_key_task_evidence_is_refused_and_nothing_is_kept(
    client,
    county_pairings,  # noqa: F811
    task_list,
    settings,
    upload,
    message,
):
    task = task_list.tasks.get()
    client.force_login(county_pairings.partner_sec)
    response = client.post(
        reverse("activities:task_report", args=[task_list.pk, county_pairings.pairing.pk]),
        {"task": task.pk, f"t{task.pk}-status": "done", f"t{task.pk}-note": "x", f"t{task.pk}-photos": [upload()]},
    )
    assert response.status_code in (200, 400)
    assert message in response.content.decode()
    assert not KeyTaskReport.objects.exists()
    assert not stored(settings.MEDIA_ROOT)


# --- hostile files: refused, or stored as clean pixels / a checked PDF and served safely -------------


def _evidence_post(client, county_pairings, task_list, photo):  # noqa: F811
    task = task_list.tasks.get()
    client.force_login(county_pairings.partner_sec)
    return client.post(
        reverse("activities:task_report", args=[task_list.pk, county_pairings.pairing.pk]),
        {"task": task.pk, f"t{task.pk}-status": "done", f"t{task.pk}-note": "x", f"t{task.pk}-photos": [photo]},
    )


def test_theme_day_photo_that_is_also_a_page_is_served_as_clean_pixels(client, county_pairings):  # noqa: F811
    photo = hostile.upload("photo.html", hostile.with_page_appended(hostile.png_bytes()), "text/html")
    assert _theme_day_post(client, county_pairings, photos=[photo]).status_code == 302
    stored_photo = ThemeDayPhoto.objects.get()
    client.force_login(county_pairings.partner_sec)
    for view in ("activities:theme_day_photo", "activities:theme_day_photo_original"):
        response = client.get(reverse(view, args=[stored_photo.pk]))
        assert hostile.served_safely(response, content_type="image/png", inline=True)
        assert hostile.SCRIPT not in hostile.body(response)


def test_key_task_evidence_that_is_also_a_page_is_served_as_clean_pixels(client, county_pairings, task_list):  # noqa: F811
    photo = hostile.upload("evidence.html", hostile.with_page_appended(hostile.jpeg_bytes()), "text/html")
    assert _evidence_post(client, county_pairings, task_list, photo).status_code == 302
    evidence = KeyTaskEvidence.objects.get()
    for view in ("activities:task_evidence", "activities:task_evidence_original"):
        response = client.get(reverse(view, args=[evidence.pk]))
        assert hostile.served_safely(response, content_type="image/jpeg", inline=True)
        assert hostile.SCRIPT not in hostile.body(response)


@pytest.mark.parametrize("name", ["签到表.pdf", "签到表.html"])
def test_theme_day_attachment_with_a_page_after_the_pdf_is_a_clean_pdf_download(client, county_pairings, name):  # noqa: F811
    attachment = hostile.upload(name, hostile.with_page_appended(hostile.pdf_bytes()), "text/html")
    response = _theme_day_post(client, county_pairings, photos=[image_upload(size=(40, 30))], attachments=[attachment])
    assert response.status_code == 302
    stored_attachment = ThemeDayAttachment.objects.get()
    client.force_login(county_pairings.partner_sec)
    response = client.get(reverse("activities:theme_day_attachment", args=[stored_attachment.pk]))
    assert hostile.served_safely(response, content_type="application/pdf", inline=False)
    assert hostile.body(response).startswith(b"%PDF-") and hostile.SCRIPT not in hostile.body(response)
    assert response["Content-Disposition"].endswith(".pdf")  # offered as a PDF, whatever the uploader named it


@pytest.mark.parametrize(
    ("photo", "message"),
    [
        (lambda: hostile.upload("photo.js", hostile.gif_js_polyglot(), "text/javascript"), "不是有效的图片"),
        (lambda: hostile.upload("bomb.png", hostile.png_with_forged_size(30000, 30000), "image/png"), "像素过大"),
    ],
    ids=["gif-js-polyglot", "30000x30000-png"],
)
def test_theme_day_and_evidence_refuse_polyglots_and_bombs_in_chinese(
    client,
    county_pairings,  # noqa: F811
    task_list,
    settings,
    photo,
    message,
):
    for response in (
        _theme_day_post(client, county_pairings, photos=[photo()]),
        _evidence_post(client, county_pairings, task_list, photo()),
    ):
        assert response.status_code == 200 and message in response.content.decode()
    assert not ThemeDay.objects.exists() and not KeyTaskReport.objects.exists()
    assert not stored(settings.MEDIA_ROOT)
