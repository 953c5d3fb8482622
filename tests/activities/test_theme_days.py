"""Recording, validating, confirming and returning theme Party days; uploads."""

from __future__ import annotations

import datetime
import io
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts.models import Notice
from activities import services
from activities.choices import ThemeDayStatus
from activities.models import ThemeDay, ThemeDayPhoto
from activities.services import photos as uploads
from activities.services import theme_days
from tests.uploads import pdf_bytes
from twinning import files

from .conftest import image_upload, stored_files

pytestmark = pytest.mark.django_db


def record(county_pairings, user=None, **overrides):
    data = dict(
        pairing=county_pairings.pairing,
        acting_user=user or county_pairings.helper_sec,
        held_on=datetime.date(2022, 3, 5),
        theme="重温入党誓词",
        place="村党群服务中心",
        helper_attendance=10,
        partner_attendance=12,
    )
    data.update(overrides)
    return services.theme_day_record(**data)


def test_recorded_day_is_pending_and_the_partner_is_notified(county_pairings):
    day = record(county_pairings)
    assert day.status == ThemeDayStatus.PENDING
    assert day.recorded_by_branch == county_pairings.pairing.helper
    assert Notice.objects.filter(user=county_pairings.partner_sec, kind="theme_day").count() == 1
    assert day.history.first().history_user == county_pairings.helper_sec


def test_weekday_is_allowed_but_flagged(county_pairings):
    saturday = record(county_pairings, held_on=datetime.date(2022, 3, 5))
    wednesday = record(county_pairings, held_on=datetime.date(2022, 3, 9))
    assert saturday.is_weekend and not wednesday.is_weekend


def test_partner_confirms_and_the_recorder_cannot(county_pairings):
    day = record(county_pairings)
    with pytest.raises(PermissionDenied):
        services.theme_day_confirm(theme_day=day, acting_user=county_pairings.helper_sec)
    day = services.theme_day_confirm(theme_day=day, acting_user=county_pairings.partner_sec)
    assert day.status == ThemeDayStatus.CONFIRMED and day.reviewed_by == county_pairings.partner_sec


def test_return_needs_a_reason_and_notifies_the_recorder(county_pairings):
    day = record(county_pairings)
    with pytest.raises(ValidationError):
        services.theme_day_return(theme_day=day, acting_user=county_pairings.partner_sec, reason="  ")
    day = services.theme_day_return(theme_day=day, acting_user=county_pairings.partner_sec, reason="请补充照片")
    assert day.status == ThemeDayStatus.RETURNED and day.return_reason == "请补充照片"
    assert Notice.objects.filter(user=county_pairings.helper_sec, title__contains="退回").exists()


def test_editing_a_confirmed_day_needs_confirmation_again_and_keeps_history(county_pairings):
    day = services.theme_day_confirm(theme_day=record(county_pairings), acting_user=county_pairings.partner_sec)
    day = services.theme_day_update(theme_day=day, acting_user=county_pairings.helper_sec, data={"theme": "七一党课"})
    assert day.status == ThemeDayStatus.PENDING and day.reviewed_by is None
    statuses = list(day.history.order_by("history_date").values_list("status", "theme"))
    assert statuses == [("pending", "重温入党誓词"), ("confirmed", "重温入党誓词"), ("pending", "七一党课")]


def test_only_the_recording_side_edits(county_pairings):
    day = record(county_pairings)
    with pytest.raises(PermissionDenied):
        services.theme_day_update(theme_day=day, acting_user=county_pairings.partner_sec, data={"theme": "x"})


def test_staff_and_outsiders_cannot_record(county_pairings):
    for user in (county_pairings.staff, county_pairings.outsider_sec, county_pairings.member):
        with pytest.raises(PermissionDenied):
            record(county_pairings, user=user)


@pytest.mark.parametrize(
    ("overrides", "field", "text"),
    [
        ({"held_on": datetime.date(2099, 1, 1)}, "held_on", "不能晚于今天"),
        ({"held_on": datetime.date(2021, 12, 31)}, "held_on", "早于结对日期"),
        ({"helper_attendance": 26}, "helper_attendance", "超过"),
        ({"partner_attendance": 31}, "partner_attendance", "党员数（30 人）"),
        ({"helper_attendance": 0, "partner_attendance": 0}, "helper_attendance", "请填写参加人数"),
    ],
)
def test_bad_input_gets_a_clear_message_and_nothing_is_written(county_pairings, overrides, field, text):
    with pytest.raises(ValidationError) as exc:
        record(county_pairings, photos=[image_upload()], **overrides)
    assert any(text in m for m in exc.value.message_dict[field])
    assert not ThemeDay.objects.exists()


