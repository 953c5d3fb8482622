"""A branch's rules live once: the page, the API and the roster refuse the same branch with the same message.

The rules: who may register a 市直 branch (city staff only), a county-level branch needs its county, a
township needs a county and must lie in it, and the secretary's phone is a mobile or a landline.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from pairing.choices import RegionLevel
from pairing.models import Branch
from pairing.roster import columns as c
from pairing.services.roster import roster_import
from tests.factories import PASSWORD, BranchFactory

from .roster_support import roster_bytes, roster_regions, row  # noqa: F401

pytestmark = pytest.mark.django_db

CODE = "R0001"
CITY_LEVEL_FOR_COUNTY_STAFF = "县区工作人员只能登记县区层级的支部。"
COUNTY_REQUIRED = "层级为县区的支部必须选择县区。"
TOWNSHIP_WITHOUT_COUNTY = "填写乡镇街道时必须同时填写县区。"
TOWNSHIP_OUTSIDE_COUNTY = "乡镇街道不属于所选县区。"
BAD_PHONE = "请填写11位手机号或带区号的固定电话，例如 13812345678 或 0376-6221234。"


def _fields(level, county, township, phone) -> dict:
    return {
        "code": CODE,
        "name": "规则测试党支部",
        "kind": "organ",
        "level": level,
        "county": county.pk if county else "",
        "township": township.pk if township else "",
        "unit": "",
        "secretary_name": "王书记",
        "secretary_phone": phone,
        "member_count": 12,
    }


def via_page(client, user, *, level, county, township, phone) -> set[str]:
    assert client.login(username=user.username, password=PASSWORD)
    response = client.post(reverse("pairing:branch_create"), _fields(level, county, township, phone))
    assert response.status_code == 200
    return {message for errors in response.context["form"].errors.values() for message in errors}


def via_api(client, user, *, level, county, township, phone) -> set[str]:
    api = APIClient()
    api.force_authenticate(user)
    data = {k: (v if v != "" else None) for k, v in _fields(level, county, township, phone).items()}
    response = api.post("/api/v1/branches/", data, format="json")
    assert response.status_code == 400, response.content
    return {message for errors in response.json().values() for message in errors}


def via_roster(client, user, *, level, county, township, phone) -> set[str]:
    values = row(
        CODE,
        level=c.LEVEL_LABELS[level],
        county=county.name if county else "",
        township=township.name if township else "",
        phone=phone,
    )
    result = roster_import(fileobj=roster_bytes([values]), acting_user=user, commit=False)
    return {error.message for error in result.errors}


ENTRY_POINTS = [via_page, via_api, via_roster]


@pytest.mark.parametrize("submit", ENTRY_POINTS, ids=["page", "api", "roster"])
@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("county_staff_city_level", CITY_LEVEL_FOR_COUNTY_STAFF),
        ("county_level_without_county", COUNTY_REQUIRED),
        ("township_without_county", TOWNSHIP_WITHOUT_COUNTY),
        ("bad_phone", BAD_PHONE),
    ],
)
def test_page_api_and_roster_refuse_a_branch_with_the_same_message(client, roster_regions, submit, case, message):  # noqa: F811
    guanmiao = roster_regions.shangcheng.children.get(name="观庙镇")
    user, level, county, township, phone = {
        "county_staff_city_level": (
            roster_regions.staff_county,
            "city",
            roster_regions.shangcheng,
            None,
            "13812345678",
        ),
        "county_level_without_county": (roster_regions.staff_city, "county", None, None, "13812345678"),
        "township_without_county": (roster_regions.staff_city, "city", None, guanmiao, "13812345678"),
        "bad_phone": (roster_regions.staff_city, "county", roster_regions.shangcheng, None, "12345"),
    }[case]

    messages = submit(client, user, level=level, county=county, township=township, phone=phone)

    assert message in messages
    assert not Branch.objects.filter(code=CODE).exists()


@pytest.mark.parametrize("submit", [via_page, via_api], ids=["page", "api"])
def test_page_and_api_refuse_a_township_of_another_county_with_the_same_message(client, roster_regions, submit):  # noqa: F811
    guanmiao = roster_regions.shangcheng.children.get(name="观庙镇")

    messages = submit(
        client,
        roster_regions.staff_city,
        level="county",
        county=roster_regions.pingqiao,
        township=guanmiao,
        phone="13812345678",
    )

    assert TOWNSHIP_OUTSIDE_COUNTY in messages
    assert not Branch.objects.filter(code=CODE).exists()


def test_the_roster_places_a_named_township_inside_the_rows_county(roster_regions):  # noqa: F811
    """A roster names a township; it is looked up (or created) under the row's county, so it is never outside it."""
    values = row(CODE, county="平桥区", township="观庙镇")
    result = roster_import(fileobj=roster_bytes([values]), acting_user=roster_regions.staff_city, commit=True)

    assert result.ok
    branch = Branch.objects.get(code=CODE)
    assert branch.township.parent == roster_regions.pingqiao and branch.township.level == RegionLevel.TOWNSHIP


def test_county_staff_cannot_turn_a_county_branch_into_a_city_level_one(client, roster_regions):  # noqa: F811
    branch = BranchFactory(county=roster_regions.shangcheng)
    api = APIClient()
    api.force_authenticate(roster_regions.staff_county)

    response = api.patch(f"/api/v1/branches/{branch.pk}/", {"level": "city"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"level": [CITY_LEVEL_FOR_COUNTY_STAFF]}
    assert client.login(username=roster_regions.staff_county.username, password=PASSWORD)
    data = _fields("city", roster_regions.shangcheng, None, "13812345678") | {"code": branch.code}
    response = client.post(reverse("pairing:branch_update", args=[branch.pk]), data)
    assert response.status_code == 200
    assert response.context["form"].errors == {"level": [CITY_LEVEL_FOR_COUNTY_STAFF]}
    branch.refresh_from_db()
    assert branch.level == "county"


def test_city_staff_may_register_a_city_level_branch_through_the_api(roster_regions):  # noqa: F811
    api = APIClient()
    api.force_authenticate(roster_regions.staff_city)
    data = {k: (v if v != "" else None) for k, v in _fields("city", None, None, "0376-6221234").items()}

    response = api.post("/api/v1/branches/", data, format="json")

    assert response.status_code == 201, response.content
    assert Branch.objects.get(code=CODE).city == roster_regions.city
