"""The layout's menu fits the window in both languages: the English labels are longer, and the menu
wraps onto a second row instead of widening the page past the window (static/css/app.css)."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

DEMO_PASSWORD = "Twinning@2024"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("width", [992, 1280])
def test_the_menu_fits_the_window(demo, page, live_server, login, screenshot, language, width):
    demo(branches=300, seed=3)
    page.set_viewport_size({"width": width, "height": 800})
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    login(page, live_server, "staff_city", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/branches/")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.locator("#mainnav").is_visible()  # expanded, not behind the toggler
    buttons = page.locator("nav form button[type=submit]")
    assert buttons.first.evaluate("b => b.getBoundingClientRect().height") < 40  # 退出 / Log out on one line
    screenshot(page, f"layout-menu-{language}-{width}")
