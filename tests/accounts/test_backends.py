"""The portal's authentication backend loads the request's user with its unread-notice count, so the
navbar badge costs no query of its own (accounts/backends.py)."""

import pytest
from django.contrib.auth import get_user
from django.test import RequestFactory
from django.urls import reverse

from accounts.backends import PortalBackend
from accounts.context_processors import unread_notices
from accounts.services import notice_send, notices_mark_read
from tests.factories import PASSWORD, PairingFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def secretary():
    return UserFactory.secretary(branch=PairingFactory().helper)


def test_the_user_comes_with_the_count_of_their_unread_notices(secretary):
    other = UserFactory.secretary(branch=PairingFactory().helper)
    assert PortalBackend().get_user(secretary.pk).unread_notice_count == 0
    notice_send(users=[secretary, other], title="提醒", email=False)
    notice_send(users=[secretary], title="又一条提醒", email=False)
    assert PortalBackend().get_user(secretary.pk).unread_notice_count == 2
    notices_mark_read(user=secretary)
    assert PortalBackend().get_user(secretary.pk).unread_notice_count == 0
    assert PortalBackend().get_user(other.pk).unread_notice_count == 1


def test_inactive_and_unknown_users_are_not_loaded(secretary):
    secretary.is_active = False
    secretary.save()
    assert PortalBackend().get_user(secretary.pk) is None
    assert PortalBackend().get_user(10**9) is None


def test_the_badge_costs_no_query_of_its_own(client, secretary, django_assert_num_queries):
    notice_send(users=[secretary], title="提醒", email=False)
    client.login(username=secretary.username, password=PASSWORD)
    assert get_user(client).unread_notice_count == 1
    client.get(reverse("pairing:my_pairing"))
    with django_assert_num_queries(3):  # session, user with the count, the pairings
        html = client.get(reverse("pairing:my_pairing")).content.decode()
    assert 'data-testid="unread-count">1<' in html


def test_a_user_loaded_otherwise_still_gets_a_count(secretary, django_assert_num_queries):
    notice_send(users=[secretary], title="提醒", email=False)
    request = RequestFactory().get("/")
    request.user = type(secretary).objects.get(pk=secretary.pk)  # no annotation, as token auth loads it
    with django_assert_num_queries(1):
        assert unread_notices(request) == {"unread_notice_count": 1}
