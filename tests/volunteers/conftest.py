"""The volunteers tests' own rows, fixture ``communities`` (their counts need communities without the
shared world's registrations and projects): for 双报到、双服务, two counties, a community in each, a
unit, users of every role."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest

from pairing.models import Branch
from tests.factories import BranchFactory, RegionFactory, UnitFactory, UserFactory
from tests.world import community_branch
from volunteers import services
from volunteers.choices import RegistrationStatus
from volunteers.models import Project, Registration


@dataclass
class World:
    city: object
    county: object
    other_county: object
    community: Branch
    other_community: Branch
    unit_branch: Branch
    community_secretary: object
    other_community_secretary: object
    unit_secretary: object
    member: object
    other_member: object
    staff: object
    other_staff: object
    leader: object


@pytest.fixture
def communities(db) -> World:
    city = RegionFactory(city=True, name="信阳市")
    county = RegionFactory(parent=city, name="平桥区")
    other_county = RegionFactory(parent=city, name="商城县")
    community = community_branch(county, "东平湖")
    other_community = community_branch(other_county, "城关")
    unit = UnitFactory(county=county, name="平桥区委组织部")
    unit_branch = BranchFactory(county=county, unit=unit, name="平桥区委组织部机关党支部")
    other_unit_branch = BranchFactory(county=other_county)
    return World(
        city=city,
        county=county,
        other_county=other_county,
        community=community,
        other_community=other_community,
        unit_branch=unit_branch,
        community_secretary=UserFactory.community_secretary(branch=community),
        other_community_secretary=UserFactory.community_secretary(branch=other_community),
        unit_secretary=UserFactory.secretary(branch=unit_branch),
        member=UserFactory.member(branch=unit_branch, unit=unit, display_name="周党员"),
        other_member=UserFactory.member(branch=other_unit_branch),
        staff=UserFactory.staff(region=county),
        other_staff=UserFactory.staff(region=other_county),
        leader=UserFactory.leader(region=city),
    )


def register_member(communities: World, member=None, community=None) -> Registration:
    """An accepted member registration (through the services)."""
    member = member or communities.member
    community = community or communities.community
    registration = services.registration_member_create(member=member, community=community, skills="法律")
    secretary = (
        communities.community_secretary if community == communities.community else communities.other_community_secretary
    )
    return services.registration_decide(registration=registration, acting_user=secretary, accept=True)


def register_unit(communities: World) -> Registration:
    registration = services.registration_unit_create(
        acting_user=communities.unit_secretary, community=communities.community
    )
    return services.registration_decide(
        registration=registration, acting_user=communities.community_secretary, accept=True
    )


def make_project(communities: World, community=None, **fields) -> Project:
    community = community or communities.community
    secretary = (
        communities.community_secretary if community == communities.community else communities.other_community_secretary
    )
    data = {
        "title": "健康义诊进楼栋",
        "category": "health",
        "place": "社区卫生服务站",
        "starts_on": datetime.date(2024, 5, 1),
        "ends_on": datetime.date(2024, 5, 1),
        "places": 2,
        "claimants": "both",
    }
    data.update(fields)
    return services.project_create(acting_user=secretary, community=community, **data)


__all__ = ["World", "register_member", "register_unit", "make_project", "RegistrationStatus"]
