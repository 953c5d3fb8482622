"""End-to-end journey (issue 9, point 4) not covered by one file elsewhere: county staff import a
roster of new graded branches and pair them in a draw, in one session through real Chromium.

The other role journeys live next to this file: a secretary records a theme day with a photo on
a phone and the partner confirms (test_activities_journey), a member claims a project and logs
hours that the community verifies (test_volunteers_journey), a leader drills from the dashboard
into a county and downloads the assessment workbook (test_reports_journey).
"""

import pytest
from openpyxl import Workbook

from pairing.choices import PairingStatus
from pairing.models import Branch, Draw, Pairing
from pairing.roster.columns import HEADERS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "Twinning@2024"

ROWS = [
    [
        "E2E-J-01",
        "商城县审计局机关第一党支部",
        "机关",
        "县区",
        "商城县",
        "",
        "商城县审计局",
        "程华",
        "13800000001",
        30,
        "好",
        "否",
    ],
    [
        "E2E-J-02",
        "商城县统计局机关第一党支部",
        "机关",
        "县区",
        "商城县",
        "",
        "商城县统计局",
        "万杰",
        "13800000002",
        24,
        "中",
        "否",
    ],
    [
        "E2E-V-01",
        "商城县观庙镇旅程一村党支部",
        "农村",
        "县区",
        "商城县",
        "观庙镇",
        "",
        "苏敏",
        "13800000003",
        40,
        "差",
        "否",
    ],
    [
        "E2E-V-02",
        "商城县观庙镇旅程二村党支部",
        "农村",
        "县区",
        "商城县",
        "观庙镇",
        "",
        "邹平",
        "13800000004",
        35,
        "差",
        "否",
    ],
]


def write_roster(path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "支部名册"
    sheet.append(list(HEADERS))
    for row in ROWS:
        sheet.append(row)
    workbook.save(path)


def test_staff_import_a_roster_then_pair_it_in_a_draw(demo, page, live_server, login, screenshot, tmp_path):
    demo(branches=120, seed=1)
    roster = tmp_path / "roster.xlsx"
    write_roster(roster)
    login(page, live_server, "staff_county", DEMO_PASSWORD)

    page.goto(f"{live_server.url}/branches/roster/import/")
    page.set_input_files("input[type=file]", str(roster))
    page.get_by_role("button", name="上传并预览").click()
    page.wait_for_selector("[data-testid=roster-counts]")
    assert page.get_by_test_id("count-create").inner_text() == "4"
    assert page.get_by_test_id("count-errors").inner_text() == "0"
    screenshot(page, "e2e-staff-1-roster-preview")
    page.get_by_test_id("roster-confirm").click()
    page.wait_for_url("**/branches/roster/imports/*/")  # the import runs as a task; its page shows the outcome
    page.get_by_test_id("roster-run-result").wait_for()
    assert "名册已导入：新建 4 个" in page.content()
    assert Branch.objects.filter(code__startswith="E2E-").count() == 4
    screenshot(page, "e2e-staff-2-roster-imported")

    draws_before = Draw.objects.count()
    page.goto(f"{live_server.url}/draws/")
    page.get_by_role("link", name="新抽签").click()
    page.get_by_label("抽签范围").select_option(label="商城县")
    page.get_by_role("button", name="预览抽签").click()
    preview = page.get_by_test_id("draw-preview")
    preview.wait_for()
    text = preview.inner_text()
    assert "商城县审计局机关第一党支部" in text and "旅程一村党支部" in text
    screenshot(page, "e2e-staff-3-draw-preview")
    page.get_by_role("button", name="确认抽签结果").click()
    page.get_by_test_id("verification").wait_for()
    assert "一致" in page.get_by_test_id("verification").inner_text()
    assert Draw.objects.count() == draws_before + 1
    paired = Pairing.objects.filter(status=PairingStatus.ACTIVE, partner__code__startswith="E2E-V-")
    assert paired.count() == 2
    screenshot(page, "e2e-staff-4-draw-confirmed")
