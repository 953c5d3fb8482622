"""Shared builders for the pairing tests (no tests here): a city with two counties, graded branches."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone

from pairing.choices import BranchKind, Grade
from pairing.models import Branch, Region
from tests.factories import BranchFactory, GradeFactory, PartnerBranchFactory, RegionFactory, UserFactory


@dataclass
class World:
    city: Region
    county: Region
    other_county: Region
    helpers: list[Branch] = field(default_factory=list)
    partners: list[Branch] = field(default_factory=list)


def graded(branch: Branch, grade: str) -> Branch:
    GradeFactory(branch=branch, year=timezone.localdate().year, grade=grade)
    return branch


def helper(county: Region, grade: str | None = Grade.GOOD, **kwargs) -> Branch:
    branch = BranchFactory(county=county, **kwargs)
    return graded(branch, grade) if grade else branch


def partner(county: Region, grade: str | None = Grade.WEAK, **kwargs) -> Branch:
    township = RegionFactory(parent=county)
    branch = PartnerBranchFactory(county=county, township=township, region=RegionFactory(parent=township), **kwargs)
    return graded(branch, grade) if grade else branch


def central_community(city: Region, county: Region, grade: str = Grade.WEAK) -> Branch:
    township = RegionFactory(parent=county, is_central_city=True)
    region = RegionFactory(parent=township, is_central_city=True, level="community")
    branch = PartnerBranchFactory(county=county, township=township, region=region, kind=BranchKind.COMMUNITY)
    return graded(branch, grade)


def make_world(helper_grades=(Grade.GOOD, Grade.MEDIUM), partner_grades=(Grade.WEAK, Grade.MEDIUM)) -> World:
    city = RegionFactory(city=True, name="信阳市")
    county = RegionFactory(parent=city, name="商城县")
    other = RegionFactory(parent=city, name="光山县")
    world = World(city=city, county=county, other_county=other)
    world.helpers = [helper(county, g) for g in helper_grades]
    world.partners = [partner(county, g) for g in partner_grades]
    return world


def staff(region: Region):
    return UserFactory.staff(region=region)
