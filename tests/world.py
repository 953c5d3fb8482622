"""The one shared test world (the ``world`` fixture of tests/conftest.py).

Two counties of a city, ``mine`` and ``other``, each holding a pairing, a community with a
registered member, a project with a claim, a wish, a 吹哨 call, logged hours, a theme day, an N list with a report and
a report snapshot, and a user of every role: the county's staff and leader, the helper's and the
partner's secretaries, the community secretary and a member. For every role ``world.owner(role)``
is the user whose scope holds ``mine``, ``world.outsider(role)`` the same role in the other county,
and ``world.member(role)`` a second user of the role whose scope also holds ``mine`` (the city's
staff and leader, the partner's secretary). Tests that need other rows add them in a local fixture
named for what it adds.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from activities import services as activity_services
from activities.models import KeyTaskReport, ThemeDay
from pairing.choices import BranchKind, RegionLevel, Role, UnitLevel
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
from volunteers.models import Claim, HourEntry, Project, Registration, Whistle, Wish

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
    leader: object
    registration: Registration
    project: Project
    claim: Claim
    wish: Wish
    whistle: Whistle
    hours: HourEntry
    theme_day: ThemeDay
    report: KeyTaskReport
    snapshot: Snapshot


# The user of each role on a side: whose scope holds that side's rows.
SIDE_USER = {
    Role.STAFF: "staff",
    Role.LEADER: "leader",
    Role.SECRETARY: "helper_sec",
    Role.COMMUNITY_SECRETARY: "community_sec",
    Role.MEMBER: "member",
}


@dataclass
class World:
    city: Region
    leader: object  # the city's leader: sees both counties
    city_staff: object  # the city's staff: manages both counties
    mine: Side
    other: Side

    def owner(self, role: str):
        """The user of ``role`` whose scope holds ``mine``."""
        return getattr(self.mine, SIDE_USER[role])

    def outsider(self, role: str):
        """The user of ``role`` in the other county: ``mine``'s rows are outside their scope."""
        return getattr(self.other, SIDE_USER[role])

    def member(self, role: str):
        """A second user of ``role`` whose scope holds ``mine`` (None for a role with only one)."""
        return {
            Role.STAFF: self.city_staff,
            Role.LEADER: self.leader,
            Role.SECRETARY: self.mine.partner_sec,
        }.get(role)


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
    leader = UserFactory.leader(region=county)
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
    whistle = volunteer_services.whistle_create(
        acting_user=community_sec,
        community=community,
        kind="flood",
        title="防汛",
        place="村部",
        happens_on=datetime.date(2024, 5, 1),
        places=3,
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
        leader=leader,
        registration=registration,
        project=project,
        claim=claim,
        wish=wish,
        whistle=whistle,
        hours=hours,
        theme_day=theme_day,
        report=report,
        snapshot=snapshot,
    )


def build_world() -> World:
    city = RegionFactory(city=True, name="信阳市")
    mine = _side(city, "商城县")
    other = _side(city, "息县", campaign=mine.pairing.campaign)
    return World(
        city=city,
        leader=UserFactory.leader(region=city),
        city_staff=UserFactory.staff(region=city),
        mine=mine,
        other=other,
    )
