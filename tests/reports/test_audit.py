"""The audit trail: who changed what and when, before → after, within scope."""

import datetime

import pytest
from django.urls import reverse

from pairing.services.registry import branch_update, grades_assign
from tests.factories import PASSWORD, BranchFactory, PairingFactory, PartnerBranchFactory, RegionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def changes():
    city = RegionFactory(city=True, name="信阳市")
    mine = RegionFactory(parent=city, name="商城县")
    other = RegionFactory(parent=city, name="固始县")
    staff = UserFactory.staff(region=mine, display_name="陈组工")
    branch = BranchFactory(county=mine, name="商城县委办公室机关第一党支部")
    outside = BranchFactory(county=other, name="固始县教育局机关党支部")
    branch_update(branch=branch, acting_user=staff, data={"name": "商城县委办公室第一党支部", "member_count": 33})
    city_staff = UserFactory.staff(region=city, display_name="李组工")
    branch_update(branch=outside, acting_user=city_staff, data={"member_count": 99})
    grades_assign(branches=[branch], year=2022, grade="weak", acting_user=staff)
    PairingFactory(helper=branch, partner=PartnerBranchFactory(county=mine))
    return {"staff": staff, "branch": branch, "outside": outside, "city_staff": city_staff}


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def test_staff_see_changes_with_before_and_after(client, changes):
    login(client, changes["staff"])
    response = client.get(reverse("reports:audit"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "商城县委办公室机关第一党支部 → 商城县委办公室第一党支部" in content
    assert "陈组工" in content and "等次评定" in content and "结对" in content


def test_changes_outside_the_region_are_not_shown(client, changes):
    login(client, changes["staff"])
    content = client.get(reverse("reports:audit")).content.decode()
    # The outside change (党员数 → 99) must not show; a bare "99" could be part of the CSRF token.
    assert "固始县教育局机关党支部" not in content and "→ 99" not in content
    client.logout()
    login(client, changes["city_staff"])
    content = client.get(reverse("reports:audit")).content.decode()
    assert "固始县教育局机关党支部" in content and "→ 99" in content


def test_filters_by_source_actor_object_and_date(client, changes):
    login(client, changes["city_staff"])
    url = reverse("reports:audit")
    only_grades = client.get(url, {"source": "grade"}).context["entries"]
    assert only_grades and {e["source"].key for e in only_grades} == {"grade"}
    by_actor = client.get(url, {"actor": "李组工"}).context["entries"]
    assert by_actor and all(e["record"].history_user == changes["city_staff"] for e in by_actor)
    by_object = client.get(url, {"source": "branch", "object": changes["outside"].pk}).context["entries"]
    assert {e["record"].id for e in by_object} == {changes["outside"].pk}
    tomorrow = datetime.date.today() + datetime.timedelta(days=2)
    assert client.get(url, {"since": tomorrow.isoformat()}).context["entries"] == []


@pytest.mark.parametrize("role", ["leader", "secretary", "member"])
def test_only_staff_open_the_audit_trail(client, changes, role):
    user = {
        "leader": lambda: UserFactory.leader(region=changes["staff"].region),
        "secretary": lambda: UserFactory.secretary(branch=changes["branch"]),
        "member": lambda: UserFactory.member(branch=changes["branch"]),
    }[role]()
    login(client, user)
    assert client.get(reverse("reports:audit")).status_code == 403


def test_paging_backwards_skips_nothing_written_in_the_same_instant(client, changes, settings):
    from reports.selectors import audit

    branches = [BranchFactory(county=changes["staff"].region) for _ in range(7)]
    grades_assign(branches=branches, year=2023, grade="good", acting_user=changes["staff"])  # one instant
    settings.DEBUG = False
    seen = []
    before = None
    while True:
        page = audit.audit_entries(user=changes["staff"], source_keys=["grade"], before=before, limit=3)
        seen += [(e["source"].key, e["record"].history_id) for e in page]
        if len(page) < 3:
            break
        before = page[-1]["key"]
    assert len(seen) == len(set(seen)) == 8  # 7 new grades and the earlier one


def test_audit_page_costs_the_same_queries_for_few_and_many_changes(client, changes, django_assert_max_num_queries):
    login(client, changes["staff"])
    url = reverse("reports:audit")
    client.get(url)
    with django_assert_max_num_queries(25) as few:
        client.get(url)
    for n in range(30):
        branch_update(branch=changes["branch"], acting_user=changes["staff"], data={"member_count": 40 + n})
    with django_assert_max_num_queries(25) as many:
        client.get(url)
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.parametrize(
    ("name", "value", "label"),
    [
        ("since", "2026-13-45", "起"),
        ("until", "2026-02-30", "止"),
        ("object", "²", "对象编号"),
        ("actor", "\x00", "操作人"),  # PostgreSQL refuses a NUL in a query: a 500 there
        ("actor", "x" * 101, "操作人"),
    ],
)
def test_an_impossible_filter_is_reported_on_the_page_and_left_out(client, changes, name, value, label):
    login(client, changes["city_staff"])
    response = client.get(reverse("reports:audit"), {name: value})
    assert response.status_code == 200
    assert f"{label}：" in response.content.decode()
    assert response.context["entries"]  # the other filters still apply: nothing is hidden by the bad one
