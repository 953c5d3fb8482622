"""The main menu kept per kind of user equals a fresh rendering for every role, branch and language."""

import pytest
from django.template import engines
from django.test import RequestFactory
from django.utils import translation

from accounts.templatetags.menus import render_menu
from pairing.choices import Role
from tests.factories import BranchFactory, UserFactory

pytestmark = pytest.mark.django_db
PAGE = engines["django"].from_string("{% load menus %}{% main_menu %}")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_kept_menu_is_what_each_kind_of_user_would_get(language):
    branch = BranchFactory()
    users = [UserFactory(role=role, region=branch.city) for role in (Role.STAFF, Role.LEADER)]
    users += [UserFactory(role=role, branch=branch) for role in Role.values if role not in (Role.STAFF, Role.LEADER)]
    users += [UserFactory(role=Role.MEMBER, branch=None), UserFactory(is_superuser=True, role=Role.MEMBER)]
    menus = set()
    with translation.override(language):
        for _ in range(2):  # the second round is served from the memo
            for user in users:
                request = RequestFactory().get("/")
                request.user = user
                kept = PAGE.render({"user": user}, request)
                assert kept == render_menu(user)
                menus.add(kept)
    assert len(menus) > 2  # roles really get different menus


def test_what_the_pages_offer_is_read_without_a_query(django_assert_num_queries):
    from accounts.perms import Can

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
