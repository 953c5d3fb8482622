"""Each demo role logs in through the real login form and lands on its home page."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

pytestmark = pytest.mark.django_db(transaction=True)

DEMO_PASSWORD = "Twinning@2024"

# username -> Chinese role label shown on the home page
DEMO_ROLES = {
    "staff_city": "组织部工作人员",
    "staff_county": "组织部工作人员",
    "leader_city": "领导",
    "leader_county": "领导",
    "secretary_helper": "支部书记",
    "secretary_partner": "支部书记",
    "community_secretary": "社区党组织书记",
    "member": "在职党员",
}


def display_names(username: str) -> list[str]:
    user = get_user_model().objects.get(username=username)
    return [name for name in (user.get_full_name().strip(), str(user).strip(), username) if name]


@pytest.mark.parametrize("username", list(DEMO_ROLES))
def test_demo_role_logs_in_and_sees_home(demo, page, live_server, login, screenshot, username):
    demo(branches=60, seed=1)
    names = display_names(username)

    response = login(page, live_server, username, DEMO_PASSWORD)

    assert response is not None and response.status == 200
    assert page.url == f"{live_server.url}{reverse('home')}" == f"{live_server.url}/"
    html = page.content()
    assert "退出" in html, "the logout control is missing"
    assert DEMO_ROLES[username] in html, f"role label {DEMO_ROLES[username]!r} not shown"
    assert any(name in html for name in names), f"none of the user's names {names!r} shown"
    screenshot(page, f"home-{username}")


def test_wrong_password_shows_error_and_stays_on_login(demo, page, live_server, login, screenshot):
    demo(branches=0, seed=1)  # region tree and staff/leader accounts only

    response = login(page, live_server, "staff_city", "not-the-password")

    assert response is not None and response.status == 200
    assert page.url.startswith(f"{live_server.url}/accounts/login/")
    errors = page.locator(".alert-danger, .errorlist, .invalid-feedback, [role='alert']")
    assert errors.count() > 0 and errors.first.is_visible(), "no visible error message"
    assert page.locator("input[name='password']").is_visible()
    screenshot(page, "login-wrong-password")


def test_phone_login_fits_the_screen(demo, phone_page, live_server, login, screenshot):
    demo(branches=60, seed=1)

    response = login(phone_page, live_server, "secretary_partner", DEMO_PASSWORD)

    assert response is not None and response.status == 200
    assert phone_page.url == f"{live_server.url}/"
    assert "退出" in phone_page.content()
    overflow = phone_page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"home page is {overflow}px wider than a 390px phone screen"
    screenshot(phone_page, "home-secretary_partner-phone")
