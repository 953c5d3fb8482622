"""Each scoped model's queryset: ``visible_to(user)`` (reads) and ``manageable_by(user)`` (writes).

The owner of a role sees (and, where the role may change it, manages) ``mine``'s row; the same
role in the other county sees none of it. ``visible_to`` returns exactly the rows the selectors did.
"""

from __future__ import annotations

import datetime

import pytest

from activities.models import JointActivity, KeyTaskList, ThemeDay
from activities.selectors import joint_activity_list, task_list_list, theme_day_list
from pairing.choices import DrawLevel, Role
from pairing.models import Branch, Draw, Pairing, Region, Unit
from pairing.selectors.draws import draw_list
from pairing.selectors.pairings import pairings_visible
from pairing.selectors.registry import regions_visible, units_visible
from tests.factories import UnitFactory
from volunteers.models import HourEntry, Project, Registration, Whistle, Wish
from volunteers.selectors import (
    hours_visible,
    projects_visible,
    registrations_visible,
    whistles_visible,
    wishes_visible,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def draws_units_and_activities(world):
    """A draw, a unit and a joint activity on each side (the world holds none)."""
    for side in (world.mine, world.other):
        side.draw = Draw.objects.create(
            campaign=side.pairing.campaign, region=side.county, level=DrawLevel.COUNTY, seed=1, grade_year=2023
        )
        side.unit = UnitFactory(county=side.county)
        side.joint_activity = JointActivity.objects.create(
            pairing=side.pairing,
            recorded_by_branch=side.pairing.helper,
            kind=JointActivity._meta.get_field("kind").choices[0][0],
            held_on=datetime.date(2024, 4, 1),
            title="共建",
        )
    return world


# (model, the row of a side, the role that sees it, the selector whose rows visible_to returns)
VISIBLE = [
    (Region, lambda s: s.county, Role.STAFF, regions_visible),
    (Branch, lambda s: s.pairing.helper, Role.STAFF, None),
    (Unit, lambda s: s.unit, Role.STAFF, units_visible),
    (Draw, lambda s: s.draw, Role.LEADER, draw_list),
    (Pairing, lambda s: s.pairing, Role.SECRETARY, pairings_visible),
    (ThemeDay, lambda s: s.theme_day, Role.SECRETARY, theme_day_list),
    (JointActivity, lambda s: s.joint_activity, Role.SECRETARY, joint_activity_list),
    (KeyTaskList, lambda s: s.report.task.task_list, Role.LEADER, task_list_list),
    (Registration, lambda s: s.registration, Role.MEMBER, registrations_visible),
    (Project, lambda s: s.project, Role.COMMUNITY_SECRETARY, projects_visible),
    (Wish, lambda s: s.wish, Role.MEMBER, wishes_visible),
    (Whistle, lambda s: s.whistle, Role.COMMUNITY_SECRETARY, whistles_visible),
    (HourEntry, lambda s: s.hours, Role.MEMBER, hours_visible),
]

# (model, the row of a side, the role that may change it, a role that sees it but may not)
MANAGEABLE = [
    (Region, lambda s: s.county, Role.STAFF, Role.LEADER),
    (Branch, lambda s: s.pairing.helper, Role.STAFF, Role.LEADER),
    (Draw, lambda s: s.draw, Role.STAFF, Role.LEADER),
    (Pairing, lambda s: s.pairing, Role.STAFF, Role.SECRETARY),
    (ThemeDay, lambda s: s.theme_day, Role.SECRETARY, Role.STAFF),
    (JointActivity, lambda s: s.joint_activity, Role.SECRETARY, Role.STAFF),
    (KeyTaskList, lambda s: s.report.task.task_list, Role.STAFF, Role.LEADER),
    (Registration, lambda s: s.registration, Role.COMMUNITY_SECRETARY, Role.MEMBER),
    (Project, lambda s: s.project, Role.COMMUNITY_SECRETARY, Role.MEMBER),
    (Wish, lambda s: s.wish, Role.COMMUNITY_SECRETARY, Role.MEMBER),
    (Whistle, lambda s: s.whistle, Role.COMMUNITY_SECRETARY, Role.STAFF),
    (HourEntry, lambda s: s.hours, Role.COMMUNITY_SECRETARY, Role.MEMBER),
]


@pytest.mark.parametrize(("model", "row", "role", "selector"), VISIBLE, ids=[v[0].__name__ for v in VISIBLE])
def test_owner_sees_own_rows_outsider_none(draws_units_and_activities, model, row, role, selector):
    world = draws_units_and_activities
    mine = row(world.mine)
    owner, outsider = world.owner(role), world.outsider(role)
    assert model.objects.visible_to(owner).filter(pk=mine.pk).exists()
    assert not model.objects.visible_to(outsider).filter(pk=mine.pk).exists()
    if selector is not None:
        for user in (owner, outsider):
            assert set(model.objects.visible_to(user)) == set(selector(user=user))


@pytest.mark.parametrize(("model", "row", "role", "reader"), MANAGEABLE, ids=[m[0].__name__ for m in MANAGEABLE])
def test_owner_manages_own_rows_outsider_and_readers_none(draws_units_and_activities, model, row, role, reader):
    world = draws_units_and_activities
    mine = row(world.mine)
    assert model.objects.manageable_by(world.owner(role)).filter(pk=mine.pk).exists()
    assert not model.objects.manageable_by(world.outsider(role)).filter(pk=mine.pk).exists()
    assert model.objects.visible_to(world.owner(reader)).filter(pk=mine.pk).exists()
    assert not model.objects.manageable_by(world.owner(reader)).filter(pk=mine.pk).exists()


def test_anonymous_sees_and_manages_nothing(draws_units_and_activities):
    from django.contrib.auth.models import AnonymousUser

    anonymous = AnonymousUser()
    for model, *_ in VISIBLE:
        assert not model.objects.visible_to(anonymous).exists(), model
    for model, *_ in MANAGEABLE:
        assert not model.objects.manageable_by(anonymous).exists(), model
