"""The month-end write path: recording a theme day with a photo from the form.

Its cost is pinned (the queries of the form and of the POST), and what the cheaper write must
still do is checked: the "+" history row, one notice per secretary of the other side, a page
copy that is the photo itself, and nothing left behind when the write fails.
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notice
from accounts.services import notice_send_to_branch
from activities import services
from activities.choices import ThemeDayStatus
from activities.models import ThemeDay, ThemeDayPhoto
from activities.services import theme_days
from pairing.choices import BRANCH_SCOPED_ROLES
from tests.factories import UserFactory

from .conftest import image_upload, stored_files

pytestmark = pytest.mark.django_db


def form_data(**overrides) -> dict:
    data = {
        "held_on": "2022-03-05",
        "theme": "学习贯彻党的二十大精神",
        "place": "村党群服务中心",
        "helper_attendance": 5,
        "partner_attendance": 6,
        "summary": "月末主题党日",
        "photos": image_upload("photo.jpg", size=(800, 600)),
    }
    data.update(overrides)
    return data


def test_the_form_reads_the_pairing_in_one_query(client, county_pairings, django_assert_num_queries):
    client.force_login(county_pairings.helper_sec)
    url = reverse("activities:theme_day_create", args=[county_pairings.pairing.pk])
    # session, user with its unread-notice count, the pairing with both sides
    with django_assert_num_queries(3):
        page = client.get(url)
    assert page.status_code == 200
    content = page.content.decode()
    assert county_pairings.pairing.helper.name in content and county_pairings.pairing.partner.name in content
    assert f'max="{county_pairings.pairing.partner.member_count}"' in content


def test_recording_with_a_photo_runs_a_fixed_number_of_queries(
    client, county_pairings, django_assert_num_queries, _isolated_media_root
):
    client.force_login(county_pairings.helper_sec)
    url = reverse("activities:theme_day_create", args=[county_pairings.pairing.pk])
    # session, user, pairing; savepoint, theme day, its history row, photo, notices, release
    with django_assert_num_queries(9):
        response = client.post(url, form_data())
    day = ThemeDay.objects.get()
    assert response.status_code == 302 and response["Location"] == day.get_absolute_url()
    photo = ThemeDayPhoto.objects.get(theme_day=day)
    assert (photo.width, photo.height, photo.uploaded_by) == (800, 600, county_pairings.helper_sec)
    # A small upright JPEG is its own page copy: nothing is queued, the one file is stored.
    assert photo.display.name == photo.original.name
    assert len(stored_files(_isolated_media_root)) == 1


def test_recording_leaves_the_same_history_row_as_a_save(client, county_pairings):
    client.force_login(county_pairings.helper_sec)
    before = timezone.now()
    client.post(reverse("activities:theme_day_create", args=[county_pairings.pairing.pk]), form_data())
    day = ThemeDay.objects.get()
    (row,) = day.history.all()
    assert row.history_type == "+" and row.history_user == county_pairings.helper_sec
    assert row.history_change_reason is None
    assert before <= row.history_date <= timezone.now()
    for field in ThemeDay.history.model.tracked_fields:
        assert getattr(row, field.attname) == getattr(day, field.attname), field.name
    assert (row.status, row.held_on, row.recorded_by_branch_id) == (
        ThemeDayStatus.PENDING,
        datetime.date(2022, 3, 5),
        county_pairings.pairing.helper_id,
    )


def test_every_secretary_of_the_other_side_and_nobody_else_is_notified(client, county_pairings):
    community = UserFactory.community_secretary(branch=county_pairings.pairing.partner)
    UserFactory.member(branch=county_pairings.pairing.partner)
    UserFactory.secretary(branch=county_pairings.pairing.helper)  # the recorder's own side
    client.force_login(county_pairings.helper_sec)
    client.post(reverse("activities:theme_day_create", args=[county_pairings.pairing.pk]), form_data())
    day = ThemeDay.objects.get()
    notices = Notice.objects.filter(kind="theme_day")
    assert sorted(n.user_id for n in notices) == sorted([county_pairings.partner_sec.pk, community.pk])
    for notice in notices:
        assert notice.title == "有一条主题党日记录待您确认"
        assert notice.body == "2022-03-05 学习贯彻党的二十大精神"
        assert notice.url == day.get_absolute_url()
        assert notice.key == "" and notice.read_at is None and notice.created_at is not None
    assert Notice.objects.count() == 2


def test_the_partner_side_recording_notifies_the_helper_side(county_pairings):
    services.theme_day_record(
        pairing=county_pairings.pairing,
        acting_user=county_pairings.partner_sec,
        held_on=datetime.date(2022, 3, 5),
        theme="重温入党誓词",
        place="村委会",
        partner_attendance=3,
    )
    assert list(Notice.objects.values_list("user_id", flat=True)) == [county_pairings.helper_sec.pk]


def test_a_failure_after_the_rows_are_written_leaves_nothing_behind(county_pairings, _isolated_media_root, monkeypatch):
    def notices_fail(**kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(theme_days, "notice_send_to_branch", notices_fail)
    with pytest.raises(RuntimeError):
        services.theme_day_record(
            pairing=county_pairings.pairing,
            acting_user=county_pairings.helper_sec,
            held_on=datetime.date(2022, 3, 5),
            theme="重温入党誓词",
            place="村委会",
            helper_attendance=3,
            photos=[image_upload("photo.jpg", size=(800, 600))],
        )
    assert not ThemeDay.objects.exists() and not ThemeDay.history.exists()
    assert not ThemeDayPhoto.objects.exists() and not Notice.objects.exists()
    assert stored_files(_isolated_media_root) == []


def test_notice_send_to_branch_counts_what_it_wrote(county_pairings):
    branch = county_pairings.pairing.partner
    assert notice_send_to_branch(branch_id=branch.pk, roles=BRANCH_SCOPED_ROLES, title="t", body="b") == 1
    assert notice_send_to_branch(branch_id=branch.pk, roles=(), title="t") == 0
    assert notice_send_to_branch(branch_id=county_pairings.other.partner_id, roles=BRANCH_SCOPED_ROLES, title="t") == 0
    assert Notice.objects.get().user == county_pairings.partner_sec
