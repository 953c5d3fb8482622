"""Journey: on a phone, the helper secretary records a theme Party day with a photo straight from
the camera input; the partner secretary confirms it; staff see the month turn green."""

from __future__ import annotations

import datetime
import io

import pytest
from django.utils import timezone
from PIL import Image

from activities.models import ThemeDay
from tests.factories import PASSWORD, BranchFactory, PairingFactory, PartnerBranchFactory, RegionFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _world():
    city = RegionFactory(city=True, name="信阳市")
    county = RegionFactory(parent=city, name="商城县")
    helper = BranchFactory(county=county, name="商城县委办公室机关第一党支部", member_count=18)
    partner = PartnerBranchFactory(county=county, name="吴河乡侯畈村党支部", member_count=32)
    pairing = PairingFactory(helper=helper, partner=partner, started_on=datetime.date(2022, 1, 1))
    UserFactory.secretary(branch=helper, username="secretary_helper", display_name="胡芳")
    UserFactory.secretary(branch=partner, username="secretary_partner", display_name="黄勇")
    UserFactory.staff(region=county, username="staff_county", display_name="陈组工")
    return pairing


def _photo(tmp_path):
    path = tmp_path / "现场照片.jpg"
    image = Image.new("RGB", (1600, 1200), (230, 230, 220))
    for x in range(0, 1600, 200):
        image.paste((200, 16, 46), (x, 0, x + 100, 1200))
    buf = io.BytesIO()
    image.save(buf, format="JPEG")
    path.write_bytes(buf.getvalue())
    return path


def test_secretary_records_on_a_phone_and_partner_confirms(phone_page, page, live_server, login, screenshot, tmp_path):
    pairing = _world()
    phone = phone_page

    login(phone, live_server, "secretary_helper", PASSWORD)
    phone.goto(f"{live_server.url}/activities/")
    screenshot(phone, "activities-00-phone-secretary-index")
    record = phone.get_by_test_id("record-theme-day")
    assert record.bounding_box()["height"] >= 44  # a big, thumb-sized button
    record.click()
    form = phone.get_by_test_id("theme-day-form")
    photos = form.locator("input[type=file][name=photos]")
    assert photos.get_attribute("accept") == "image/*"
    assert photos.get_attribute("capture") == "environment"
    assert photos.get_attribute("multiple") is not None
    screenshot(phone, "activities-01-phone-theme-day-form")

    today = timezone.localdate()
    form.locator("input[name=held_on]").fill(today.isoformat())
    form.locator("input[name=theme]").fill("学习党的二十大精神")
    form.locator("input[name=place]").fill("侯畈村党群服务中心")
    form.locator("input[name=helper_attendance]").fill("40")  # more than the branch's 18 members
    form.locator("input[name=partner_attendance]").fill("21")
    photos.set_input_files(str(_photo(tmp_path)))
    phone.get_by_test_id("submit").click()
    assert "超过" in phone.locator(".invalid-feedback, .text-danger").first.inner_text()
    screenshot(phone, "activities-02-phone-attendance-error")
    assert not ThemeDay.objects.exists()

    form = phone.get_by_test_id("theme-day-form")
    form.locator("input[name=helper_attendance]").fill("12")
    form.locator("input[type=file][name=photos]").set_input_files(str(_photo(tmp_path)))
    phone.get_by_test_id("submit").click()
    phone.get_by_test_id("photos").locator("img").first.wait_for()
    assert "待对方确认" in phone.get_by_test_id("status").first.inner_text()
    assert phone.evaluate("() => document.querySelector('[data-testid=photos] img').naturalWidth") > 0
    screenshot(phone, "activities-03-phone-recorded")

    phone.context.clear_cookies()
    login(phone, live_server, "secretary_partner", PASSWORD)
    phone.goto(f"{live_server.url}/activities/")
    phone.get_by_test_id("to-confirm").locator("a").first.click()
    screenshot(phone, "activities-04-phone-partner-review")
    phone.get_by_test_id("confirm").click()
    assert "双方已确认" in phone.get_by_test_id("status").first.inner_text()
    screenshot(phone, "activities-05-phone-confirmed")
    day = ThemeDay.objects.get()
    assert day.status == "confirmed" and day.photos.count() == 1

    login(page, live_server, "staff_county", PASSWORD)
    page.goto(f"{live_server.url}/activities/compliance/?year={today.year}")
    cell = page.get_by_test_id("compliance-grid").locator("tbody tr").first.locator("td.cell").nth(today.month - 1)
    assert cell.get_attribute("data-cell") == "green"
    screenshot(page, "activities-06-compliance-grid")
    assert pairing.theme_days.count() == 1