def test_date_after_dissolution_is_refused(county_pairings):
    county_pairings.pairing.status, county_pairings.pairing.dissolved_on = "dissolved", datetime.date(2022, 3, 10)
    county_pairings.pairing.save()
    with pytest.raises(ValidationError) as exc:
        record(county_pairings, held_on=datetime.date(2022, 3, 12))
    assert "解除" in exc.value.message_dict["held_on"][0]


def test_today_in_shanghai_is_not_the_future(county_pairings):
    # 2022-01-31 16:30 UTC is already 1 February 00:30 in Shanghai.
    with mock.patch(
        "django.utils.timezone.now", return_value=datetime.datetime(2022, 1, 31, 16, 30, tzinfo=datetime.UTC)
    ):
        assert timezone.localdate() == datetime.date(2022, 2, 1)
        day = record(county_pairings, held_on=datetime.date(2022, 2, 1))
    assert day.held_on.month == 2


def test_photo_keeps_original_and_a_resized_copy(
    county_pairings, _isolated_media_root, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        day = record(county_pairings, photos=[image_upload("a.jpg"), image_upload("b.png", size=(800, 600))])
    photos = list(day.photos.order_by("id"))
    assert len(photos) == 2
    first = photos[0]
    assert (first.width, first.height) == (2000, 1500)
    with default_storage.open(first.display.name) as fh:
        assert max(Image.open(fh).size) == uploads.DISPLAY_MAX_PX
    with default_storage.open(first.original.name) as fh:
        assert Image.open(fh).size == (2000, 1500)
    with default_storage.open(photos[1].display.name) as fh:
        assert Image.open(fh).format == "JPEG"
    assert all(str(p).startswith(str(_isolated_media_root / "private")) for p in stored_files(_isolated_media_root))


def test_a_small_upright_jpeg_is_its_own_page_copy(
    county_pairings, _isolated_media_root, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        day = record(county_pairings, photos=[image_upload("a.jpg", size=(800, 600))])
    photo = day.photos.get()
    assert photo.display.name == photo.original.name
    assert callbacks == [] and len(stored_files(_isolated_media_root)) == 1


def test_a_turned_phone_photo_is_stored_upright(
    county_pairings, _isolated_media_root, django_capture_on_commit_callbacks
):
    exif = Image.Exif()
    exif[0x0112] = 6  # EXIF orientation: stored sideways, shown turned 90°
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (10, 20, 30)).save(out, format="JPEG", exif=exif)
    with django_capture_on_commit_callbacks(execute=True):
        day = record(
            county_pairings, photos=[SimpleUploadedFile("turned.jpg", out.getvalue(), content_type="image/jpeg")]
        )
    photo = day.photos.get()
    # Turned when it was re-encoded on upload: the stored photo is upright, and small enough to be its page copy.
    assert (photo.width, photo.height) == (600, 800) and photo.display.name == photo.original.name
    with default_storage.open(photo.display.name) as fh:
        assert Image.open(fh).size == (600, 800)


def test_the_copy_is_made_after_the_commit_and_the_page_shows_the_original_until_then(
    client, county_pairings, _isolated_media_root, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        day = record(county_pairings, photos=[image_upload("big.jpg")])
    photo = day.photos.get()
    assert photo.display.name == "" and len(stored_files(_isolated_media_root)) == 1  # the original, on disk
    client.force_login(county_pairings.partner_sec)
    shown = client.get(reverse("activities:theme_day_photo", args=[photo.pk]))
    assert shown.status_code == 200 and Image.open(io.BytesIO(b"".join(shown.streaming_content))).size == (2000, 1500)
    assert client.get(day.get_absolute_url()).status_code == 200
    for callback in callbacks:
        callback()
    photo.refresh_from_db()
    assert photo.display.name and len(stored_files(_isolated_media_root)) == 2
    shown = client.get(reverse("activities:theme_day_photo", args=[photo.pk]))
    assert max(Image.open(io.BytesIO(b"".join(shown.streaming_content))).size) == uploads.DISPLAY_MAX_PX


def test_without_the_task_queue_the_copy_is_made_in_the_request(
    county_pairings, _isolated_media_root, django_capture_on_commit_callbacks, monkeypatch
):
    from kombu.exceptions import OperationalError

    from activities import tasks

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to redis")

    monkeypatch.setattr(tasks.make_display_copies, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        day = record(county_pairings, photos=[image_upload("big.jpg")])
    assert day.photos.get().display.name


def test_a_failed_copy_loses_nothing_and_a_later_run_makes_it(
    county_pairings, _isolated_media_root, django_capture_on_commit_callbacks, monkeypatch
):
    real = uploads.display_copy

    def broken(data):
        raise OSError("decoder jpeg not available")

    monkeypatch.setattr(uploads, "display_copy", broken)
    with django_capture_on_commit_callbacks(execute=True):
        day = record(county_pairings, photos=[image_upload("big.jpg")])
    photo = day.photos.get()
    assert photo.display.name == "" and ThemeDay.objects.filter(pk=day.pk).exists()
    with default_storage.open(photo.original.name) as fh:
        assert Image.open(fh).size == (2000, 1500)
    monkeypatch.setattr(uploads, "display_copy", real)
    assert services.photo_display_copies_make(model_label="activities.ThemeDayPhoto", ids=[photo.pk]) == 1
    assert services.photo_display_copies_make(model_label="activities.ThemeDayPhoto", ids=[photo.pk]) == 0
    assert len(stored_files(_isolated_media_root)) == 2


def test_a_second_run_racing_the_first_keeps_no_extra_file(county_pairings, _isolated_media_root, monkeypatch):
    day = record(county_pairings, photos=[image_upload("big.jpg")])
    photo = day.photos.get()
    real_save = uploads.save_beside

    def first_run_wins_meanwhile(name, data, extension):
        saved = real_save(name, data, extension)
        ThemeDayPhoto.objects.filter(pk=photo.pk).update(display=photo.original.name)
        return saved

    monkeypatch.setattr(uploads, "save_beside", first_run_wins_meanwhile)
    assert services.photo_display_copies_make(model_label="activities.ThemeDayPhoto", ids=[photo.pk]) == 0
    assert len(stored_files(_isolated_media_root)) == 1


def test_non_image_is_refused_and_nothing_stored(county_pairings, _isolated_media_root):
    fake = SimpleUploadedFile("photo.jpg", b"not really a jpeg" * 100, content_type="image/jpeg")
    with pytest.raises(ValidationError) as exc:
        record(county_pairings, photos=[image_upload(), fake])
    assert "不是有效的图片" in exc.value.message_dict["photos"][0]
    assert not ThemeDay.objects.exists() and not ThemeDayPhoto.objects.exists()
    assert stored_files(_isolated_media_root) == []


def test_image_over_the_limit_is_refused(county_pairings, _isolated_media_root, monkeypatch):
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 10_000)
    with pytest.raises(ValidationError) as exc:
        record(county_pairings, photos=[image_upload(size=(1500, 1500), color=None)])
    assert "太大" in exc.value.message_dict["photos"][0] or "上限" in exc.value.message_dict["photos"][0]
    assert stored_files(_isolated_media_root) == []


def test_attachment_type_is_checked(county_pairings, _isolated_media_root):
    exe = SimpleUploadedFile("minutes.pdf", b"MZ\x90\x00binary", content_type="application/pdf")
    with pytest.raises(ValidationError) as exc:
        record(county_pairings, attachments=[exe])
    assert "不符" in exc.value.message_dict["attachments"][0]
    day = record(
        county_pairings, attachments=[SimpleUploadedFile("签到表.pdf", pdf_bytes(), content_type="application/pdf")]
    )
    assert day.attachments.get().original_name == "签到表.pdf"


def test_files_written_before_a_failure_are_removed(county_pairings, _isolated_media_root, monkeypatch):
    def boom(**kwargs):
        raise RuntimeError("mail server down")

    monkeypatch.setattr(theme_days, "_notify_other_side", boom)
    with pytest.raises(RuntimeError):
        record(county_pairings, photos=[image_upload()])
    assert not ThemeDay.objects.exists()
    assert stored_files(_isolated_media_root) == []


def test_large_image_bytes_checked_even_when_size_is_unknown(county_pairings):
    data = io.BytesIO(b"x" * 20)
    upload = SimpleUploadedFile("x.jpg", data.getvalue())
    with pytest.raises(ValidationError):
        files.upload_check(upload, accept=files.IMAGES)
