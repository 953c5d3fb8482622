"""The N list: publishing, progress per item and per pairing, carrying unfinished items over."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from activities import selectors, services
from activities.models import KeyTaskList
from tests.factories import BranchFactory, PairingFactory, PartnerBranchFactory

pytestmark = pytest.mark.django_db

H1 = [
    {"title": "疫情防控", "description": "", "due_on": datetime.date(2022, 6, 30)},
    {"title": "防汛救灾", "description": "", "due_on": datetime.date(2022, 6, 30)},
    {"title": "农村“饺子宴”整治", "description": "", "due_on": datetime.date(2022, 5, 31)},
]


@pytest.fixture
def task_list(county_pairings):
    return services.key_task_list_publish(
        region=county_pairings.county, year=2022, half=1, tasks=H1, acting_user=county_pairings.staff
    )


def test_list_label_and_items(task_list):
    assert task_list.period_label == "2022上半年"
    assert [t.title for t in task_list.tasks.all()] == ["疫情防控", "防汛救灾", "农村“饺子宴”整治"]
    assert task_list.tasks.first().history.first().history_user is not None


def test_a_list_needs_items_and_sane_due_dates(county_pairings):
    with pytest.raises(ValidationError):
        services.key_task_list_publish(
            region=county_pairings.county, year=2022, half=2, tasks=[], acting_user=county_pairings.staff
        )
    with pytest.raises(ValidationError):
        services.key_task_list_publish(
            region=county_pairings.county,
            year=2022,
            half=2,
            tasks=[{"title": "x", "due_on": datetime.date(2022, 1, 1)}],
            acting_user=county_pairings.staff,
        )
    assert not KeyTaskList.objects.filter(half=2).exists()


def test_pairings_of_the_region_report_and_staff_see_progress(county_pairings, task_list):
    second = PairingFactory(
        partner=PartnerBranchFactory(county=county_pairings.county),
        helper=BranchFactory(county=county_pairings.county),
        campaign=county_pairings.pairing.campaign,
    )
    pairings = selectors.task_list_pairings(task_list=task_list, user=county_pairings.staff)
    assert set(pairings) == {county_pairings.pairing, second}
    first_task = task_list.tasks.first()
    services.key_task_report_save(
        task=first_task, pairing=county_pairings.pairing, acting_user=county_pairings.helper_sec, status="done"
    )
    items = selectors.task_progress_by_item(task_list=task_list, pairings=pairings)
    assert (items[0]["done"], items[0]["in_progress"], items[0]["not_started"], items[0]["percent"]) == (1, 0, 1, 50)
    _tasks, rows = selectors.task_progress_by_pairing(task_list=task_list, pairings=pairings)
    by_pairing = {r["pairing"]: r["reports"] for r in rows}
    assert by_pairing[county_pairings.pairing][0].status == "done" and by_pairing[second][0] is None


def test_report_updates_in_place_with_history(county_pairings, task_list):
    task = task_list.tasks.first()
    services.key_task_report_save(
        task=task, pairing=county_pairings.pairing, acting_user=county_pairings.helper_sec, status="in_progress"
    )
    report = services.key_task_report_save(
        task=task, pairing=county_pairings.pairing, acting_user=county_pairings.partner_sec, status="done", note="完成"
    )
    assert task.reports.count() == 1 and report.history.count() == 2


def test_carry_over_moves_unfinished_items_once(county_pairings, task_list):
    tasks = list(task_list.tasks.all())
    services.key_task_report_save(
        task=tasks[0], pairing=county_pairings.pairing, acting_user=county_pairings.helper_sec, status="done"
    )
    pairings = selectors.task_list_pairings(task_list=task_list, user=county_pairings.staff)
    target, count = services.key_task_list_carry_over(
        task_list=task_list, acting_user=county_pairings.staff, pairings=pairings
    )
    assert (target.year, target.half, count) == (2022, 2, 2)
    assert [t.title for t in target.tasks.all()] == ["防汛救灾", "农村“饺子宴”整治"]
    assert all(t.due_on == datetime.date(2022, 12, 31) for t in target.tasks.all())
    _again, count = services.key_task_list_carry_over(
        task_list=task_list, acting_user=county_pairings.staff, pairings=pairings
    )
    assert count == 0 and target.tasks.count() == 2


def test_secretary_sees_lists_of_their_county_only(county_pairings, task_list):
    assert list(selectors.task_list_list(user=county_pairings.partner_sec)) == [task_list]
    assert list(selectors.task_list_list(user=county_pairings.outsider_sec)) == []


def _region_with_edges(county_pairings):
    """The county's pairings plus the edge cases: a 市直 helper of a county village, a county helper
    of another county's village, a dissolved pairing, and reports on every item from some of them."""
    campaign = county_pairings.pairing.campaign
    made = [
        PairingFactory(
            helper=BranchFactory(county=None, city=county_pairings.city),
            partner=PartnerBranchFactory(county=county_pairings.county),
            campaign=campaign,
        ),
        PairingFactory(
            helper=BranchFactory(county=county_pairings.county),
            partner=PartnerBranchFactory(county=county_pairings.other.partner.county),
            campaign=campaign,
        ),
    ]
    PairingFactory(
        helper=BranchFactory(county=county_pairings.county),
        partner=PartnerBranchFactory(county=county_pairings.county),
        campaign=campaign,
        status="dissolved",
        dissolved_on=datetime.date(2022, 3, 1),
    )
    return [county_pairings.pairing, *made]


