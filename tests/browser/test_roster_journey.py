"""Onboarding a county: download the template, fill it, upload, read the preview, confirm."""

import pytest
from openpyxl import load_workbook

from pairing.models import Branch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "Twinning@2024"


def fill_template(path):
    workbook = load_workbook(path)
    sheet = workbook["支部名册"]
    rows = [
        [
            "SC-J-0001",
            "商城县财政局机关第一党支部",
            "机关",
            "县区",
            "商城县",
            "",
            "商城县财政局",
            "陆文",
            "19933975580",
            26,
            "好",
            "否",
        ],
        [
            "SC-J-0002",
            "商城县教育局机关第一党支部",
            "机关",
            "县区",
            "商城县 ",
            "",
            "商城县教育局",
            "夏艳",
            "18221455935",
            "５８",
            "强",
            "",
        ],
        [
            "SC-V-0001",
            "商城县观庙镇松树村党支部",
            "农村",
            "县区",
            "商城县",
            "观庙镇",
            "",
            "苏艳",
            "15903251173",
            58,
            "差",
            "否",
        ],
    ]
    for offset, values in enumerate(rows, start=3):  # row 2 is the sample row; it is skipped on import
        for column, value in enumerate(values, start=1):
            sheet.cell(row=offset, column=column, value=value)
    workbook.save(path)


def test_county_staff_onboards_a_roster(demo, page, live_server, login, screenshot, tmp_path):
    demo(branches=0, seed=1)
    login(page, live_server, "staff_county", DEMO_PASSWORD)

    page.goto(f"{live_server.url}/branches/")
    screenshot(page, "roster-1-branch-list")
    with page.expect_download() as download_info:
        page.get_by_test_id("roster-template").first.click()
    template = tmp_path / "template.xlsx"
    download_info.value.save_as(template)
    assert load_workbook(template)["支部名册"]["E2"].value == "商城县"
    fill_template(template)

    page.get_by_test_id("roster-upload").click()
    page.wait_for_url("**/branches/roster/import/")
    screenshot(page, "roster-2-upload")
    page.set_input_files("input[type=file]", str(template))
    page.get_by_role("button", name="上传并预览").click()
    page.wait_for_selector("[data-testid=roster-counts]")

    assert page.get_by_test_id("count-create").inner_text() == "3"
    assert page.get_by_test_id("count-errors").inner_text() == "0"
    assert "商城县财政局" in page.content()
    screenshot(page, "roster-3-preview")
    assert not Branch.objects.exists(), "the preview writes nothing"

    page.get_by_test_id("roster-confirm").click()
    page.wait_for_url("**/branches/roster/imports/*/")  # the import runs as a task; its page shows the outcome
    page.get_by_test_id("roster-run-result").wait_for()

    assert "名册已导入：新建 3 个" in page.content()
    assert set(Branch.objects.values_list("code", flat=True)) == {"SC-J-0001", "SC-J-0002", "SC-V-0001"}
    assert Branch.objects.get(code="SC-J-0002").member_count == 58
    screenshot(page, "roster-4-imported")


def test_preview_with_errors_fits_a_phone(demo, phone_page, live_server, login, screenshot, tmp_path):
    demo(branches=0, seed=1)
    login(phone_page, live_server, "staff_county", DEMO_PASSWORD)
    roster = tmp_path / "roster.xlsx"
    phone_page.goto(f"{live_server.url}/branches/")
    with phone_page.expect_download() as download_info:
        phone_page.get_by_test_id("roster-template").first.click()
    download_info.value.save_as(roster)
    workbook = load_workbook(roster)
    sheet = workbook["支部名册"]
    sheet.append(["SC-1", "平桥区某支部", "机关", "县区", "平桥区", "", "", "", "", 10, "", ""])
    sheet.append(["SC-2", "商城县某支部", "党组", "县区", "商城县", "", "", "", "", "很多", "", ""])
    workbook.save(roster)

    phone_page.goto(f"{live_server.url}/branches/roster/import/")
    phone_page.set_input_files("input[type=file]", str(roster))
    phone_page.get_by_role("button", name="上传并预览").click()
    phone_page.wait_for_selector("[data-testid=roster-errors]")

    assert phone_page.get_by_test_id("count-errors").inner_text() == "3"
    assert "您只能登记商城县的支部。" in phone_page.content()
    assert phone_page.get_by_test_id("roster-confirm").count() == 0
    overflow = phone_page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"preview is {overflow}px wider than the phone screen"
    screenshot(phone_page, "roster-5-preview-errors-phone")
    assert not Branch.objects.exists()
