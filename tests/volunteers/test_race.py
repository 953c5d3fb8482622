"""Races on the last places, on PostgreSQL with separate connections (skipped elsewhere; CI runs them)."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from tests.factories import UserFactory
from volunteers import services
from volunteers.models import Claim, Wish

from .conftest import make_project, register_member

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(actions):
    """Run the callables at the same moment, each in its own thread and connection."""
    barrier = threading.Barrier(len(actions))
    results = [None] * len(actions)

    def run(index, action):
        try:
            barrier.wait()
            results[index] = action()
        except ValidationError as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_many_members_racing_never_over_claim_a_project(communities):
    members = [UserFactory.member(branch=communities.unit_branch) for _ in range(8)]
    for member in members:
        register_member(communities, member=member)
    project = make_project(communities, places=3)

    results = race([lambda m=m: services.claim_create(project=project, acting_user=m) for m in members])

    assert Claim.objects.filter(project=project).count() == 3
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(refused) == 5
    assert all("名额已满" in " ".join(r.messages) for r in refused)


def test_two_members_racing_for_the_last_place(communities):
    first, second = (UserFactory.member(branch=communities.unit_branch) for _ in range(2))
    for member in (first, second):
        register_member(communities, member=member)
    project = make_project(communities, places=1)

    for _ in range(5):
        Claim.objects.filter(project=project).delete()
        race([lambda m=m: services.claim_create(project=project, acting_user=m) for m in (first, second)])
        assert Claim.objects.filter(project=project).count() == 1


def test_the_same_member_claiming_twice_at_once_claims_once(communities):
    register_member(communities)
    project = make_project(communities, places=5)

    results = race([lambda: services.claim_create(project=project, acting_user=communities.member)] * 4)

    assert Claim.objects.filter(project=project).count() == 1
    assert sum(isinstance(r, ValidationError) for r in results) == 3


def test_two_members_racing_for_one_wish(communities):
    members = [UserFactory.member(branch=communities.unit_branch) for _ in range(4)]
    for member in members:
        register_member(communities, member=member)
    wish = services.wish_create(
        acting_user=communities.community_secretary,
        community=communities.community,
        title="收音机",
        resident_name="张秀英",
    )

    results = race([lambda m=m: services.wish_claim(wish=wish, member=m) for m in members])

    assert sum(isinstance(r, Wish) for r in results) == 1
    assert Wish.objects.get().claimed_by in members


def test_overlapping_hours_submitted_at_once_are_written_once(communities):
    import datetime

    register_member(communities)
    project = make_project(communities, places=2)
    services.claim_create(project=project, acting_user=communities.member)
    day = datetime.date(2024, 5, 6)

    def record(start):
        return services.hours_record(
            member=communities.member,
            project=project,
            served_on=day,
            starts_at=datetime.time(start),
            ends_at=datetime.time(start + 2),
            description="值守",
        )

    results = race([lambda s=s: record(s) for s in (9, 10, 9, 10)])

    from volunteers.models import HourEntry

    assert HourEntry.objects.count() == 1
    assert sum(isinstance(r, ValidationError) for r in results) == 3
