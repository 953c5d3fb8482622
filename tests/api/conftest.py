"""One small world for the JSON API tests: two counties of a city, in each a pairing, a community
with a registered member, a project with a claim, logged hours, a theme day, an N list with a
report and a report snapshot; users of every role in the first county, and outsiders."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from activities import services as activity_services
from activities.models import KeyTaskReport, ThemeDay
from pairing.choices import BranchKind, RegionLevel, UnitLevel
from pairing.models import Branch, Pairing, Region
from reports.models import Snapshot
from tests.factories import (
    BranchFactory,
    GradeFactory,
    PairingFactory,
    PartnerBranchFactory,
    RegionFactory,
    UserFactory,
)
from volunteers import services as volunteer_services
from volunteers.models import Claim, HourEntry, Project, Registration, Wish

STARTED = datetime.date(2022, 1, 1)


def community_branch(county: Region, name: str) -> Branch:
    township = RegionFactory(parent=county, name=f"{name}街道")
    region = RegionFactory(parent=township, level=RegionLevel.COMMUNITY, name=f"{name}社区")
    return BranchFactory(
        kind=BranchKind.COMMUNITY,
        name=f"{name}社区党支部",
        county=county,
        level=UnitLevel.COUNTY,
        township=township,
        region=region,
    )


@dataclass
class Side:
    """What one county holds."""

    county: Region
    pairing: Pairing
    helper_sec: object
    partner_sec: object
    community: Branch
    community_sec: object
    member: object
    staff: object
    registration: Registration
    project: Project
    claim: Claim
    wish: Wish
    hours: HourEntry
    theme_day: ThemeDay
    report: KeyTaskReport
    snapshot: Snapshot


@dataclass
class World:
    city: Region
    leader: object
    mine: Side
    other: Side


def _side(city: Region, name: str, campaign=None) -> Side:
    county = RegionFactory(parent=city, name=name)
    helper = BranchFactory(county=county, secretary_phone="13912345678")
    partner = PartnerBranchFactory(county=county)
    kwargs = {"campaign": campaign} if campaign else {}
    pairing = PairingFactory(helper=helper, partner=partner, started_on=STARTED, **kwargs)
    GradeFactory(branch=helper)
    helper_sec = UserFactory.secretary(branch=helper)
    partner_sec = UserFactory.secretary(branch=partner)
    staff = UserFactory.staff(region=county)
    community = community_branch(county, name)
    community_sec = UserFactory.community_secretary(branch=community)
    member = UserFactory.member(branch=helper, display_name=f"{name}党员", phone="13787654321")

    registration = volunteer_services.registration_member_create(member=member, community=community, skills="法律")
    registration = volunteer_services.registration_decide(
        registration=registration, acting_user=community_sec, accept=True
    )
    project = volunteer_services.project_create(
        acting_user=community_sec,
        community=community,
        title="健康义诊进楼栋",
        category="health",
        place="社区卫生服务站",
        starts_on=datetime.date(2024, 5, 1),
        ends_on=datetime.date(2024, 5, 1),
        places=50,
        claimants="both",
    )
    claim = volunteer_services.claim_create(project=project, acting_user=member)
    wish = volunteer_services.wish_create(
        acting_user=community_sec, community=community, title="轮椅一台", resident_name="王大妈"
    )
    hours = volunteer_services.hours_record(
        member=member,
        served_on=datetime.date(2024, 5, 1),
        starts_at=datetime.time(9, 0),
        ends_at=datetime.time(11, 0),
        description="义诊",
        project=project,
    )

    theme_day = activity_services.theme_day_record(
        pairing=pairing,
        acting_user=helper_sec,
        held_on=datetime.date(2024, 3, 5),
        theme="学雷锋",
        place="村部",
        helper_attendance=5,
        partner_attendance=6,
    )
    task_list = activity_services.key_task_list_publish(
        region=county,
        year=2024,
        half=1,
        tasks=[{"title": "修路", "due_on": datetime.date(2024, 6, 30)}],
        acting_user=staff,
    )
    report = activity_services.key_task_report_save(
        task=task_list.tasks.get(), pairing=pairing, acting_user=helper_sec, status="in_progress", note="开工"
    )
    snapshot = Snapshot.objects.create(region=county, as_of=datetime.date(2024, 6, 30), figures={"coverage": 1})
    return Side(
        county=county,
        pairing=pairing,
        helper_sec=helper_sec,
        partner_sec=partner_sec,
        community=community,
        community_sec=community_sec,
        member=member,
        staff=staff,
        registration=registration,
        project=project,
        claim=claim,
        wish=wish,
        hours=hours,
        theme_day=theme_day,
        report=report,
        snapshot=snapshot,
    )


@pytest.fixture
def world(db) -> World:
    city = RegionFactory(city=True, name="信阳市")
    mine = _side(city, "商城县")
    other = _side(city, "息县", campaign=mine.pairing.campaign)
    return World(city=city, leader=UserFactory.leader(region=city), mine=mine, other=other)


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}
