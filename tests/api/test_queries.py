"""List endpoints run a fixed number of queries, whatever the number of rows (10 vs 50)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activities.models import KeyTask, KeyTaskList, KeyTaskReport, ThemeDay
from pairing.models import Pairing
from reports.models import Snapshot
from tests.factories import BranchFactory, GradeFactory, PartnerBranchFactory, UserFactory
from volunteers.models import Claim, HourEntry, Project, Registration, Wish

from .conftest import client_for

BASE = datetime.date(2024, 1, 1)


def _project(side, i: int) -> Project:
    return Project.objects.create(
        community=side.community,
        title=f"项目{i}",
        category="health",
        place="社区",
        starts_on=BASE,
        ends_on=BASE,
        places=5,
    )


def more_branches(side, start, n):
    BranchFactory.create_batch(n, county=side.county)


def more_grades(side, start, n):
    for _ in range(n):
        GradeFactory(branch=BranchFactory(county=side.county))


def more_pairings(side, start, n):
    for _ in range(n):
        Pairing.objects.create(
            campaign=side.pairing.campaign,
            helper=BranchFactory(county=side.county),
            partner=PartnerBranchFactory(county=side.county),
            method="manual",
            started_on=BASE,
        )


def more_theme_days(side, start, n):
    p = side.pairing
    ThemeDay.objects.bulk_create(
        ThemeDay(pairing=p, recorded_by_branch=p.helper, held_on=BASE, theme=f"主题{start + i}", place="村部")
        for i in range(n)
    )


def more_task_lists(side, start, n):
    for i in range(start, start + n):
        task_list = KeyTaskList.objects.create(region=side.county, year=1900 + i, half=1)
        KeyTask.objects.bulk_create(KeyTask(task_list=task_list, title=f"任务{j}", due_on=BASE) for j in range(3))


def more_reports(side, start, n):
    task_list = side.report.task.task_list
    tasks = KeyTask.objects.bulk_create(
        KeyTask(task_list=task_list, title=f"任务{start + i}", due_on=BASE) for i in range(n)
    )
    KeyTaskReport.objects.bulk_create(KeyTaskReport(task=t, pairing=side.pairing, status="done") for t in tasks)


def more_snapshots(side, start, n):
    Snapshot.objects.bulk_create(
        Snapshot(region=side.county, as_of=BASE + datetime.timedelta(days=start + i)) for i in range(n)
    )


def more_registrations(side, start, n):
    for _ in range(n):
        member = UserFactory.member(branch=side.pairing.helper, phone="13700000000")
        Registration.objects.create(kind="member", community=side.community, member=member, status="accepted")


def more_projects(side, start, n):
    for i in range(n):
        _project(side, start + i)


def more_claims(side, start, n):
    for i in range(n):
        Claim.objects.create(project=_project(side, start + i), registration=side.registration, mode="self")


def more_wishes(side, start, n):
    Wish.objects.bulk_create(
        Wish(community=side.community, title=f"心愿{start + i}", resident_name="李奶奶") for i in range(n)
    )


def more_hours(side, start, n):
    HourEntry.objects.bulk_create(
        HourEntry(
            member=side.member,
            community=side.community,
            project=side.project,
            served_on=BASE + datetime.timedelta(days=start + i),
            starts_at=datetime.time(9),
            ends_at=datetime.time(10),
            minutes=60,
            description="服务",
        )
        for i in range(n)
    )


MAKERS = {
    "branches": more_branches,
    "grades": more_grades,
    "pairings": more_pairings,
    "theme-days": more_theme_days,
    "n-lists": more_task_lists,
    "n-task-reports": more_reports,
    "report-snapshots": more_snapshots,
    "registrations": more_registrations,
    "projects": more_projects,
    "claims": more_claims,
    "wishes": more_wishes,
    "hours": more_hours,
}


@pytest.mark.parametrize("endpoint", MAKERS)
def test_list_query_count_is_fixed(world, endpoint, django_assert_max_num_queries):
    side = world.mine
    client = client_for(side.staff)
    url = f"/api/v1/{endpoint}/"
    MAKERS[endpoint](side, 0, 10)
    with CaptureQueriesContext(connection) as ten:
        first = client.get(url)
    assert first.status_code == 200
    assert len(first.json()["results"]) >= 10
    MAKERS[endpoint](side, 10, 40)
    with django_assert_max_num_queries(len(ten)):
        response = client.get(url)
    assert len(response.json()["results"]) == 50
    assert len(ten) <= 6, [q["sql"] for q in ten.captured_queries]
