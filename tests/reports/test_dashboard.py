"""The leaders' dashboard: scope, snapshots only, fixed queries, thresholds, refresh."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports.models import ReportRun, Threshold
from reports.services.snapshots import snapshots_refresh
from tests.factories import PASSWORD, BranchFactory, PairingFactory, PartnerBranchFactory, RegionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def snapshots():
    city = RegionFactory(city=True, name="信阳市")
    shangcheng = RegionFactory(parent=city, name="商城县")
    gushi = RegionFactory(parent=city, name="固始县")
    for county in (shangcheng, gushi):
        PairingFactory(partner=PartnerBranchFactory(county=county), helper=BranchFactory(county=county))
        PartnerBranchFactory(county=county)
    snapshots_refresh(city=city, as_of=datetime.date(2022, 6, 30))
    return {"city": city, "shangcheng": shangcheng, "gushi": gushi}


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def test_city_leader_sees_every_county_with_as_of(client, snapshots):
    login(client, UserFactory.leader(region=snapshots["city"]))
    response = client.get(reverse("reports:dashboard"))
    content = response.content.decode()
    assert response.status_code == 200
    assert "数据截至 2022-06-30" in content
    assert "商城县" in content and "固始县" in content
    assert "50.00%" in content  # one of two partners paired


def test_county_leader_sees_only_their_county_and_cannot_drill_out(client, snapshots):
    login(client, UserFactory.leader(region=snapshots["shangcheng"]))
    response = client.get(reverse("reports:dashboard"))
    assert response.context["region"] == snapshots["shangcheng"]
    assert "固始县" not in response.content.decode()
    assert client.get(reverse("reports:dashboard"), {"region": snapshots["gushi"].pk}).status_code == 404
    assert client.get(reverse("reports:dashboard"), {"region": snapshots["city"].pk}).status_code == 404


def test_city_leader_drills_into_a_county(client, snapshots):
    login(client, UserFactory.leader(region=snapshots["city"]))
    response = client.get(reverse("reports:dashboard"), {"region": snapshots["shangcheng"].pk})
    assert response.context["region"] == snapshots["shangcheng"]
    assert response.context["parent"] == snapshots["city"]


@pytest.mark.parametrize("maker", ["secretary", "member"])
def test_branch_roles_cannot_open_the_dashboard(client, snapshots, maker):
    branch = BranchFactory(county=snapshots["shangcheng"])
    login(client, getattr(UserFactory, maker)(branch=branch))
    assert client.get(reverse("reports:dashboard")).status_code == 403


def test_dashboard_reads_snapshots_with_a_fixed_number_of_queries(client, snapshots, django_assert_max_num_queries):
    login(client, UserFactory.leader(region=snapshots["city"]))
    with django_assert_max_num_queries(10) as few:
        client.get(reverse("reports:dashboard"))
    for n in range(15):
        RegionFactory(parent=snapshots["city"], name=f"新区{n}")
        PartnerBranchFactory(county=snapshots["shangcheng"])
    snapshots_refresh(city=snapshots["city"], as_of=datetime.date(2022, 6, 30))
    with django_assert_max_num_queries(10) as many:
        client.get(reverse("reports:dashboard"))
    assert len(many.captured_queries) == len(few.captured_queries)


def test_thresholds_colour_the_cards(client, snapshots):
    Threshold.objects.create(city=snapshots["city"], metric="coverage", green_from=40, amber_from=20)
    login(client, UserFactory.leader(region=snapshots["city"]))
    cards = {c["metric"]: c for c in client.get(reverse("reports:dashboard")).context["cards"]}
    assert cards["coverage"]["colour"] == "success"


def test_city_staff_set_thresholds_and_bad_bands_are_refused(client, snapshots):
    staff = UserFactory.staff(region=snapshots["city"])
    login(client, staff)
    url = reverse("reports:thresholds")
    page = client.get(url)
    assert page.status_code == 200
    data = {"form-TOTAL_FORMS": 5, "form-INITIAL_FORMS": 5}
    for i, metric in enumerate(["coverage", "optimisation", "theme_days", "n_tasks", "volunteers"]):
        data.update({f"form-{i}-metric": metric, f"form-{i}-green_from": 90, f"form-{i}-amber_from": 70})
    data["form-0-amber_from"] = 95
    response = client.post(url, data)
    assert response.status_code == 200 and "黄色下限不能高于绿色下限" in response.content.decode()
    assert not Threshold.objects.exists()
    data["form-0-amber_from"] = 60
    assert client.post(url, data).status_code == 302
    assert Threshold.objects.get(metric="coverage").amber_from == 60


def test_county_staff_and_leaders_cannot_set_city_thresholds(client, snapshots):
    login(client, UserFactory.staff(region=snapshots["shangcheng"]))
    assert client.get(reverse("reports:thresholds")).status_code == 403
    client.logout()
    login(client, UserFactory.leader(region=snapshots["city"]))
    assert client.get(reverse("reports:thresholds")).status_code == 403


def test_staff_refresh_runs_the_task_and_shows_progress(client, snapshots, django_capture_on_commit_callbacks):
    login(client, UserFactory.staff(region=snapshots["city"]))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:refresh"))
    run = ReportRun.objects.get()
    assert response["Location"] == reverse("reports:run_detail", args=[run.pk])
    assert run.status == "done" and run.percent == 100
    status = client.get(response["Location"], HTTP_ACCEPT="application/json").json()
    assert status == {"status": "done", "percent": 100, "error": ""}


def _refreshed_today() -> set[str]:
    from django.utils import timezone

    from reports.models import Snapshot

    return set(Snapshot.objects.filter(as_of=timezone.localdate()).values_list("region__name", flat=True))


def test_county_staff_refresh_their_county_and_watch_their_own_run(
    client, snapshots, django_capture_on_commit_callbacks
):
    login(client, UserFactory.staff(region=snapshots["shangcheng"]))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:refresh"))
    run = ReportRun.objects.get()
    assert response["Location"] == reverse("reports:run_detail", args=[run.pk])
    assert _refreshed_today() == {"商城县"}
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "商城县" in page.content.decode() and "100%" in page.content.decode()
    assert client.get(response["Location"], HTTP_ACCEPT="application/json").json()["status"] == "done"
    client.logout()
    login(client, UserFactory.staff(region=snapshots["gushi"]))
    assert client.get(response["Location"]).status_code == 404


def test_city_staff_refresh_the_whole_city(client, snapshots, django_capture_on_commit_callbacks):
    login(client, UserFactory.staff(region=snapshots["city"]))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:refresh"))
    assert _refreshed_today() == {"信阳市", "商城县", "固始县"}
    assert "信阳市" in client.get(response["Location"]).content.decode()


def test_leaders_cannot_refresh_and_runs_are_scoped(client, snapshots):
    login(client, UserFactory.leader(region=snapshots["city"]))
    assert client.post(reverse("reports:refresh")).status_code == 403
    assert not ReportRun.objects.exists()
    run = ReportRun.objects.create(city=RegionFactory(city=True, name="南阳市"), as_of=datetime.date(2022, 6, 30))
    assert client.get(reverse("reports:run_detail", args=[run.pk])).status_code == 404


def _figures_read(client, url, **extra) -> tuple:
    """A dashboard response, and whether it read the snapshot's figures (the memo's computation)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **extra)
    return response, any('"reports_snapshot"."figures"' in q["sql"] for q in queries.captured_queries)


def test_figures_are_read_once_per_snapshot_and_again_when_anything_shown_changes(client, snapshots):
    from reports.selectors.dashboard import dashboard_figures

    dashboard_figures.memo.clear()
    login(client, UserFactory.leader(region=snapshots["city"]))
    url = reverse("reports:dashboard")
    first, read = _figures_read(client, url)
    assert read
    again, read = _figures_read(client, url)
    assert not read  # the memo's rows, drawn again: the same table
    table = first.content.decode().split('id="children-table"')[1].split("</table>")[0]
    assert table in again.content.decode() and "50.00%" in table

    Threshold.objects.create(city=snapshots["city"], metric="coverage", green_from=40, amber_from=20)
    banded, read = _figures_read(client, url)
    assert read
    assert "badge text-bg-success" in banded.content.decode()

    PairingFactory(
        partner=PartnerBranchFactory(county=snapshots["gushi"]), helper=BranchFactory(county=snapshots["gushi"])
    )
    snapshots_refresh(city=snapshots["city"], as_of=datetime.date(2022, 6, 30))
    assert "66.66%" in client.get(url).content.decode()  # two of three partners paired now
    english, read = _figures_read(client, url, HTTP_ACCEPT_LANGUAGE="en")
    assert read
