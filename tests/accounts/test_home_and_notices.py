"""Every role lands on a sensible home page; notices belong to their user only."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import Notice
from accounts.services import notice_send
from tests.factories import (
    PASSWORD,
    BranchFactory,
    GradeFactory,
    OptimisationRecordFactory,
    PartnerBranchFactory,
    RegionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def county_branches():
    city = RegionFactory(city=True, name="信阳市")
    county = RegionFactory(parent=city, name="商城县")
    return {
        "city": city,
        "county": county,
        "helper": BranchFactory(county=county),
        "partner": PartnerBranchFactory(county=county),
    }


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda w: UserFactory.staff(region=w["city"]), "信阳市 · 工作概览"),
        (lambda w: UserFactory.staff(region=w["county"]), "商城县 · 工作概览"),
        (lambda w: UserFactory.leader(region=w["county"]), "商城县 · 工作概览"),
        (lambda w: UserFactory.secretary(branch=w["helper"]), "我的支部"),
        (lambda w: UserFactory.community_secretary(branch=w["partner"]), "我的社区"),
        (lambda w: UserFactory.member(branch=w["helper"]), "我的服务"),
    ],
)
def test_each_role_lands_on_its_home_page(client, county_branches, make, expected):
    user = make(county_branches)
    assert client.login(username=user.username, password=PASSWORD)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    content = response.content.decode()
    assert expected in content
    assert user.display_name in content


def test_staff_home_counts_only_their_scope(client, county_branches):
    BranchFactory(county=RegionFactory(parent=county_branches["city"]))
    GradeFactory(branch=county_branches["helper"])
    OptimisationRecordFactory(branch=county_branches["partner"])
    user = UserFactory.staff(region=county_branches["county"])
    client.login(username=user.username, password=PASSWORD)
    summary = client.get(reverse("home")).context["summary"]
    assert summary == {"total": 2, "helpers": 1, "partners": 1, "graded": 1, "optimised": 1}


def test_staff_home_counts_are_kept_until_branches_grades_or_optimisation_move(
    client, county_branches, django_assert_max_num_queries
):
    user = UserFactory.staff(region=county_branches["county"])
    client.login(username=user.username, password=PASSWORD)

    def summary():
        return client.get(reverse("home")).context["summary"]

    assert summary() == {"total": 2, "helpers": 1, "partners": 1, "graded": 0, "optimised": 0}
    with django_assert_max_num_queries(10) as kept:
        assert summary()["total"] == 2
    assert not any("pairing_branch" in q["sql"] for q in kept.captured_queries)  # not counted again
    GradeFactory(branch=county_branches["helper"])
    assert summary()["graded"] == 1
    record = OptimisationRecordFactory(branch=county_branches["partner"])
    assert summary()["optimised"] == 1
    record.campaign.is_current = False
    record.campaign.save(update_fields=["is_current"])
    assert summary()["optimised"] == 0
    BranchFactory(county=county_branches["county"])
    assert summary()["total"] == 3


def test_login_page_rejects_a_wrong_password_in_chinese(client, county_branches):
    user = UserFactory.staff(region=county_branches["city"])
    response = client.post(reverse("login"), {"username": user.username, "password": "wrong"})
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()


def test_login_redirects_home(client, county_branches):
    user = UserFactory.staff(region=county_branches["city"])
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_notice_send_is_idempotent_by_key_and_mails_users_with_address(
    county_branches, django_capture_on_commit_callbacks
):
    with_mail = UserFactory.staff(region=county_branches["county"], email="a@example.org")
    without = UserFactory.secretary(branch=county_branches["helper"])
    with django_capture_on_commit_callbacks(execute=True):
        assert notice_send(users=[with_mail, without], title="提醒", key="k1") == 2
        assert notice_send(users=[with_mail, without], title="提醒", key="k1") == 0
    assert Notice.objects.count() == 2
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["a@example.org"]


def test_notice_list_shows_only_own_notices_and_marks_read(client, county_branches):
    me = UserFactory.secretary(branch=county_branches["helper"])
    other = UserFactory.secretary(branch=county_branches["partner"])
    notice_send(users=[me], title="我的提醒", email=False)
    notice_send(users=[other], title="别人的提醒", email=False)
    client.login(username=me.username, password=PASSWORD)
    content = client.get(reverse("notice_list")).content.decode()
    assert "我的提醒" in content and "别人的提醒" not in content
    badge = '<span class="badge rounded-pill text-bg-warning ms-1" data-testid="unread-count">1</span>'
    assert badge in client.get(reverse("home")).content.decode()
    client.post(reverse("notice_read_all"))
    assert 'data-testid="unread-count"' not in client.get(reverse("home")).content.decode()
    assert Notice.objects.get(user=other).read_at is None


def test_admin_lists_load_for_every_registered_model(admin_client):
    from django.contrib import admin

    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert admin_client.get(url).status_code == 200, url


def test_notices_are_paged_newest_first_in_the_same_queries_for_any_page(
    client, county_branches, django_assert_max_num_queries
):
    me = UserFactory.secretary(branch=county_branches["helper"])
    Notice.objects.bulk_create([Notice(user=me, title=f"提醒{n:02d}") for n in range(31)])
    client.login(username=me.username, password=PASSWORD)
    with django_assert_max_num_queries(5) as first_queries:
        first = client.get(reverse("notice_list"))
    titles = [notice.title for notice in first.context["page"]]
    assert titles == [f"提醒{n:02d}" for n in range(30, 0, -1)]
    html = first.content.decode()
    assert 'data-testid="page-next"' in html and "提醒00" not in html
    with django_assert_max_num_queries(len(first_queries)):
        second = client.get(reverse("notice_list"), {"after": first.context["page"].next_cursor, "page": "x"})
    assert [notice.title for notice in second.context["page"]] == ["提醒00"]
    assert client.get(reverse("notice_list"), {"page": "2"}).context["page"].rows == first.context["page"].rows
