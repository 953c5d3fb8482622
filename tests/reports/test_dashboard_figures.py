"""The dashboard shows compliance, N progress and volunteer hours from the snapshot, with drill-down links."""

import pytest
from django.urls import reverse

from reports.services.snapshots import snapshots_refresh
from tests.factories import PASSWORD, PairingFactory, PartnerBranchFactory, RegionFactory, UserFactory

from .conftest import AS_OF

pytestmark = pytest.mark.django_db


def _get(client, user, **params):
    assert client.login(username=user.username, password=PASSWORD)
    return client.get(reverse("reports:dashboard"), params)


def test_cards_charts_and_columns_come_from_the_snapshot(client, small_world):
    snapshots_refresh(city=small_world.city, as_of=AS_OF)
    response = _get(client, UserFactory.leader(region=small_world.city))
    cards = {c["metric"]: c for c in response.context["cards"]}
    assert (cards["theme_days"]["rate"], cards["theme_days"]["num"], cards["theme_days"]["den"]) == (33.33, 1, 3)
    assert (cards["n_tasks"]["rate"], cards["n_tasks"]["num"], cards["n_tasks"]["den"]) == (50.0, 4, 8)
    assert cards["volunteers"]["hours"] == 15.0
    chart = response.context["chart"]
    assert chart["theme_days"] == {"labels": ["2022-01", "2022-02", "2022-03"], "rates": [66.66, 25.0, 33.33]}
    assert chart["hours"] == {"labels": ["2022Q1"], "values": [15.0]}
    content = response.content.decode()
    assert 'id="chart-theme-days"' in content and 'id="chart-hours"' in content
    rows = {r["name"]: r for r in response.context["rows"]}
    assert rows["平桥区"]["theme_days"]["rate"] == 50.0 and rows["平桥区"]["n_tasks"]["rate"] == 66.66
    # drill-down: the compliance grid of the county, the coverage page
    assert f"{reverse('activities:compliance')}?county={small_world.a.pk}&amp;year=2022" in content
    assert reverse("pairing:coverage") in content
    assert "15.0 小时" in content


def test_county_leader_sees_township_rows_only(client, small_world):
    snapshots_refresh(city=small_world.city, as_of=AS_OF)
    response = _get(client, UserFactory.leader(region=small_world.a))
    cards = {c["metric"]: c for c in response.context["cards"]}
    assert cards["theme_days"]["rate"] == 50.0
    assert "商城县" not in response.content.decode()


def test_query_count_is_fixed_with_every_figure(client, small_world, django_assert_max_num_queries):
    """Drawing a snapshot's figures and showing them again each cost a fixed number of queries; shown
    again, the page reads neither the snapshot nor the bands nor the child regions."""
    snapshots_refresh(city=small_world.city, as_of=AS_OF)
    assert client.login(username=UserFactory.leader(region=small_world.city).username, password=PASSWORD)
    url = reverse("reports:dashboard")
    with django_assert_max_num_queries(10) as drawn_few:
        client.get(url)
    with django_assert_max_num_queries(10) as kept_few:
        client.get(url)
    for n in range(12):
        county = RegionFactory(parent=small_world.city, name=f"新县{n}")
        PairingFactory(partner=PartnerBranchFactory(county=county), started_on=AS_OF)
    snapshots_refresh(city=small_world.city, as_of=AS_OF)
    with django_assert_max_num_queries(10) as drawn_many:
        assert "新县11" in client.get(url).content.decode()
    with django_assert_max_num_queries(10) as kept_many:
        assert "新县11" in client.get(url).content.decode()
    assert len(drawn_many.captured_queries) == len(drawn_few.captured_queries)
    assert len(kept_many.captured_queries) == len(kept_few.captured_queries) == len(drawn_few.captured_queries) - 3
