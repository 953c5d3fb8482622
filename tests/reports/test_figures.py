"""Report figures on small hand-built data with known answers."""

import datetime
import io
import json

import pytest
from django.core.management import call_command

from pairing.models import Branch, OptimisationRecord
from reports.models import Snapshot
from reports.services import figures
from reports.services.rates import truncated_rate
from reports.services.snapshots import headline_json, region_figures, snapshots_refresh
from tests.factories import (
    BranchFactory,
    OptimisationCampaignFactory,
    PairingFactory,
    PartnerBranchFactory,
    RegionFactory,
)

AS_OF = datetime.date(2022, 4, 20)


@pytest.mark.parametrize(
    ("num", "den", "rate"),
    [(1083, 1127, 96.09), (4498, 4522, 99.46), (1, 1, 100.0), (0, 5, 0.0), (2, 3, 66.66), (9999, 10000, 99.99)],
)
def test_rates_are_truncated_never_rounded_up(num, den, rate):
    assert truncated_rate(num, den) == rate


def test_rate_of_nothing_is_none():
    assert truncated_rate(0, 0) is None


def test_no_rate_below_complete_shows_as_one_hundred():
    for den in range(1, 3000):
        assert truncated_rate(den - 1, den) < 100


@pytest.fixture
def city():
    return RegionFactory(city=True, name="信阳市")


def _optimise(branches, campaign, day=datetime.date(2022, 4, 1)):
    OptimisationRecord.objects.bulk_create(
        [OptimisationRecord(branch=b, campaign=campaign, action="reelection", done_on=day) for b in branches]
    )


@pytest.mark.django_db
def test_seed_article_optimisation_rates(city):
    """Xinyang, 20 April 2022: city level 1,083 optimised = 96.09%; counties 4,498 = 99.46%."""
    county = RegionFactory(parent=city, name="商城县")
    campaign = OptimisationCampaignFactory(city=city)
    Branch.objects.bulk_create(
        [Branch(code=f"C{i:05d}", name=f"市直{i}", kind="organ", level="city", city=city) for i in range(1127)]
        + [
            Branch(code=f"X{i:05d}", name=f"县区{i}", kind="village", level="county", city=city, county=county)
            for i in range(4522)
        ]
    )
    _optimise(Branch.objects.filter(level="city").order_by("code")[:1083], campaign)
    _optimise(Branch.objects.filter(level="county").order_by("code")[:4498], campaign)
    # a record after the as-of date does not count yet
    _optimise(Branch.objects.filter(level="city").order_by("code")[1083:1084], campaign, day=datetime.date(2022, 5, 1))

    own, children = region_figures(region=city, as_of=AS_OF)
    assert own["optimisation_by_level"]["市直"] == {"optimised": 1083, "total": 1127, "rate": 96.09}
    assert own["optimisation_by_level"]["县区"] == {"optimised": 4498, "total": 4522, "rate": 99.46}
    assert children["商城县"]["optimisation"]["rate"] == 99.46


@pytest.mark.django_db
def test_coverage_counts_partners_with_an_active_pairing_on_the_date(city):
    county = RegionFactory(parent=city, name="商城县")
    partners = [PartnerBranchFactory(county=county) for _ in range(4)]
    helpers = [BranchFactory(county=county) for _ in range(3)]
    PairingFactory(helper=helpers[0], partner=partners[0], started_on=datetime.date(2022, 1, 1))
    # dissolved before the date: not covered
    PairingFactory(
        helper=helpers[1],
        partner=partners[1],
        status="dissolved",
        started_on=datetime.date(2022, 1, 1),
        dissolved_on=datetime.date(2022, 3, 1),
    )
    # starts after the date: not covered yet
    PairingFactory(helper=helpers[2], partner=partners[2], started_on=datetime.date(2022, 5, 1))
    counts = figures.branch_counts(Branch.objects.filter(city=city), campaign=None, as_of=AS_OF, group=None)
    row = figures.coverage_row(counts[figures.WHOLE])
    assert row == {
        "paired": 1,
        "total": 4,
        "rate": 25.0,
        "helpers_engaged": 1,
        "helpers": 3,
        "helpers_rate": 33.33,
    }


@pytest.mark.django_db
def test_snapshots_are_idempotent_by_region_and_date(city):
    county = RegionFactory(parent=city, name="商城县")
    PairingFactory(partner=PartnerBranchFactory(county=county), helper=BranchFactory(county=county))
    first = snapshots_refresh(city=city, as_of=AS_OF)
    second = snapshots_refresh(city=city, as_of=AS_OF)
    assert [s.pk for s in first] == [s.pk for s in second]
    assert Snapshot.objects.count() == 2  # the city and its one county
    assert Snapshot.objects.get(region=county).figures["coverage"]["rate"] == 100.0


@pytest.mark.django_db
def test_build_reports_json_prints_the_headline_figures(city):
    county = RegionFactory(parent=city, name="商城县")
    campaign = OptimisationCampaignFactory(city=city)
    branch = BranchFactory(county=county)
    _optimise([branch], campaign)
    PairingFactory(partner=PartnerBranchFactory(county=county), helper=branch)
    out = io.StringIO()
    call_command("build_reports", "--as-of", "2022-04-20", "--json", stdout=out)
    payload = json.loads(out.getvalue())
    assert payload["as_of"] == "2022-04-20"
    assert payload["optimisation"]["县区"] == {"optimised": 1, "total": 2, "rate": 50.0}
    assert payload["optimisation"]["by_county"]["商城县"]["rate"] == 50.0
    assert payload["coverage"]["city"]["paired"] == 1 and payload["coverage"]["city"]["rate"] == 100.0
    assert payload["coverage"]["by_county"]["商城县"]["total"] == 1
    assert payload == headline_json(city=city, as_of=AS_OF)


@pytest.mark.django_db
def test_build_reports_rejects_a_bad_date(city):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("build_reports", "--as-of", "2022-13-40")


@pytest.mark.django_db
def test_refresh_runs_as_many_queries_for_many_counties_as_for_one(city):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from activities.models import KeyTaskList

    county = RegionFactory(parent=city, name="商城县")
    PairingFactory(partner=PartnerBranchFactory(county=county), helper=BranchFactory(county=county))
    KeyTaskList.objects.create(region=city, year=2022, half=1)
    with CaptureQueriesContext(connection) as one:
        snapshots_refresh(city=city, as_of=AS_OF)
    for n in range(6):
        other = RegionFactory(parent=city, name=f"县{n}")
        KeyTaskList.objects.create(region=other, year=2022, half=1)
        for _ in range(3):
            PairingFactory(partner=PartnerBranchFactory(county=other), helper=BranchFactory(county=other))
    with CaptureQueriesContext(connection) as many:
        snapshots_refresh(city=city, as_of=AS_OF)
    assert Snapshot.objects.filter(as_of=AS_OF).count() == 8
    assert len(many.captured_queries) == len(one.captured_queries) <= 30
