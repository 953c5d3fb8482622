"""The main menu, drawn on every page from ``can``: what each kind of user is offered, in each language."""

import re

import pytest
from django.contrib.messages.storage.fallback import FallbackStorage
from django.template import engines
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from accounts.perms import Can
from accounts.selectors import menu_entries
from pairing.choices import Role
from tests.factories import BranchFactory, UserFactory

pytestmark = pytest.mark.django_db
MENU = "includes/main_menu.html"
EVERYONE = ["home", "pairing:branch_list", "activities:index", "activities:compliance", "activities:task_list_index"]
EVERYONE += ["volunteers:index", "volunteers:demand_list"]
REGION = ["pairing:pairing_list", "pairing:coverage", "reports:dashboard"]


def _page(user) -> str:
    """A page's layout for ``user``, as a request draws it (the context processors give ``can``)."""
    request = RequestFactory().get("/")
    request.user, request.session = user, {}
    request._messages = FallbackStorage(request)
    return engines["jinja2"].get_template("layout.html").render(request=request)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_each_kind_of_user_gets_its_own_menu_on_every_page(language):
    branch = BranchFactory()
    staff, leader = (UserFactory(role=role, region=branch.city) for role in (Role.STAFF, Role.LEADER))
    on_branch = [UserFactory(role=role, branch=branch) for role in Role.values if role not in (Role.STAFF, Role.LEADER)]
    loose, admin = UserFactory(role=Role.MEMBER, branch=None), UserFactory(is_superuser=True, role=Role.MEMBER)
    expected = {
        staff: [*EVERYONE, *REGION, "reports:audit"],
        admin: [*EVERYONE, *REGION, "reports:audit"],
        leader: [*EVERYONE, *REGION],
        loose: EVERYONE,
        **{user: [*EVERYONE, "pairing:my_pairing"] for user in on_branch},
    }
    menus = set()
    with translation.override(language):
        for user, names in expected.items():
            menu = engines["jinja2"].get_template(MENU).render({"user": user, "can": Can.of(user)})
            assert sorted(re.findall(r'href="([^"]+)"', menu)) == sorted(reverse(name) for name in names), user.role
            assert menu.strip() in _page(user)  # the page draws the same menu
            menus.add(menu)
    assert len(menus) > 2  # roles really get different menus
    assert ("首页" in menus.pop()) == (language == "zh-hans")


def test_the_remembered_menu_is_kept_apart_for_each_offer_and_language():
    branch = BranchFactory()
    staff, secretary = UserFactory(role=Role.STAFF, region=branch.city), UserFactory(role=Role.SECRETARY, branch=branch)
    other_secretary = UserFactory(role=Role.SECRETARY, branch=BranchFactory())
    assert Can.of(staff) != Can.of(secretary)

    def links(user) -> list[str]:
        return [entry.url for entry in menu_entries(user=user)]

    assert reverse("reports:audit") in links(staff)  # the memo is warm with the staff's menu
    assert reverse("reports:audit") not in links(secretary)
    assert reverse("pairing:my_pairing") in links(secretary) and reverse("pairing:my_pairing") not in links(staff)
    assert menu_entries(user=other_secretary) is menu_entries(user=secretary)  # the same offer: one entry
    with translation.override("en"):
        english = menu_entries(user=staff)
    with translation.override("zh-hans"):
        assert menu_entries(user=staff)[0].label == "首页" and english[0].label == "Home"


def test_what_the_pages_offer_is_read_without_a_query(django_assert_num_queries):
    branch = BranchFactory()
    users = [UserFactory(role=Role.STAFF, region=branch.city), UserFactory(role=Role.SECRETARY, branch=branch)]
    users = [type(u).objects.get(pk=u.pk) for u in users]  # as a request loads them: no relation in hand
    with django_assert_num_queries(0):
        offers = [Can.of(u) for u in users]
    assert offers[0].manage and offers[0].sees_region and not offers[1].manage and offers[1].is_branch_secretary


def test_templates_compare_no_role_strings():
    import re
    from pathlib import Path

    from django.conf import settings

    pattern = re.compile(r"\brole\s*(==|!=|in\b)|\.role\b|\bRole\.")
    offenders = [
        str(path)
        for path in Path(settings.BASE_DIR, "templates").rglob("*.html")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
