"""Figures and scope: quarters in Asia/Shanghai, targets as DB aggregates, who sees what."""

import datetime

import pytest
from django.utils import timezone

from tests.factories import UserFactory
from volunteers import selectors, services
from volunteers.models import HourEntry
from volunteers.selectors import Quarter

from .conftest import make_project, register_member, register_unit

T = datetime.time


def at_utc(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        (at_utc(2024, 3, 31, 15, 59), Quarter(2024, 1)),  # 23:59 in Shanghai, still Q1
        (at_utc(2024, 3, 31, 16, 0), Quarter(2024, 2)),  # 00:00 on 1 April in Shanghai
        (at_utc(2024, 12, 31, 16, 30), Quarter(2025, 1)),  # New Year in Shanghai, not yet in UTC
        (at_utc(2024, 6, 30, 15, 0), Quarter(2024, 2)),
    ],
)
def test_the_current_quarter_follows_shanghai_time(monkeypatch, utc, expected):
    monkeypatch.setattr(timezone, "now", lambda: utc)
    assert Quarter.current() == expected


def test_quarter_bounds():
    assert (Quarter(2024, 1).start, Quarter(2024, 1).end) == (datetime.date(2024, 1, 1), datetime.date(2024, 3, 31))
    assert (Quarter(2024, 4).start, Quarter(2024, 4).end) == (datetime.date(2024, 10, 1), datetime.date(2024, 12, 31))
    assert Quarter.of(datetime.date(2024, 7, 1)) == Quarter(2024, 3)


@pytest.fixture
def served(communities):
    """A member with verified hours on 31 March and 1 April, and pending and rejected ones."""
    register_member(communities)
    project = make_project(communities, starts_on=datetime.date(2024, 3, 1), ends_on=datetime.date(2024, 4, 30))
    services.claim_create(project=project, acting_user=communities.member)

    def log(day, start, end, decide=None):
        entry = services.hours_record(
            member=communities.member, project=project, served_on=day, starts_at=start, ends_at=end, description="服务"
        )
        if decide == "verify":
            services.hours_decide(entry=entry, acting_user=communities.community_secretary, verify=True)
        elif decide == "reject":
            services.hours_decide(entry=entry, acting_user=communities.community_secretary, verify=False, reason="不符")
        return entry

    log(datetime.date(2024, 3, 31), T(8), T(18), "verify")  # 10 h in Q1
    log(datetime.date(2024, 4, 1), T(8), T(14), "verify")  # 6 h in Q2
    log(datetime.date(2024, 4, 2), T(8), T(12))  # 4 h pending
    log(datetime.date(2024, 4, 3), T(8), T(18), "reject")  # 10 h rejected
    return project


def test_only_verified_hours_count_and_quarters_split_at_midnight(communities, served):
    q1 = selectors.member_summary(member=communities.member, quarter=Quarter(2024, 1))
    q2 = selectors.member_summary(member=communities.member, quarter=Quarter(2024, 2))
    assert q1["verified"] == 600 and q1["on_target"]
    assert q2["verified"] == 360 and q2["pending"] == 240 and q2["rejected"] == 600
    assert not q2["on_target"]


def test_a_unit_sees_its_members_totals(communities, served):
    idle = UserFactory.member(branch=communities.unit_branch)
    rows = {m.pk: m for m in selectors.unit_members(branch=communities.unit_branch, quarter=Quarter(2024, 1))}
    assert rows[communities.member.pk].verified_minutes == 600
    assert rows[idle.pk].verified_minutes == 0
    assert communities.other_member.pk not in rows


def test_yearly_record_for_the_certificate(communities, served):
    rows = selectors.member_yearly_record(member=communities.member, year=2024)
    assert [r["hours"] for r in rows] == [10.0, 6.0, 0.0, 0.0]
    assert [r["on_target"] for r in rows] == [True, False, False, False]


def test_unit_targets_count_projects_in_the_year_and_activities_in_the_quarter(communities):
    register_unit(communities)
    spring = make_project(communities, starts_on=datetime.date(2024, 3, 31), ends_on=datetime.date(2024, 3, 31))
    summer = make_project(
        communities, title="四点半课堂", starts_on=datetime.date(2024, 7, 1), ends_on=datetime.date(2024, 7, 1)
    )
    services.claim_create(project=spring, acting_user=communities.unit_secretary)

    q1 = selectors.unit_targets(branch=communities.unit_branch, quarter=Quarter(2024, 1))
    assert q1["year_projects"] == 1 and not q1["year_on_target"]
    assert q1["quarter_activities"] == 1 and q1["quarter_on_target"]

    services.claim_create(project=summer, acting_user=communities.unit_secretary)
    q2 = selectors.unit_targets(branch=communities.unit_branch, quarter=Quarter(2024, 2))
    assert q2["year_projects"] == 2 and q2["year_on_target"]
    assert q2["quarter_activities"] == 0 and not q2["quarter_on_target"]

    whistle = services.whistle_create(
        acting_user=communities.community_secretary,
        community=communities.community,
        kind="flood",
        title="巡堤",
        place="河堤",
        happens_on=datetime.date(2024, 6, 30),
        places=3,
    )
    services.whistle_respond(whistle=whistle, acting_user=communities.unit_secretary)
    assert selectors.unit_targets(branch=communities.unit_branch, quarter=Quarter(2024, 2))["quarter_activities"] == 1


