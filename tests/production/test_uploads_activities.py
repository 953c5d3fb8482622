"""Upload limits at the activities entry points: theme-day photos and attachments, key-task
(N-task) evidence photos. Over-limit and wrong-type files get a Chinese message next to the field
and leave nothing in MEDIA_ROOT and no half-written row."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from activities import services
from activities.models import KeyTaskReport, ThemeDay
from activities.uploads import MAX_ATTACHMENT_BYTES, MAX_IMAGE_BYTES
from tests.activities.conftest import image_upload, world  # noqa: F401 - the activities world fixture

from .helpers import exe, oversized, png_over, stored

pytestmark = pytest.mark.django_db


def _theme_day_post(client, world, **files):  # noqa: F811
    client.force_login(world.helper_sec)
    data = {
        "held_on": "2022-03-05",
        "theme": "重温入党誓词",
        "place": "村部",
        "helper_attendance": 5,
        "partner_attendance": 6,
        "summary": "",
        **files,
    }
    return client.post(reverse("activities:theme_day_create", args=[world.pairing.pk]), data)


@pytest.mark.parametrize(
    ("field", "upload", "message"),
    [
        ("photos", lambda: png_over(MAX_IMAGE_BYTES), "MB"),
        ("photos", lambda: SimpleUploadedFile("photo.jpg", b"not a jpeg" * 50, "image/jpeg"), "图片"),
        ("attachments", lambda: oversized("签到表.pdf", MAX_ATTACHMENT_BYTES, b"%PDF-1.4", "application/pdf"), "MB"),
        ("attachments", lambda: exe("签到表.pdf", "application/pdf"), "签到表.pdf"),
    ],
    ids=["photo-too-big", "photo-not-an-image", "attachment-too-big", "attachment-executable"],
)
def test_theme_day_upload_is_refused_and_nothing_is_kept(client, world, settings, field, upload, message):  # noqa: F811
    files = {field: [upload()]}
    if field == "attachments":
        files["photos"] = [image_upload(size=(40, 30))]
    response = _theme_day_post(client, world, **files)
    assert response.status_code in (200, 400)
    html = response.content.decode()
    assert message in html and ("is-invalid" in html or "invalid-feedback" in html or "alert-danger" in html)
    assert not ThemeDay.objects.exists()
    assert not stored(settings.MEDIA_ROOT)


@pytest.fixture
def task_list(world):  # noqa: F811
    return services.key_task_list_publish(
        region=world.county,
        year=2022,
        half=1,
        tasks=[{"title": "防汛救灾", "description": "", "due_on": datetime.date(2022, 6, 30)}],
        acting_user=world.staff,
    )


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: png_over(MAX_IMAGE_BYTES), "MB"),
        (lambda: exe("evidence.jpg", "image/jpeg"), "图片"),
    ],
    ids=["evidence-too-big", "evidence-not-an-image"],
)
def test_key_task_evidence_is_refused_and_nothing_is_kept(client, world, task_list, settings, upload, message):  # noqa: F811
    task = task_list.tasks.get()
    client.force_login(world.partner_sec)
    response = client.post(
        reverse("activities:task_report", args=[task_list.pk, world.pairing.pk]),
        {"task": task.pk, f"t{task.pk}-status": "done", f"t{task.pk}-note": "x", f"t{task.pk}-photos": [upload()]},
    )
    assert response.status_code in (200, 400)
    assert message in response.content.decode()
    assert not KeyTaskReport.objects.exists()
    assert not stored(settings.MEDIA_ROOT)
