"""双报到、双服务 in a browser: the community secretary publishes a project, the member claims it
and logs hours, the community secretary verifies them; the member sees the verified hours."""

import pytest
from django.utils import timezone

from volunteers.choices import HourStatus
from volunteers.models import Claim, HourEntry, Project

pytestmark = pytest.mark.django_db(transaction=True)

DEMO_PASSWORD = "Twinning@2024"
TITLE = "社区健康义诊（浏览器测试）"


def logout(page):
    page.locator("form[action$='/logout/'] button").click()
    page.wait_for_load_state()


def test_member_claims_logs_hours_and_the_community_verifies(demo, page, phone_page, live_server, login, screenshot):
    demo(branches=60, seed=1)
    today = timezone.localdate().isoformat()

    # The community secretary publishes a project on the demand list.
    login(page, live_server, "community_secretary", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/volunteers/")
    assert page.locator("[data-testid=pending-hours]").is_visible()
    screenshot(page, "volunteers-community-before")
    page.get_by_role("link", name="发布服务项目").click()
    page.fill("input[name=title]", TITLE)
    page.select_option("select[name=category]", label="健康义诊")
    page.fill("input[name=place]", "社区卫生服务站")
    page.fill("input[name=starts_on]", today)
    page.fill("input[name=ends_on]", today)
    page.fill("input[name=places]", "2")
    page.select_option("select[name=claimants]", label="在职党员")
    page.get_by_role("button", name="发布项目").click()
    page.wait_for_load_state()
    assert "已发布服务项目" in page.content()
    project = Project.objects.get(title=TITLE)
    logout(page)

    # The member finds it on the demand list and claims it.
    login(page, live_server, "member", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/volunteers/demands/")
    page.get_by_role("link", name=TITLE).click()
    page.locator("[data-testid=claim]").click()
    page.wait_for_load_state()
    assert "认领成功" in page.content()
    assert "1/2" in page.locator("[data-testid=claimed]").inner_text()
    screenshot(page, "volunteers-member-claimed")
    assert Claim.objects.filter(project=project, registration__member__username="member").exists()

    # Bad input first: the end before the start is refused next to the field.
    page.goto(f"{live_server.url}/volunteers/hours/new/")
    page.select_option("select[name=target]", label=f"项目：{TITLE}")
    page.fill("input[name=served_on]", today)
    page.fill("input[name=starts_at]", "21:30")
    page.fill("input[name=ends_at]", "20:00")
    page.fill("textarea[name=description]", "为居民测量血压")
    page.get_by_role("button", name="提交时长").click()
    page.wait_for_load_state()
    assert "结束时间必须晚于开始时间" in page.content()
    screenshot(page, "volunteers-hours-bad-input")
    page.fill("input[name=starts_at]", "20:00")
    page.fill("input[name=ends_at]", "21:30")
    page.get_by_role("button", name="提交时长").click()
    page.wait_for_load_state()
    assert "等待社区审核" in page.content()
    entry = HourEntry.objects.get(project=project)
    assert entry.status == HourStatus.PENDING and entry.minutes == 90
    screenshot(page, "volunteers-member-record-pending")
    logout(page)

    # The community secretary verifies the entry from the community page.
    login(page, live_server, "community_secretary", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/volunteers/")
    page.locator(f"[data-testid=verify-{entry.pk}]").click()
    page.wait_for_load_state()
    assert "已认定时长" in page.content()
    screenshot(page, "volunteers-community-verified")
    entry.refresh_from_db()
    assert entry.status == HourStatus.VERIFIED

    # The community page fits a phone too.
    login(phone_page, live_server, "community_secretary", DEMO_PASSWORD)
    phone_page.goto(f"{live_server.url}/volunteers/")
    overflow = phone_page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"community page is {overflow}px wider than the phone"
    screenshot(phone_page, "volunteers-community-phone")
    phone_page.context.clear_cookies()

    # The member sees it on a phone, and the certificate prints.
    login(phone_page, live_server, "member", DEMO_PASSWORD)
    phone_page.goto(f"{live_server.url}/volunteers/me/")
    assert "已认定" in phone_page.locator("[data-testid=hour-entries]").inner_text()
    overflow = phone_page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"member page is {overflow}px wider than the phone"
    screenshot(phone_page, "volunteers-member-record-phone")
    phone_page.get_by_role("link", name="服务证明").click()
    phone_page.emulate_media(media="print")
    assert not phone_page.locator("nav.navbar").is_visible()
    screenshot(phone_page, "volunteers-certificate-print")


@pytest.mark.parametrize(
    ("username", "path", "testid"),
    [
        ("secretary_helper", "/volunteers/", "unit-targets"),
        ("staff_city", "/volunteers/", "community-table"),
        ("member", "/volunteers/demands/", "project-list"),
    ],
)
def test_each_role_lands_on_a_real_page(demo, page, live_server, login, screenshot, username, path, testid):
    demo(branches=60, seed=1)
    login(page, live_server, username, DEMO_PASSWORD)
    response = page.goto(f"{live_server.url}{path}")
    assert response.status == 200
    assert page.locator(f"[data-testid={testid}]").is_visible()
    screenshot(page, f"volunteers-{username}")
