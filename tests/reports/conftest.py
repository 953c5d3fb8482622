"""A small hand-built world with known answers for theme days, the N list and volunteers.

As of 2022-03-15 in 信阳市, counties 平桥区 (A) and 商城县 (B):

theme days (partner in A)   Jan      Feb      Mar
  p1 from 2022-01-01        conf.    pending  conf.
  p2 from 2022-02-20        –        conf.    (conf. on 03-20, after as_of)
  p3 from 2022-03-20        –        –        – (not started by as_of)
  p4 2021-06-01..2022-02-01 conf.    –        –
  active / confirmed        2/2      3/1      2/1   → 100.00, 33.33, 50.00
  p5 (partner in B) from 2022-01-01, no theme days.

N lists of 2022上半年: the city's (t1 due 02-28, t2 due 03-10, t3 due 06-30) and A's (a1 due 03-01).
  done: p1 t1,t2,t3 (t3 not due); p2 t1, a1 (t2 in progress)
  A: city list 3/(2×2), A list 1/(1×2) → 4/6 = 66.66;  B: 0/(2×1);  city 4/8 = 50.00.

volunteers, Q1 2022, community C in A:
  units U1 (claims P1 Q1, P3 Q2 → year 2, quarter 1), U2 (claims P2 Q1, answers a Q1 whistle → year 1, quarter 2),
  U3 pending; members m1 (600 verified min), m2 (300 verified + 400 pending), m3 ended;
  projects starting in Q1: P1, P2, P4 (unclaimed); verified hours 900 min = 15.0 h.
"""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest

from activities.choices import TaskProgress, ThemeDayStatus
from activities.models import KeyTask, KeyTaskList, KeyTaskReport, ThemeDay
from pairing.choices import BranchKind, RegionLevel, UnitLevel
from tests.factories import BranchFactory, PairingFactory, PartnerBranchFactory, RegionFactory, UnitFactory, UserFactory
from volunteers.models import Claim, HourEntry, Project, Registration, Whistle, WhistleResponse

AS_OF = datetime.date(2022, 3, 15)
D = datetime.date


def _theme_day(pairing, day, status=ThemeDayStatus.CONFIRMED):
    return ThemeDay.objects.create(
        pairing=pairing, recorded_by_branch=pairing.helper, held_on=day, theme="主题", place="村部", status=status
    )


@pytest.fixture
def small_world(db):
    city = RegionFactory(city=True, name="信阳市")
    a = RegionFactory(parent=city, name="平桥区")
    b = RegionFactory(parent=city, name="商城县")
    unit = UnitFactory(county=a, name="平桥区委办")
    p1 = PairingFactory(
        partner=PartnerBranchFactory(county=a), helper=BranchFactory(county=a, unit=unit), started_on=D(2022, 1, 1)
    )
    p2 = PairingFactory(partner=PartnerBranchFactory(county=a), started_on=D(2022, 2, 20))
    p3 = PairingFactory(partner=PartnerBranchFactory(county=a), started_on=D(2022, 3, 20))
    p4 = PairingFactory(
        partner=PartnerBranchFactory(county=a), started_on=D(2021, 6, 1), status="dissolved", dissolved_on=D(2022, 2, 1)
    )
    p5 = PairingFactory(partner=PartnerBranchFactory(county=b), started_on=D(2022, 1, 1))
    _theme_day(p1, D(2022, 1, 8))
    _theme_day(p1, D(2022, 2, 12), ThemeDayStatus.PENDING)
    _theme_day(p1, D(2022, 3, 5))
    _theme_day(p2, D(2022, 2, 26))
    _theme_day(p2, D(2022, 3, 20))
    _theme_day(p4, D(2022, 1, 15))

    city_list = KeyTaskList.objects.create(region=city, year=2022, half=1)
    t1 = KeyTask.objects.create(task_list=city_list, title="防汛", due_on=D(2022, 2, 28))
    t2 = KeyTask.objects.create(task_list=city_list, title="疫情", due_on=D(2022, 3, 10))
    t3 = KeyTask.objects.create(task_list=city_list, title="产业", due_on=D(2022, 6, 30))
    a_list = KeyTaskList.objects.create(region=a, year=2022, half=1)
    a1 = KeyTask.objects.create(task_list=a_list, title="人居环境", due_on=D(2022, 3, 1))
    for task, pairing, status in [
        (t1, p1, TaskProgress.DONE),
        (t2, p1, TaskProgress.DONE),
        (t3, p1, TaskProgress.DONE),
        (t1, p2, TaskProgress.DONE),
        (t2, p2, TaskProgress.IN_PROGRESS),
        (a1, p2, TaskProgress.DONE),
    ]:
        KeyTaskReport.objects.create(task=task, pairing=pairing, status=status)

    township = RegionFactory(parent=a, name="羊山街道")
    community = BranchFactory(
        kind=BranchKind.COMMUNITY,
        name="东平湖社区党支部",
        county=a,
        level=UnitLevel.COUNTY,
        township=township,
        region=RegionFactory(parent=township, level=RegionLevel.COMMUNITY),
    )
    u1, u2, u3 = p1.helper, p2.helper, BranchFactory(county=a)
    m1, m2, m3 = (UserFactory.member(branch=u1) for _ in range(3))

    def reg(**kw):
        return Registration.objects.create(community=community, status=kw.pop("status", "accepted"), **kw)

    r1, r2 = reg(kind="unit", branch=u1), reg(kind="unit", branch=u2)
    reg(kind="unit", branch=u3, status="pending")
    reg(kind="member", member=m1)
    reg(kind="member", member=m2)
    reg(kind="member", member=m3, status="ended")

    def project(title, start):
        return Project.objects.create(
            community=community, title=title, category="other", place="社区", starts_on=start, ends_on=start, places=3
        )

    pr1, pr2, pr3 = project("P1", D(2022, 1, 10)), project("P2", D(2022, 2, 10)), project("P3", D(2022, 5, 1))
    project("P4", D(2022, 3, 1))
    for p, r in [(pr1, r1), (pr3, r1), (pr2, r2)]:
        Claim.objects.create(project=p, registration=r, mode="self")
    whistle = Whistle.objects.create(
        community=community, kind="flood", title="防汛", place="河堤", happens_on=D(2022, 3, 2), places=5
    )
    WhistleResponse.objects.create(whistle=whistle, registration=r2)

    def hours(member, minutes, day, status="verified"):
        h, m = divmod(minutes, 60)
        HourEntry.objects.create(
            member=member,
            community=community,
            project=pr1,
            served_on=day,
            starts_at=datetime.time(8, 0),
            ends_at=datetime.time(8 + h, m),
            minutes=minutes,
            description="服务",
            status=status,
        )

    hours(m1, 300, D(2022, 1, 20))
    hours(m1, 300, D(2022, 3, 1))
    hours(m1, 120, D(2022, 4, 2))
    hours(m2, 300, D(2022, 2, 2))
    hours(m2, 400, D(2022, 2, 3), status="pending")
    return SimpleNamespace(
        city=city, a=a, b=b, unit=unit, community=community, pairings=[p1, p2, p3, p4, p5], units=[u1, u2, u3]
    )
