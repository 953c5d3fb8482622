import pytest

from tests.factories import BranchFactory, PairingFactory, PartnerBranchFactory, RegionFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_factories_build_a_consistent_world():
    city = RegionFactory(city=True)
    county = RegionFactory(parent=city)
    helper = BranchFactory(county=county)
    partner = PartnerBranchFactory(county=county)
    pairing = PairingFactory(helper=helper, partner=partner)
    staff = UserFactory.staff(region=county)
    assert helper.city == city and partner.city == city
    assert partner.township.parent == county and partner.region.parent == partner.township
    assert pairing.campaign.city == city
    assert staff.check_password("Test-passw0rd!")
    assert county.path.startswith(city.path)