def test_totals_read_the_region_once_and_agree_with_the_scoped_pairings(county_pairings, task_list):
    reporting = _region_with_edges(county_pairings)
    tasks = list(task_list.tasks.all())
    for i, pairing in enumerate(reporting):
        for j, task in enumerate(tasks):
            if (i + j) % 3:
                task.reports.create(pairing=pairing, status="done" if (i + j) % 3 == 1 else "in_progress")
    for user in (county_pairings.staff, county_pairings.leader):
        scoped = selectors.task_list_pairings(task_list=task_list, user=user)
        ids = selectors.task_list_pairing_ids(task_list=task_list, user=user)
        assert sorted(p.pk for p in scoped) == sorted(p.pk for p in reporting)
        assert sorted(ids.values_list("pk", flat=True)) == sorted(p.pk for p in reporting)
        assert selectors.task_progress_by_item(task_list=task_list, pairings=ids) == selectors.task_progress_by_item(
            task_list=task_list, pairings=scoped
        )
    # A secretary sees only their own pairing: the totals stay within the scope.
    items = selectors.task_progress_by_item(
        task_list=task_list,
        pairings=selectors.task_list_pairing_ids(task_list=task_list, user=county_pairings.partner_sec),
    )
    assert {i["total"] for i in items} == {1}


def test_list_page_pages_the_region_from_its_side(client, county_pairings, task_list, monkeypatch):
    from activities import views

    reporting = _region_with_edges(county_pairings)
    monkeypatch.setattr(views, "GRID_PAGE_SIZE", 2)
    client.force_login(county_pairings.leader)
    url = f"/activities/tasks/{task_list.pk}/"
    seen, params = [], {}
    while True:
        response = client.get(url, params)
        seen += [row["pairing"].pk for row in response.context["rows"]]
        if not response.context["page"].has_next:
            break
        params = {"after": response.context["page"].next_cursor}
    assert sorted(seen) == sorted(p.pk for p in reporting) and len(seen) == len(set(seen))


def test_the_index_pages_through_every_list_newest_half_year_first(client, county_pairings, monkeypatch):
    from django.urls import reverse

    from activities import views

    for year in (2020, 2021, 2022, 2023):
        for half in (1, 2):
            tasks = [{"title": "任务", "description": "", "due_on": datetime.date(year, 6 * half, 28)}]
            services.key_task_list_publish(
                region=county_pairings.county, year=year, half=half, tasks=tasks, acting_user=county_pairings.staff
            )
    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    client.force_login(county_pairings.staff)
    url, params, shown = reverse("activities:task_list_index"), {}, []
    while True:
        response = client.get(url, params)
        page = response.context["page"]
        shown += [(t.year, t.half) for t in page]
        if not page.has_next:
            break
        assert f"after={page.next_cursor}" in response.content.decode()
        params = {"after": page.next_cursor}
    assert shown == [(y, h) for y in (2023, 2022, 2021, 2020) for h in (2, 1)]
