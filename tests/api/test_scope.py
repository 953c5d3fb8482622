"""The API's scope rule is the pages' one: every endpoint × role — in scope the object is listed and
can be fetched; outside it is absent from the list and 404, never 403, never data."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory

from .conftest import client_for, ids

# endpoint → (how to find the object in a county's Side, roles that see it, roles that must not).
# Roles are attributes of a Side ("mine" or "other") or "leader" (the city's leader).
ENDPOINTS = {
    "branches": (
        lambda s: s.pairing.helper_id,
        ["staff", "leader", "helper_sec", "partner_sec", "member"],
        ["other.staff", "other.helper_sec", "other.member", "community_sec"],
    ),
    "grades": (
        lambda s: s.pairing.helper.grades.get().pk,
        ["staff", "leader", "helper_sec", "partner_sec", "member"],
        ["other.staff", "other.helper_sec", "other.member"],
    ),
    "pairings": (
        lambda s: s.pairing.pk,
        ["staff", "leader", "helper_sec", "partner_sec", "member"],
        ["other.staff", "other.helper_sec", "other.partner_sec", "community_sec"],
    ),
    "theme-days": (
        lambda s: s.theme_day.pk,
        ["staff", "leader", "helper_sec", "partner_sec"],
        ["other.staff", "other.helper_sec", "other.partner_sec", "community_sec"],
    ),
    "n-lists": (
        lambda s: s.report.task.task_list_id,
        ["staff", "leader", "helper_sec", "partner_sec"],
        ["other.staff", "other.helper_sec"],
    ),
    "n-task-reports": (
        lambda s: s.report.pk,
        ["staff", "leader", "helper_sec", "partner_sec"],
        ["other.staff", "other.helper_sec", "other.partner_sec", "community_sec"],
    ),
    "report-snapshots": (
        lambda s: s.snapshot.pk,
        ["staff", "leader"],
        ["other.staff", "helper_sec", "member", "community_sec"],
    ),
    "registrations": (
        lambda s: s.registration.pk,
        ["staff", "leader", "community_sec", "member"],
        ["other.staff", "other.community_sec", "other.member", "partner_sec"],
    ),
    "projects": (
        lambda s: s.project.pk,
        ["staff", "leader", "community_sec", "member"],
        ["other.staff", "other.community_sec", "other.member"],
    ),
    "claims": (
        lambda s: s.claim.pk,
        ["staff", "leader", "community_sec", "member"],
        ["other.staff", "other.community_sec", "other.member"],
    ),
    "wishes": (
        lambda s: s.wish.pk,
        ["staff", "leader", "community_sec", "member"],
        ["other.staff", "other.community_sec", "other.member"],
    ),
    "hours": (
        lambda s: s.hours.pk,
        ["staff", "leader", "community_sec", "member"],
        ["other.staff", "other.community_sec", "other.member", "helper_sec"],
    ),
}


def user_of(world, role: str):
    if role == "leader":
        return world.leader
    side, _, name = role.rpartition(".")
    return getattr(world.other if side == "other" else world.mine, name)


CASES_IN = [(e, r) for e, (_, roles, _) in ENDPOINTS.items() for r in roles]
CASES_OUT = [(e, r) for e, (_, _, roles) in ENDPOINTS.items() for r in roles]


@pytest.mark.parametrize(("endpoint", "role"), CASES_IN)
def test_in_scope_user_lists_and_retrieves(world, endpoint, role):
    pk = ENDPOINTS[endpoint][0](world.mine)
    client = client_for(user_of(world, role))
    assert pk in ids(client.get(f"/api/v1/{endpoint}/"))
    response = client.get(f"/api/v1/{endpoint}/{pk}/")
    assert response.status_code == 200
    assert response.json()["id"] == pk


@pytest.mark.parametrize(("endpoint", "role"), CASES_OUT)
def test_it_rejects_outsider(world, endpoint, role):
    pk = ENDPOINTS[endpoint][0](world.mine)
    client = client_for(user_of(world, role))
    assert pk not in ids(client.get(f"/api/v1/{endpoint}/"))
    assert client.get(f"/api/v1/{endpoint}/{pk}/").status_code == 404


def test_filter_by_an_outside_id_gives_an_empty_list_like_a_missing_id(world):
    client = client_for(world.mine.staff)
    outside = client.get("/api/v1/pairings/", {"helper": world.other.pairing.helper_id})
    missing = client.get("/api/v1/pairings/", {"helper": 10**9})
    assert outside.status_code == missing.status_code == 200
    assert outside.json()["results"] == missing.json()["results"] == []


def test_phone_is_full_for_staff_and_masked_for_everyone_else(world):
    branch_pk = world.mine.pairing.helper_id
    staff = client_for(world.mine.staff).get(f"/api/v1/branches/{branch_pk}/").json()
    assert staff["secretary_phone"] == "13912345678"
    city_staff = client_for(UserFactory.staff(region=world.city)).get(f"/api/v1/branches/{branch_pk}/").json()
    assert city_staff["secretary_phone"] == "13912345678"
    for user in (world.leader, world.mine.helper_sec, world.mine.partner_sec, world.mine.member):
        row = client_for(user).get(f"/api/v1/branches/{branch_pk}/").json()
        assert row["secretary_phone"] == "139****5678"


def test_member_phone_is_masked_for_the_community_secretary(world):
    reg = world.mine.registration.pk
    seen = client_for(world.mine.community_sec).get(f"/api/v1/registrations/{reg}/").json()
    assert seen["member"]["phone"] == "137****4321"
    staff = client_for(world.mine.staff).get(f"/api/v1/registrations/{reg}/").json()
    assert staff["member"]["phone"] == "13787654321"
    hours = client_for(world.mine.community_sec).get(f"/api/v1/hours/{world.mine.hours.pk}/").json()
    assert hours["member"]["phone"] == "137****4321"


def test_resident_name_is_masked_except_for_the_community(world):
    wish = world.mine.wish.pk
    assert client_for(world.mine.community_sec).get(f"/api/v1/wishes/{wish}/").json()["resident_name"] == "王大妈"
    for user in (world.mine.staff, world.mine.member):
        assert client_for(user).get(f"/api/v1/wishes/{wish}/").json()["resident_name"] == "王**"
