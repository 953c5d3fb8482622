"""The 20th-of-the-month reminder: beat entry, notices to both secretaries, idempotent, e-mail."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core import mail

from accounts.models import Notice
from activities import services, tasks
from activities.models import ThemeDay

pytestmark = pytest.mark.django_db(transaction=True)
THE_20TH = datetime.datetime(2022, 3, 20, 1, 0, tzinfo=datetime.UTC)  # 09:00 in Shanghai


def test_beat_schedule_runs_the_task_on_the_20th():
    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "activities.send_theme_day_reminders"]
    assert len(entries) == 1
    assert entries[0]["schedule"] == crontab(minute=0, hour=9, day_of_month=20)
    assert tasks.send_theme_day_reminders.name == "activities.send_theme_day_reminders"


def test_both_secretaries_of_a_pairing_without_a_day_are_reminded_once(county_pairings):
    ThemeDay.objects.create(
        pairing=county_pairings.other,
        recorded_by_branch=county_pairings.other.helper,
        held_on=datetime.date(2022, 3, 5),
        theme="t",
        place="p",
        helper_attendance=1,
    )
    with mock.patch("django.utils.timezone.now", return_value=THE_20TH):
        created = tasks.send_theme_day_reminders.delay().get()
        assert created == 2
        assert set(Notice.objects.filter(kind="theme_day_reminder").values_list("user__username", flat=True)) == {
            county_pairings.helper_sec.username,
            county_pairings.partner_sec.username,
        }
        assert [m.to for m in mail.outbox] == [["helper@example.com"]]
        assert "主题党日" in mail.outbox[0].subject
        assert tasks.send_theme_day_reminders.delay().get() == 0
    assert Notice.objects.filter(kind="theme_day_reminder").count() == 2
    assert len(mail.outbox) == 1


def test_a_day_from_last_month_does_not_count_and_next_month_reminds_again(county_pairings):
    ThemeDay.objects.create(
        pairing=county_pairings.pairing,
        recorded_by_branch=county_pairings.pairing.helper,
        held_on=datetime.date(2022, 2, 28),
        theme="t",
        place="p",
        helper_attendance=1,
    )
    assert services.theme_day_reminders_send(today=datetime.date(2022, 3, 20)) == 2 + 1  # + the outsider's pairing
    assert services.theme_day_reminders_send(today=datetime.date(2022, 4, 20)) == 3


def test_dissolved_and_not_yet_started_pairings_are_not_reminded(county_pairings):
    county_pairings.pairing.status, county_pairings.pairing.dissolved_on = "dissolved", datetime.date(2022, 3, 1)
    county_pairings.pairing.save()
    county_pairings.other.started_on = datetime.date(2022, 3, 25)
    county_pairings.other.save()
    assert services.theme_day_reminders_send(today=datetime.date(2022, 3, 20)) == 0
