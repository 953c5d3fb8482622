"""Concurrent writers on the embedded default: SQLite in a file, each thread its own connection.

The test database is normally SQLite in memory (shared cache), which locks differently from the
file a small office runs on; these tests copy it to a file and point every new connection there,
with the connection options twinning/settings.py gives SQLite.
"""

import datetime
import sqlite3
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from tests.factories import UserFactory
from volunteers import services
from volunteers.models import Claim, HourEntry, WhistleResponse

from .conftest import make_project, register_member

pytestmark = pytest.mark.django_db(transaction=True)

WRITERS = 12


@pytest.fixture
def sqlite_file(transactional_db, tmp_path):
    """Move the default database to a file for this test (SQLite only)."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: the embedded default's concurrency")
    settings_dict = connection.settings_dict
    memory_name = settings_dict["NAME"]
    # A shared-cache in-memory database lives while a connection to it is open.
    keeper = sqlite3.connect(memory_name, uri=True)
    path = tmp_path / "twinning.sqlite3"
    with sqlite3.connect(path) as copy:
        keeper.backup(copy)
    copy.close()
    connection.close()
    settings_dict["NAME"] = str(path)
    connection.close()  # now closes for real (not in memory): the next query opens the file
    try:
        yield path
    finally:
        connection.close()
        settings_dict["NAME"] = memory_name
        connection.ensure_connection()  # holds the in-memory database for the tests after this one
        keeper.close()


@pytest.fixture
def communities(sqlite_file, communities):
    """The volunteers fixture, built in the file."""
    return communities


def at_once(actions):
    """Run the callables at the same moment, each in its own thread and connection."""
    barrier = threading.Barrier(len(actions))
    results = [None] * len(actions)

    def run(index, action):
        try:
            barrier.wait()
            results[index] = action()
        except Exception as exc:  # noqa: BLE001 - the test asserts what each writer got
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def members(communities, count=WRITERS):
    people = [UserFactory.member(branch=communities.unit_branch) for _ in range(count)]
    for member in people:
        register_member(communities, member=member)
    return people


def refusals(results, text):
    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, ValidationError)]
    assert unexpected == []
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert all(text in " ".join(r.messages) for r in refused)
    return len(refused)


def test_twelve_members_claim_at_once(communities):
    project = make_project(communities, places=8)

    results = at_once([lambda m=m: services.claim_create(project=project, acting_user=m) for m in members(communities)])

    assert refusals(results, "名额已满") == 4
    assert Claim.objects.filter(project=project).count() == 8


def test_twelve_members_answer_a_whistle_at_once(communities):
    whistle = services.whistle_create(
        acting_user=communities.community_secretary,
        community=communities.community,
        kind="flood",
        title="汛期巡堤",
        place="河堤",
        happens_on=datetime.date(2024, 7, 1),
        places=WRITERS,
    )

    results = at_once(
        [lambda m=m: services.whistle_respond(whistle=whistle, acting_user=m) for m in members(communities)]
    )

    assert refusals(results, "") == 0
    assert WhistleResponse.objects.filter(whistle=whistle).count() == WRITERS


def test_twelve_hour_entries_at_once(communities):
    register_member(communities)
    project = make_project(communities, places=5)
    services.claim_create(project=project, acting_user=communities.member)
    # six one-hour slots, each submitted twice at the same moment: the second of each overlaps
    slots = [datetime.time(8 + i % 6) for i in range(WRITERS)]

    results = at_once(
        [
            lambda start=start: services.hours_record(
                member=communities.member,
                project=project,
                served_on=datetime.date(2024, 5, 1),
                starts_at=start,
                ends_at=datetime.time(start.hour + 1),
                description="量血压",
            )
            for start in slots
        ]
    )

    assert refusals(results, "重叠") == 6
    assert HourEntry.objects.filter(member=communities.member).count() == 6


def test_a_long_write_makes_the_others_wait_instead_of_failing(communities):
    project = make_project(communities, places=WRITERS)
    people = members(communities, 3)
    holding = threading.Event()

    def long_write():
        with transaction.atomic():
            services.claim_create(project=project, acting_user=people[0])
            holding.set()
            time.sleep(2)

    def after_it(member):
        holding.wait()
        return services.claim_create(project=project, acting_user=member)

    results = at_once([long_write] + [lambda m=m: after_it(m) for m in people[1:]])

    assert refusals(results, "") == 0
    assert Claim.objects.filter(project=project).count() == 3
