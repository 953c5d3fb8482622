"""Database constraints of the registry."""

import pytest
from django.db import IntegrityError, transaction

from pairing.models import Branch, Region
from tests.factories import BranchFactory, GradeFactory, PairingFactory, RegionFactory

pytestmark = pytest.mark.django_db


def test_branch_code_is_unique():
    branch = BranchFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        BranchFactory(code=branch.code)


def test_one_grade_per_branch_and_year():
    grade = GradeFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        GradeFactory(branch=grade.branch, year=grade.year)


def test_county_level_branch_needs_a_county():
    with pytest.raises(IntegrityError), transaction.atomic():
        Branch.objects.create(code="X1", name="X", kind="organ", level="county", city=RegionFactory(city=True))


def test_region_names_are_unique_under_a_parent_and_paths_nest():
    city = RegionFactory(city=True, name="信阳市")
    county = RegionFactory(parent=city, name="商城县")
    township = RegionFactory(parent=county, name="鄢岗镇")
    assert township.path.startswith(county.path) and county.path.startswith(city.path)
    assert township.depth == 3
    with pytest.raises(IntegrityError), transaction.atomic():
        Region.objects.create(name="商城县", level="county", parent=city)
    with pytest.raises(IntegrityError), transaction.atomic():
        Region.objects.create(name="信阳市", level="city", parent=None)


def test_partner_has_one_active_pairing_per_campaign():
    pairing = PairingFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        PairingFactory(partner=pairing.partner, campaign=pairing.campaign)


def test_helper_second_pairing_only_in_slot_two():
    pairing = PairingFactory()
    from tests.factories import PartnerBranchFactory

    other = PartnerBranchFactory(county=pairing.partner.county)
    with pytest.raises(IntegrityError), transaction.atomic():
        PairingFactory(helper=pairing.helper, partner=other, campaign=pairing.campaign, slot=1)
    PairingFactory(helper=pairing.helper, partner=other, campaign=pairing.campaign, slot=2)
    third = PartnerBranchFactory(county=pairing.partner.county)
    with pytest.raises(IntegrityError), transaction.atomic():
        PairingFactory(helper=pairing.helper, partner=third, campaign=pairing.campaign, slot=3)
