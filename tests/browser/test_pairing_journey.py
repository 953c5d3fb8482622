"""Browser journey: county staff preview and confirm a draw, check it, and look at coverage;
a secretary finds their pairing on a phone."""

import pytest
from django.utils import timezone

from pairing.choices import Grade
from pairing.models import Draw, Pairing, Region
from tests.factories import BranchFactory, GradeFactory, PartnerBranchFactory, RegionFactory

pytestmark = pytest.mark.django_db(transaction=True)

DEMO_PASSWORD = "Twinning@2024"


def add_unpaired_branches(county: Region) -> None:
    """New graded branches in the county, so a fresh draw has something to pair."""
    year = timezone.localdate().year
    township = RegionFactory(parent=county, name="旅程测试镇")
    for i, grade in enumerate([Grade.GOOD, Grade.MEDIUM, Grade.WEAK]):
        GradeFactory(branch=BranchFactory(county=county, name=f"旅程测试局第{i + 1}党支部"), year=year, grade=grade)
    for i, grade in enumerate([Grade.WEAK, Grade.MEDIUM, Grade.GOOD, Grade.WEAK]):
        village = RegionFactory(parent=township, name=f"旅程{i + 1}村")
        branch = PartnerBranchFactory(county=county, township=township, region=village, name=f"旅程{i + 1}村党支部")
        GradeFactory(branch=branch, year=year, grade=grade)


def test_staff_draw_then_coverage(demo, page, live_server, login, screenshot):
    demo(branches=120, seed=1)
    county = Region.objects.get(name="商城县")
    add_unpaired_branches(county)
    draws_before = Draw.objects.count()

    login(page, live_server, "staff_county", DEMO_PASSWORD)
    page.get_by_role("link", name="以强带弱随机抽签").click()
    page.get_by_role("link", name="新抽签").click()
    page.get_by_label("抽签范围").select_option(label="商城县")
    seed = page.get_by_label("随机种子").input_value()
    assert seed.isdigit()
    page.get_by_role("button", name="预览抽签").click()
    preview = page.get_by_test_id("draw-preview")
    preview.wait_for()
    assert "旅程测试局第1党支部" in preview.inner_text() and "一帮二" in preview.inner_text()
    assert Draw.objects.count() == draws_before
    screenshot(page, "pairing-draw-preview")

    page.get_by_role("button", name="确认抽签结果").click()
    page.get_by_test_id("verification").wait_for()
    assert "一致" in page.get_by_test_id("verification").inner_text()
    assert page.get_by_test_id("draw-seed").inner_text() == seed
    assert Draw.objects.count() == draws_before + 1
    screenshot(page, "pairing-draw-detail")

    page.get_by_role("link", name="覆盖率").first.click()
    page.get_by_test_id("coverage-table").wait_for()
    assert "商城县" in page.get_by_test_id("coverage-table").inner_text()
    assert "%" in page.get_by_test_id("total-rate").inner_text()
    screenshot(page, "pairing-coverage")

    # A village registered after the draw shows up uncovered; staff pair it by hand from the coverage page.
    year = timezone.localdate().year
    late = PartnerBranchFactory(county=county, township=Region.objects.get(name="旅程测试镇"), name="新登记村党支部")
    GradeFactory(branch=late, year=year, grade=Grade.WEAK)
    new_helper = BranchFactory(county=county, name="新登记机关党支部")
    page.reload()
    uncovered = page.get_by_test_id("uncovered")
    assert "新登记村党支部" in uncovered.inner_text()
    uncovered.locator("li", has_text="新登记村党支部").get_by_role("link", name="结对", exact=True).click()
    page.get_by_label("帮扶支部（机关/企事业）").select_option(label=f"{new_helper.name}（{new_helper.code}）")
    page.get_by_role("button", name="确认结对").click()
    page.get_by_test_id("pairing-history").wait_for()
    assert "已结对" in page.content()
    assert Pairing.objects.get(partner=late, status="active").helper == new_helper
    screenshot(page, "pairing-manual-detail")


def test_secretary_sees_their_pairing_on_a_phone(demo, phone_page, live_server, login, screenshot):
    demo(branches=120, seed=1)
    login(phone_page, live_server, "secretary_partner", DEMO_PASSWORD)
    phone_page.get_by_test_id("my-pairing-link").click()
    card = phone_page.get_by_test_id("my-pairing")
    card.wait_for()
    pairing = Pairing.objects.get(partner__users__username="secretary_partner", status="active")
    text = card.inner_text()
    assert pairing.helper.name in text and pairing.helper.secretary_name in text
    assert pairing.helper.secretary_phone not in text and "****" in text
    screenshot(phone_page, "pairing-my-pairing-phone")
