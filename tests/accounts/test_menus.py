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
