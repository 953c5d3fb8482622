"""Branch registry pages: list, detail, create, edit, bulk grading, optimisation records."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from pairing.models import Branch, BranchGrade, OptimisationRecord
from tests.factories import (
    PASSWORD,
    BranchFactory,
    GradeFactory,
    OptimisationCampaignFactory,
    PartnerBranchFactory,
    RegionFactory,
    UnitFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry():
    city = RegionFactory(city=True, name="信阳市")
    county = RegionFactory(parent=city, name="商城县")
    other = RegionFactory(parent=city, name="固始县")
    return {
        "city": city,
        "county": county,
        "township": RegionFactory(parent=county, name="鄢岗镇"),
        "mine": BranchFactory(county=county, name="商城县委办公室机关第一党支部", secretary_phone="13812341234"),
        "theirs": BranchFactory(county=other, name="固始县教育局机关党支部"),
        "campaign": OptimisationCampaignFactory(city=city),
    }


def client_for(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


# --- list ---------------------------------------------------------------------------------


def test_list_shows_branches_in_scope_only(client, registry):
    client_for(client, UserFactory.staff(region=registry["county"]))
    response = client.get(reverse("pairing:branch_list"))
    assert response.status_code == 200
    content = response.content.decode()
    assert registry["mine"].name in content
    assert registry["theirs"].name not in content


def test_list_requires_login(client, registry):
    response = client.get(reverse("pairing:branch_list"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_list_filters_by_kind_grade_and_search(client, registry):
    partner = PartnerBranchFactory(county=registry["county"], name="鄢岗镇张湾村党支部")
    GradeFactory(branch=partner, grade="weak")
    client_for(client, UserFactory.staff(region=registry["city"]))
    url = reverse("pairing:branch_list")
    assert partner.name in client.get(url, {"kind": "village"}).content.decode()
    assert registry["mine"].name not in client.get(url, {"kind": "village"}).content.decode()
    assert partner.name in client.get(url, {"grade": "weak"}).content.decode()
    assert registry["mine"].name not in client.get(url, {"grade": "weak"}).content.decode()
    assert registry["mine"].name in client.get(url, {"grade": "none"}).content.decode()
    found = client.get(url, {"q": "张湾"}).content.decode()
    assert partner.name in found and registry["mine"].name not in found
    assert partner.name in client.get(url, {"q": partner.code}).content.decode()


def test_list_masks_phone_for_leaders_and_shows_it_to_staff(client, registry):
    client_for(client, UserFactory.leader(region=registry["county"]))
    content = client.get(reverse("pairing:branch_list")).content.decode()
    assert "138****1234" in content and "13812341234" not in content
    client.logout()
    client_for(client, UserFactory.staff(region=registry["county"]))
    assert "13812341234" in client.get(reverse("pairing:branch_list")).content.decode()


def test_list_costs_the_same_queries_for_few_and_many_rows(client, registry, django_assert_max_num_queries):
    client_for(client, UserFactory.staff(region=registry["county"]))
    url = reverse("pairing:branch_list")
    client.get(url)  # warm up session/user caching

    with django_assert_max_num_queries(7) as few:
        client.get(url)
    baseline = len(few)  # counted now: the next request resets the connection's query log
    for _ in range(60):
        branch = BranchFactory(county=registry["county"])
        GradeFactory(branch=branch)
    with django_assert_max_num_queries(7) as many:
        response = client.get(url, {"sort": "-name"})
    assert response.status_code == 200
    assert len(many) == baseline


# --- detail -------------------------------------------------------------------------------


def test_detail_shows_history_of_grades_and_optimisation(client, registry):
    GradeFactory(branch=registry["mine"], year=2021, grade="weak")
    GradeFactory(branch=registry["mine"], year=2022, grade="good")
    OptimisationRecord.objects.create(
        branch=registry["mine"],
        campaign=registry["campaign"],
        action="secretary_strengthened",
        done_on=datetime.date(2022, 4, 1),
    )
    client_for(client, UserFactory.staff(region=registry["county"]))
    content = client.get(registry["mine"].get_absolute_url()).content.decode()
    assert "2021" in content and "2022" in content
    assert "选优配强书记" in content
    assert "13812341234" in content


def test_detail_masks_phone_for_own_secretary(client, registry):
    client_for(client, UserFactory.secretary(branch=registry["mine"]))
    content = client.get(registry["mine"].get_absolute_url()).content.decode()
    assert "138****1234" in content and "13812341234" not in content


# --- create and edit ----------------------------------------------------------------------


def branch_post(registry, **overrides):
    data = {
        "code": "41152500001",
        "name": "鄢岗镇新村党支部",
        "kind": "village",
        "level": "county",
        "county": registry["county"].pk,
        "township": registry["township"].pk,
        "unit": "",
        "secretary_name": "王书记",
        "secretary_phone": "13900001111",
        "member_count": "35",
    }
    data.update(overrides)
    return data


def test_staff_registers_a_branch_with_history(client, registry):
    staff = UserFactory.staff(region=registry["county"])
    client_for(client, staff)
    response = client.post(reverse("pairing:branch_create"), branch_post(registry))
    branch = Branch.objects.get(code="41152500001")
    assert response.status_code == 302 and response["Location"] == branch.get_absolute_url()
    assert branch.city == registry["city"]
    assert branch.history.get().history_user == staff


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"secretary_phone": "12345"}, "secretary_phone", "手机号"),
        ({"member_count": "-3"}, "member_count", ""),
        ({"county": ""}, "county", ""),
        ({"name": ""}, "name", ""),
    ],
)
def test_create_rejects_bad_input_next_to_the_field(client, registry, overrides, field, message):
    client_for(client, UserFactory.staff(region=registry["city"]))
    response = client.post(reverse("pairing:branch_create"), branch_post(registry, **overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert message in " ".join(response.context["form"].errors[field])
    assert not Branch.objects.filter(code="41152500001").exists()


def test_create_rejects_township_of_another_county(client, registry):
    other_township = RegionFactory(parent=registry["theirs"].county)
    client_for(client, UserFactory.staff(region=registry["city"]))
    response = client.post(reverse("pairing:branch_create"), branch_post(registry, township=other_township.pk))
    assert "township" in response.context["form"].errors


def test_county_staff_cannot_register_in_another_county(client, registry):
    client_for(client, UserFactory.staff(region=registry["county"]))
    response = client.post(reverse("pairing:branch_create"), branch_post(registry, county=registry["theirs"].county.pk))
    assert response.status_code == 200
    assert "county" in response.context["form"].errors
    assert not Branch.objects.filter(code="41152500001").exists()


def test_duplicate_code_is_rejected(client, registry):
    client_for(client, UserFactory.staff(region=registry["county"]))
    response = client.post(reverse("pairing:branch_create"), branch_post(registry, code=registry["mine"].code))
    assert "code" in response.context["form"].errors


@pytest.mark.parametrize("role", ["leader", "secretary", "member"])
def test_write_views_are_forbidden_to_non_staff(client, registry, role):
    user = {
        "leader": lambda: UserFactory.leader(region=registry["county"]),
        "secretary": lambda: UserFactory.secretary(branch=registry["mine"]),
        "member": lambda: UserFactory.member(branch=registry["mine"]),
    }[role]()
    client_for(client, user)
    assert client.get(reverse("pairing:branch_create")).status_code == 403
    assert client.get(reverse("pairing:branch_update", args=[registry["mine"].pk])).status_code == 403
    assert client.post(reverse("pairing:branch_create"), branch_post(registry)).status_code == 403
    assert not Branch.objects.filter(code="41152500001").exists()


def test_edit_records_before_and_after(client, registry):
    staff = UserFactory.staff(region=registry["county"])
    client_for(client, staff)
    unit = UnitFactory(county=registry["county"])
    data = branch_post(
        registry,
        code=registry["mine"].code,
        name="新名称党支部",
        kind="organ",
        township="",
        unit=unit.pk,
        member_count="21",
    )
    response = client.post(reverse("pairing:branch_update", args=[registry["mine"].pk]), data)
    assert response.status_code == 302
    branch = Branch.objects.get(pk=registry["mine"].pk)
    assert branch.name == "新名称党支部" and branch.unit == unit
    latest = branch.history.order_by("-history_date").first()
    diff = latest.diff_against(latest.prev_record)
    assert {"name", "unit", "member_count", "secretary_phone", "secretary_name"} <= set(diff.changed_fields)
    assert latest.history_user == staff
    detail = client.get(branch.get_absolute_url()).content.decode()
    assert "新名称党支部" in detail and "变更记录" in detail


# --- grading and optimisation -------------------------------------------------------------


def test_bulk_grading_grades_ticked_branches_and_keeps_history(client, registry):
    staff = UserFactory.staff(region=registry["county"])
    other = BranchFactory(county=registry["county"])
    GradeFactory(branch=other, year=2023, grade="weak")
    client_for(client, staff)
    response = client.post(
        reverse("pairing:branch_grade_bulk"),
        {"year": 2023, "grade": "good", "branches": [registry["mine"].pk, other.pk]},
    )
    assert response.status_code == 302
    grades = dict(BranchGrade.objects.filter(year=2023).values_list("branch_id", "grade"))
    assert grades == {registry["mine"].pk: "good", other.pk: "good"}
    assert BranchGrade.history.filter(branch_id=other.pk).count() == 2
    assert BranchGrade.history.filter(history_user=staff).count() == 2


def test_bulk_grading_cannot_reach_out_of_scope_branches(client, registry):
    client_for(client, UserFactory.staff(region=registry["county"]))
    client.post(
        reverse("pairing:branch_grade_bulk"), {"year": 2023, "grade": "good", "branches": [registry["theirs"].pk]}
    )
    assert not BranchGrade.objects.exists()


def test_bulk_grading_redirect_stays_on_site(client, registry):
    client_for(client, UserFactory.staff(region=registry["county"]))
    response = client.post(
        reverse("pairing:branch_grade_bulk"),
        {"year": 2023, "grade": "good", "branches": [registry["mine"].pk], "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("pairing:branch_list")


def test_optimisation_record_added_and_future_date_refused(client, registry):
    client_for(client, UserFactory.staff(region=registry["county"]))
    url = reverse("pairing:branch_optimisation_add", args=[registry["mine"].pk])
    future = timezone.localdate() + datetime.timedelta(days=3)
    client.post(url, {"campaign": registry["campaign"].pk, "action": "reelection", "done_on": future.isoformat()})
    assert not OptimisationRecord.objects.exists()
    client.post(url, {"campaign": registry["campaign"].pk, "action": "reelection", "done_on": "2022-04-20"})
    record = OptimisationRecord.objects.get()
    assert record.branch == registry["mine"] and record.done_on == datetime.date(2022, 4, 20)
    # the same action twice in a campaign is refused, not duplicated
    response = client.post(url, {"campaign": registry["campaign"].pk, "action": "reelection", "done_on": "2022-04-21"})
    assert OptimisationRecord.objects.count() == 1
    assert "已有这项优化记录" in client.get(response["Location"]).content.decode()


def test_optimisation_of_out_of_scope_branch_is_404(client, registry):
    client_for(client, UserFactory.staff(region=registry["county"]))
    url = reverse("pairing:branch_optimisation_add", args=[registry["theirs"].pk])
    assert (
        client.post(
            url, {"campaign": registry["campaign"].pk, "action": "reelection", "done_on": "2022-04-20"}
        ).status_code
        == 404
    )


def test_the_branch_pages_optimisation_form_posts_to_the_add_view(client, registry):
    """The form on the branch page must send its record to branch_optimisation_add (it once posted
    back to the page itself, which only shows the branch, and nothing was saved)."""
    client_for(client, UserFactory.staff(region=registry["county"]))
    html = client.get(registry["mine"].get_absolute_url()).content.decode()
    action = reverse("pairing:branch_optimisation_add", args=[registry["mine"].pk])
    form = re.search(rf'<form method="post" action="{re.escape(action)}">(.*?)</form>', html, flags=re.S)
    assert form and 'name="campaign"' in form.group(1) and 'name="done_on"' in form.group(1)
    assert 'name="csrfmiddlewaretoken"' in form.group(1)