def test_community_registrations_show_who_is_active(communities, served):
    idle = UserFactory.member(branch=communities.unit_branch)
    register_member(communities, member=idle)
    rows = {
        r.member_id: r
        for r in selectors.community_registrations(community=communities.community, quarter=Quarter(2024, 1))
    }
    assert rows[communities.member.pk].member_active
    assert not rows[idle.pk].member_active


def test_hours_scope(communities, served):
    entries = HourEntry.objects.all()
    assert set(selectors.hours_visible(user=communities.member)) == set(entries)
    assert set(selectors.hours_visible(user=communities.community_secretary)) == set(entries)
    assert set(selectors.hours_visible(user=communities.staff)) == set(entries)
    assert set(selectors.hours_visible(user=communities.leader)) == set(entries)
    for outsider in (
        communities.other_member,
        communities.other_community_secretary,
        communities.other_staff,
        communities.unit_secretary,
    ):
        assert not selectors.hours_visible(user=outsider).exists(), outsider


def test_the_demand_list_is_seen_by_registered_people_only(communities):
    project = make_project(communities)
    assert not selectors.projects_visible(user=communities.member).exists()
    register_member(communities)
    assert list(selectors.projects_visible(user=communities.member)) == [project]
    assert not selectors.projects_visible(user=communities.other_community_secretary).exists()


def test_a_community_secretary_sees_only_their_community_not_paired_branches(communities):
    from tests.factories import PairingFactory

    PairingFactory(helper=communities.unit_branch, partner=communities.community)
    assert list(selectors.communities_visible(user=communities.community_secretary)) == [communities.community]
    assert list(selectors.communities_visible(user=communities.staff)) == [communities.community]
    assert set(selectors.communities_visible(user=communities.leader)) == {
        communities.community,
        communities.other_community,
    }
    assert not selectors.communities_visible(user=communities.unit_secretary).exists()


def test_resident_names_are_masked_except_for_the_community_and_claimer(communities):
    register_member(communities)
    wish = services.wish_create(
        acting_user=communities.community_secretary,
        community=communities.community,
        title="收音机",
        resident_name="张秀英",
    )
    assert selectors.resident_name_for(user=communities.community_secretary, wish=wish) == "张秀英"
    assert selectors.resident_name_for(user=communities.member, wish=wish) == "张**"
    assert selectors.resident_name_for(user=communities.staff, wish=wish) == "张**"
    wish = services.wish_claim(wish=wish, member=communities.member)
    assert selectors.resident_name_for(user=communities.member, wish=wish) == "张秀英"


def test_whistle_attendance_counts_once_verified(communities):
    register_member(communities)
    whistle = services.whistle_create(
        acting_user=communities.community_secretary,
        community=communities.community,
        kind="epidemic",
        title="疫情防控卡点值守",
        place="小区北门",
        happens_on=datetime.date(2024, 5, 6),
        places=4,
    )
    services.whistle_respond(whistle=whistle, acting_user=communities.member)
    entry = services.hours_record(
        member=communities.member,
        whistle=whistle,
        served_on=datetime.date(2024, 5, 6),
        starts_at=T(7),
        ends_at=T(19),
        description="卡点值守",
    )
    assert selectors.member_summary(member=communities.member, quarter=Quarter(2024, 2))["verified"] == 0

    services.hours_decide(entry=entry, acting_user=communities.community_secretary, verify=True)

    summary = selectors.member_summary(member=communities.member, quarter=Quarter(2024, 2))
    assert summary["verified"] == 720 and summary["on_target"]


def test_the_member_page_shows_the_shanghai_quarter_at_midnight(client, communities, served, monkeypatch):
    # 16:30 UTC on 31 March is 00:30 on 1 April in Shanghai: the page shows Q2 and only the
    # 6 verified hours of 1 April, not the 10 of 31 March.
    monkeypatch.setattr(timezone, "now", lambda: at_utc(2024, 3, 31, 16, 30))
    client.force_login(communities.member)
    response = client.get("/volunteers/me/")
    html = response.content.decode()
    assert "2024年第2季度" in html
    assert response.context["summary"]["verified"] == 360
