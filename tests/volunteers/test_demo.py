"""seed_demo's volunteers stage: real pages for the demo logins, idempotent for a seed."""

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from volunteers.choices import HourStatus, RegistrationStatus
from volunteers.models import Claim, HourEntry, Project, Registration, Wish


def counts() -> tuple:
    return tuple(m.objects.count() for m in (Registration, Project, Claim, Wish, HourEntry, User))


@pytest.mark.django_db
def test_seed_gives_the_demo_community_real_data_and_reruns_add_nothing():
    call_command("seed_demo", "--branches", "120", "--seed", "3", stdout=StringIO())
    before = counts()

    secretary = User.objects.get(username="community_secretary")
    community_hours = HourEntry.objects.filter(community=secretary.branch)
    assert community_hours.filter(status=HourStatus.PENDING).exists()
    assert community_hours.filter(status=HourStatus.REJECTED).exists()
    assert community_hours.filter(status=HourStatus.VERIFIED).exists()
    assert Registration.objects.filter(community=secretary.branch, status=RegistrationStatus.PENDING).exists()
    member = User.objects.get(username="member")
    assert Registration.objects.get(member=member, status=RegistrationStatus.ACCEPTED).community == secretary.branch
    extra = User.objects.filter(username__startswith="volunteer").first()
    assert extra is not None and not extra.has_usable_password()

    call_command("seed_demo", "--branches", "120", "--seed", "3", stdout=StringIO())
    assert counts() == before


@pytest.mark.django_db
def test_seed_without_branches_does_nothing():
    call_command("seed_demo", "--branches", "0", stdout=StringIO())
    assert counts()[:5] == (0, 0, 0, 0, 0)
