"""The one scope rule: who sees which branches, regions and pairings."""

import pytest
from django.urls import reverse

from pairing import scope
from pairing.models import Branch, Pairing, Region
from pairing.selectors.registry import branch_list
from tests.factories import PASSWORD, BranchFactory, PairingFactory, PartnerBranchFactory, RegionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    city = RegionFactory(city=True, name="信阳市")
    shangcheng = RegionFactory(parent=city, name="商城县")
    gushi = RegionFactory(parent=city, name="固始县")
    other_city = RegionFactory(city=True, name="南阳市")
    return {
        "city": city,
        "shangcheng": shangcheng,
        "gushi": gushi,
        "city_branch": BranchFactory(city=city),
        "sc_helper": BranchFactory(county=shangcheng),
        "sc_partner": PartnerBranchFactory(county=shangcheng),
        "gs_helper": BranchFactory(county=gushi),
        "gs_partner": PartnerBranchFactory(county=gushi),
        "elsewhere": BranchFactory(county=RegionFactory(parent=other_city)),
    }


def visible(user) -> set[Branch]:
    return set(Branch.objects.filter(scope.branch_q(user)))


def test_city_staff_sees_every_branch_of_the_city_and_nothing_beyond(world):
    staff = UserFactory.staff(region=world["city"])
    assert visible(staff) == {world[k] for k in ("city_branch", "sc_helper", "sc_partner", "gs_helper", "gs_partner")}


def test_county_staff_sees_only_their_county(world):
    staff = UserFactory.staff(region=world["shangcheng"])
    assert visible(staff) == {world["sc_helper"], world["sc_partner"]}


def test_county_leader_has_the_same_reach_but_cannot_manage(world):
    leader = UserFactory.leader(region=world["shangcheng"])
    assert visible(leader) == {world["sc_helper"], world["sc_partner"]}
    assert not scope.can_manage(leader)
    assert scope.can_manage(UserFactory.staff(region=world["shangcheng"]))


def test_secretary_sees_own_branch_and_active_partner_only(world):
    secretary = UserFactory.secretary(branch=world["sc_helper"])
    assert visible(secretary) == {world["sc_helper"]}
    pairing = PairingFactory(helper=world["sc_helper"], partner=world["sc_partner"])
    assert visible(secretary) == {world["sc_helper"], world["sc_partner"]}
    partner_secretary = UserFactory.secretary(branch=world["sc_partner"])
    assert visible(partner_secretary) == {world["sc_helper"], world["sc_partner"]}
    pairing.status = "dissolved"
    pairing.dissolved_on = pairing.started_on
    pairing.save()
    assert visible(secretary) == {world["sc_helper"]}


def test_member_sees_own_branch(world):
    member = UserFactory.member(branch=world["city_branch"])
    assert visible(member) == {world["city_branch"]}


def test_user_without_role_or_scope_sees_nothing(world):
    assert visible(UserFactory()) == set()
    inactive = UserFactory.staff(region=world["city"], is_active=False)
    assert visible(inactive) == set()


def test_superuser_sees_everything(world):
    assert visible(UserFactory(is_superuser=True)) == set(Branch.objects.all())


def test_region_scope_is_the_subtree(world):
    township = RegionFactory(parent=world["shangcheng"])
    staff = UserFactory.staff(region=world["shangcheng"])
    regions = set(Region.objects.filter(scope.region_q(staff)))
    assert world["shangcheng"] in regions and township in regions
    assert world["gushi"] not in regions and world["city"] not in regions


def test_pairing_scope_for_staff_and_secretaries(world):
    inside = PairingFactory(helper=world["sc_helper"], partner=world["sc_partner"])
    outside = PairingFactory(helper=world["gs_helper"], partner=world["gs_partner"])
    county_staff = UserFactory.staff(region=world["shangcheng"])
    assert set(Pairing.objects.filter(scope.pairing_q(county_staff))) == {inside}
    assert set(Pairing.objects.filter(scope.pairing_q(UserFactory.secretary(branch=world["gs_partner"])))) == {outside}


@pytest.mark.parametrize(
    ("phone", "masked"), [("13812341234", "138****1234"), ("0376-6221234", "037*****1234"), ("12345", "*****")]
)
def test_phone_masking(phone, masked):
    assert scope.mask_phone(phone) == masked


def test_phone_shown_in_full_to_staff_in_scope_only(world):
    branch = world["sc_helper"]
    phone = branch.secretary_phone
    assert scope.phone_for(UserFactory.staff(region=world["shangcheng"]), phone, branch=branch) == phone
    assert scope.phone_for(UserFactory.staff(region=world["city"]), phone, branch=branch) == phone
    masked = scope.mask_phone(phone)
    assert scope.phone_for(UserFactory.staff(region=world["gushi"]), phone, branch=branch) == masked
    assert scope.phone_for(UserFactory.leader(region=world["shangcheng"]), phone, branch=branch) == masked
    assert scope.phone_for(UserFactory.secretary(branch=branch), phone, branch=branch) == masked


@pytest.mark.parametrize(
    ("viewer", "helper_in_full", "partner_in_full"),
    [("city", True, True), ("shangcheng", True, False), ("gushi", False, True)],
)
def test_a_city_level_pairing_shows_each_county_only_its_own_sides_phone(
    client, world, viewer, helper_in_full, partner_in_full
):
    """A pairing across two counties is visible to both counties' staff; each sees the other side's phone masked."""
    helper, partner = world["sc_helper"], world["gs_partner"]
    pairing = PairingFactory(helper=helper, partner=partner)
    staff = UserFactory.staff(region=world[viewer])
    assert client.login(username=staff.username, password=PASSWORD)

    content = client.get(reverse("pairing:pairing_detail", args=[pairing.pk])).content.decode()

    for branch, in_full in ((helper, helper_in_full), (partner, partner_in_full)):
        assert (branch.secretary_phone in content) is in_full
        assert (scope.mask_phone(branch.secretary_phone) in content) is not in_full


def test_branch_list_annotates_grade_and_optimisation(world):
    from tests.factories import GradeFactory, OptimisationRecordFactory

    GradeFactory(branch=world["sc_helper"], grade="good")
    OptimisationRecordFactory(branch=world["sc_helper"])
    rows = {b.pk: b for b in branch_list(user=UserFactory.staff(region=world["shangcheng"]))}
    assert rows[world["sc_helper"].pk].current_grade == "good"
    assert rows[world["sc_helper"].pk].is_optimised is True
    assert rows[world["sc_partner"].pk].current_grade is None
    assert rows[world["sc_partner"].pk].is_optimised is False
