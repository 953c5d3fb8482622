"""Browser journey: the city leader reads the dashboard and drills into a county; city staff
build and download the quarterly assessment workbook."""

import openpyxl
import pytest

from pairing.models import Region

pytestmark = pytest.mark.django_db(transaction=True)

DEMO_PASSWORD = "Twinning@2024"


def test_leader_dashboard_and_staff_assessment(demo, page, live_server, login, screenshot, tmp_path):
    demo(branches=150, seed=1)
    county = Region.objects.get(name="商城县")

    login(page, live_server, "leader_city", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/reports/")
    assert "数据截至" in page.get_by_test_id("as-of").inner_text()
    for metric in ("coverage", "optimisation", "theme_days", "n_tasks", "volunteers"):
        page.get_by_test_id(f"card-{metric}").wait_for()
    page.locator("#chart-theme-days canvas").wait_for()
    page.locator("#chart-hours canvas").wait_for()
    screenshot(page, "reports-dashboard-city")

    page.locator("#children-table").get_by_role("link", name="商城县").click()
    page.wait_for_url(f"**/reports/?region={county.pk}")
    assert "商城县 · 统计看板" in page.locator("h1").inner_text()
    assert "乡镇街道" in page.locator("#children-table").inner_text()
    screenshot(page, "reports-dashboard-county")
    page.get_by_role("link", name="主题党日落实情况（按结对）").click()
    page.wait_for_url(f"**/activities/compliance/?county={county.pk}")

    page.context.clear_cookies()
    login(page, live_server, "staff_city", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/reports/")
    page.get_by_test_id("assessment-link").click()
    page.get_by_role("button", name="生成考核表").click()
    download_link = page.get_by_test_id("download")
    download_link.wait_for()
    screenshot(page, "reports-assessment-ready")
    with page.expect_download() as info:
        download_link.click()
    path = tmp_path / "assessment.xlsx"
    info.value.save_as(path)
    assert info.value.suggested_filename.endswith("双考核表.xlsx")
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["单位考核", "支部明细", "说明"]
    assert workbook["单位考核"].max_row > 1
