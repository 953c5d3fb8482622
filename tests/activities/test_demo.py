"""The activities stage of seed_demo: works with no pairings, fills a year, adds nothing on re-run."""

from __future__ import annotations

import datetime
import io

import pytest

from activities import demo
from activities.models import JointActivity, KeyTaskReport, ThemeDay
from tests.factories import PairingFactory, RegionFactory

pytestmark = pytest.mark.django_db


def test_nothing_without_pairings_or_branches(county_pairings):
    demo.seed(seed=1, branches=0, stdout=io.StringIO())
    assert not ThemeDay.objects.exists()


def test_a_year_of_days_idempotent(county_pairings):
    county = county_pairings.county
    for _ in range(8):
        PairingFactory(
            partner__county=county,
            helper__county=county,
            campaign=county_pairings.pairing.campaign,
            started_on=datetime.date(2020, 1, 1),
        )
    demo.seed(seed=7, branches=100, stdout=io.StringIO())
    counts = (ThemeDay.objects.count(), JointActivity.objects.count(), KeyTaskReport.objects.count())
    assert counts[0] > 50 and counts[1] > 0 and counts[2] > 0
    statuses = set(ThemeDay.objects.values_list("status", flat=True))
    assert {"confirmed", "pending"} <= statuses
    assert any(not d.is_weekend for d in ThemeDay.objects.all())
    demo.seed(seed=7, branches=100, stdout=io.StringIO())
    assert (ThemeDay.objects.count(), JointActivity.objects.count(), KeyTaskReport.objects.count()) == counts


def test_empty_database_is_fine(db):
    RegionFactory(city=True)
    demo.seed(seed=1, branches=100, stdout=io.StringIO())
    assert not ThemeDay.objects.exists()
