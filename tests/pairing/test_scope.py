"""The one scope rule: who sees which branches, regions and pairings."""

import pytest
from django.urls import reverse

from pairing import scope
from pairing.models import Branch, Pairing, Region
from pairing.selectors.registry import branch_list
from tests.factories import PASSWORD, BranchFactory, PairingFactory, PartnerBranchFactory, RegionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def branches():
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


def test_city_staff_sees_every_branch_of_the_city_and_nothing_beyond(branches):
    staff = UserFactory.staff(region=branches["city"])
    assert visible(staff) == {
        branches[k] for k in ("city_branch", "sc_helper", "sc_partner", "gs_helper", "gs_partner")
    }


def test_county_staff_sees_only_their_county(branches):
    staff = UserFactory.staff(region=branches["shangcheng"])
    assert visible(staff) == {branches["sc_helper"], branches["sc_partner"]}


def test_county_leader_has_the_same_reach_but_cannot_manage(branches):
    leader = UserFactory.leader(region=branches["shangcheng"])
    assert visible(leader) == {branches["sc_helper"], branches["sc_partner"]}
    assert not scope.can_manage(leader)
    assert scope.can_manage(UserFactory.staff(region=branches["shangcheng"]))


def test_secretary_sees_own_branch_and_active_partner_only(branches):
    secretary = UserFactory.secretary(branch=branches["sc_helper"])
    assert visible(secretary) == {branches["sc_helper"]}
    pairing = PairingFactory(helper=branches["sc_helper"], partner=branches["sc_partner"])
    assert visible(secretary) == {branches["sc_helper"], branches["sc_partner"]}
    partner_secretary = UserFactory.secretary(branch=branches["sc_partner"])
    assert visible(partner_secretary) == {branches["sc_helper"], branches["sc_partner"]}
    pairing.status = "dissolved"
    pairing.dissolved_on = pairing.started_on
    pairing.save()
    assert visible(secretary) == {branches["sc_helper"]}


def test_member_sees_own_branch(branches):
    member = UserFactory.member(branch=branches["city_branch"])
    assert visible(member) == {branches["city_branch"]}


def test_user_without_role_or_scope_sees_nothing(branches):
    assert visible(UserFactory()) == set()
    inactive = UserFactory.staff(region=branches["city"], is_active=False)
    assert visible(inactive) == set()


def test_superuser_sees_everything(branches):
    assert visible(UserFactory(is_superuser=True)) == set(Branch.objects.all())


def test_region_scope_is_the_subtree(branches):
    township = RegionFactory(parent=branches["shangcheng"])
    staff = UserFactory.staff(region=branches["shangcheng"])
    regions = set(Region.objects.filter(scope.region_q(staff)))
    assert branches["shangcheng"] in regions and township in regions
    assert branches["gushi"] not in regions and branches["city"] not in regions


def test_pairing_scope_for_staff_and_secretaries(branches):
    inside = PairingFactory(helper=branches["sc_helper"], partner=branches["sc_partner"])
    outside = PairingFactory(helper=branches["gs_helper"], partner=branches["gs_partner"])
    county_staff = UserFactory.staff(region=branches["shangcheng"])
    assert set(Pairing.objects.filter(scope.pairing_q(county_staff))) == {inside}
    assert set(Pairing.objects.filter(scope.pairing_q(UserFactory.secretary(branch=branches["gs_partner"])))) == {
        outside
    }


@pytest.mark.parametrize(
    ("phone", "masked"), [("13812341234", "138****1234"), ("0376-6221234", "037*****1234"), ("12345", "*****")]
)
def test_phone_masking(phone, masked):
    assert scope.mask_phone(phone) == masked


def test_phone_shown_in_full_to_staff_in_scope_only(branches):
    branch = branches["sc_helper"]
    phone = branch.secretary_phone
    assert scope.phone_for(UserFactory.staff(region=branches["shangcheng"]), phone, branch=branch) == phone
    assert scope.phone_for(UserFactory.staff(region=branches["city"]), phone, branch=branch) == phone
    masked = scope.mask_phone(phone)
    assert scope.phone_for(UserFactory.staff(region=branches["gushi"]), phone, branch=branch) == masked
    assert scope.phone_for(UserFactory.leader(region=branches["shangcheng"]), phone, branch=branch) == masked
    assert scope.phone_for(UserFactory.secretary(branch=branch), phone, branch=branch) == masked


@pytest.mark.parametrize(
    ("viewer", "helper_in_full", "partner_in_full"),
    [("city", True, True), ("shangcheng", True, False), ("gushi", False, True)],
)
def test_a_city_level_pairing_shows_each_county_only_its_own_sides_phone(
    client, branches, viewer, helper_in_full, partner_in_full
):
    """A pairing across two counties is visible to both counties' staff; each sees the other side's phone masked."""
    helper, partner = branches["sc_helper"], branches["gs_partner"]
    pairing = PairingFactory(helper=helper, partner=partner)
    staff = UserFactory.staff(region=branches[viewer])
    assert client.login(username=staff.username, password=PASSWORD)

    content = client.get(reverse("pairing:pairing_detail", args=[pairing.pk])).content.decode()

    for branch, in_full in ((helper, helper_in_full), (partner, partner_in_full)):
        assert (branch.secretary_phone in content) is in_full
        assert (scope.mask_phone(branch.secretary_phone) in content) is not in_full


def test_branch_list_annotates_grade_and_optimisation(branches):
    from tests.factories import GradeFactory, OptimisationRecordFactory

    GradeFactory(branch=branches["sc_helper"], grade="good")
    OptimisationRecordFactory(branch=branches["sc_helper"])
    rows = {b.pk: b for b in branch_list(user=UserFactory.staff(region=branches["shangcheng"]))}
    assert rows[branches["sc_helper"].pk].current_grade == "good"
    assert rows[branches["sc_helper"].pk].is_optimised is True
    assert rows[branches["sc_partner"].pk].current_grade is None
    assert rows[branches["sc_partner"].pk].is_optimised is False
