"""The snapshot figures equal a straightforward reference on a varied world.

The reference walks every object in Python and applies each rule as written in
``reports.services.figures``; the snapshots compute the same figures for a whole city at once
with grouped aggregates and sum them per region. The reference_city is random but seeded: partners
dissolved and paired again, pairings starting after the date or from a past campaign, helpers
in another county or 市直, theme days confirmed, pending and returned (several a month, before
a pairing started, after the date, the year before), N lists of the city, a county, a township
and a village, branches without a township (县直) or of the "other" kind, a unit registered at
two communities, members over and under their target, hours in and out of the quarter.
"""

from __future__ import annotations

import datetime
import json
import random
from collections import defaultdict

import pytest

from activities.choices import TaskProgress, ThemeDayStatus
from activities.models import KeyTask, KeyTaskList, KeyTaskReport, ThemeDay
from benchmarks.floors import sql_floor
from pairing.choices import HELPER_KINDS, PARTNER_KINDS, UNIT_LEVEL_NAMES, BranchKind, RegionLevel, UnitLevel
from pairing.models import Branch, OptimisationCampaign, OptimisationRecord, Pairing, PairingCampaign, Region
from reports.models import Snapshot
from reports.services.rates import figure, truncated_rate
from reports.services.snapshots import NO_TOWNSHIP, region_figures, snapshots_refresh
from tests.factories import RegionFactory, UserFactory
from volunteers.models import Claim, HourEntry, Project, Registration, Whistle, WhistleResponse
from volunteers.selectors import Quarter

pytestmark = pytest.mark.django_db
D = datetime.date


def _month_end(month: datetime.date) -> datetime.date:
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)


def _day(rng: random.Random, start: datetime.date, end: datetime.date) -> datetime.date:
    return start + datetime.timedelta(days=rng.randrange((end - start).days + 1))


# --- the world ------------------------------------------------------------------------------------------


@pytest.fixture
def reference_city():
    rng = random.Random(20220820)
    city = RegionFactory(city=True, name="信阳市")
    a, b, c = (RegionFactory(parent=city, name=n) for n in ("平桥区", "商城县", "新县"))  # 新县: nothing in it
    townships = {
        t: RegionFactory(parent=county, name=t) for county, t in [(a, "羊山街道"), (a, "五里店"), (b, "城关镇")]
    }
    villages = {
        t: [RegionFactory(parent=region, level=RegionLevel.VILLAGE) for _ in range(3)]
        for t, region in townships.items()
    }
    codes = iter(range(10**6))

    def branch(kind, county=None, township=None, region=None, level=None):
        return Branch.objects.create(
            code=f"R{next(codes):06d}",
            name=f"支部{kind}",
            kind=kind,
            level=level or (UnitLevel.COUNTY if county else UnitLevel.CITY),
            city=city,
            county=county,
            township=township,
            region=region,
        )

    helpers = [branch(rng.choice(HELPER_KINDS)) for _ in range(5)]  # 市直
    helpers += [branch(rng.choice(HELPER_KINDS), county=rng.choice([a, b])) for _ in range(8)]  # 县直
    helpers += [branch(BranchKind.ENTERPRISE, county=a, township=townships["五里店"]) for _ in range(3)]
    partners = [
        branch(BranchKind.VILLAGE, county=(a if t != "城关镇" else b), township=townships[t], region=v)
        for t, vs in villages.items()
        for v in vs
        for _ in range(2)
    ]
    partners.append(branch(BranchKind.VILLAGE, county=b))  # no township
    communities = [
        branch(BranchKind.COMMUNITY, county=a, township=townships["羊山街道"], region=villages["羊山街道"][0]),
        branch(BranchKind.COMMUNITY, county=b, township=townships["城关镇"]),
        branch(BranchKind.COMMUNITY, county=b),
    ]
    partners += communities
    branch(BranchKind.OTHER, county=a, township=RegionFactory(parent=a, name="其他镇"))  # only "other": no coverage row

    current = OptimisationCampaign.objects.create(city=city, name="本批", starts_on=D(2022, 1, 1), is_current=True)
    past = OptimisationCampaign.objects.create(city=city, name="上批", starts_on=D(2021, 1, 1), is_current=False)
    for br in Branch.objects.all():
        for campaign in (current, past):
            if rng.random() < 0.5:
                OptimisationRecord.objects.create(
                    branch=br, campaign=campaign, action="reelection", done_on=_day(rng, D(2021, 6, 1), D(2022, 12, 31))
                )

    this = PairingCampaign.objects.create(city=city, name="本轮", year=2022, starts_on=D(2022, 1, 1), is_current=True)
    old = PairingCampaign.objects.create(city=city, name="上轮", year=2021, starts_on=D(2021, 1, 1), is_current=False)
    pairings, slots = [], defaultdict(int)
    for partner in partners:
        start = _day(rng, D(2021, 6, 1), D(2022, 11, 30))
        for _ in range(rng.choice([1, 1, 2])):  # some partners dissolved and paired again
            helper = rng.choice([h for h in helpers if slots[h.pk] < 2])
            dissolved = _day(rng, start, D(2022, 12, 31)) if rng.random() < 0.4 else None
            if dissolved is None:
                slots[helper.pk] += 1
            pairings.append(
                Pairing.objects.create(
                    campaign=this if rng.random() < 0.9 else old,
                    helper=helper,
                    partner=partner,
                    slot=slots[helper.pk] if dissolved is None else 1,
                    method="manual",
                    status="active" if dissolved is None else "dissolved",
                    started_on=start,
                    dissolved_on=dissolved,
                )
            )
            if dissolved is None:
                break
            start = dissolved
    for p in pairings:
        for _ in range(rng.randrange(14)):
            status = rng.choices(["confirmed", "pending", "returned"], weights=[6, 2, 2])[0]
            ThemeDay.objects.create(
                pairing=p,
                recorded_by_branch=p.helper,
                held_on=_day(rng, D(2021, 11, 1), D(2022, 12, 31)),
                theme="主题",
                place="村部",
                status=status,
                return_reason="照片不清" if status == "returned" else "",
            )

    lists = []
    for half in (1, 2):
        for region in (city, a, townships["羊山街道"], villages["五里店"][0], b if half == 2 else None):
            if region is None:
                continue
            task_list = KeyTaskList.objects.create(region=region, year=2022, half=half)
            lists.append(task_list)
            months = range(1, 7) if half == 1 else range(7, 13)
            for n in range(rng.randrange(1, 4)):
                task = KeyTask.objects.create(
                    task_list=task_list, title=f"任务{n}", due_on=D(2022, rng.choice(months), rng.randrange(1, 29))
                )
                for p in rng.sample(pairings, k=len(pairings) // 2):
                    KeyTaskReport.objects.create(task=task, pairing=p, status=rng.choice(list(TaskProgress.values)))

    def reg(community, **kwargs):
        return Registration.objects.create(community=community, status=kwargs.pop("status", "accepted"), **kwargs)

    units = [reg(communities[0], kind="unit", branch=helpers[0]), reg(communities[1], kind="unit", branch=helpers[0])]
    units += [reg(rng.choice(communities), kind="unit", branch=h) for h in helpers[1:6]]
    reg(communities[0], kind="unit", branch=helpers[7], status="pending")
    members = [UserFactory.member(branch=rng.choice(helpers)) for _ in range(8)]
    member_regs = [reg(rng.choice(communities), kind="member", member=m) for m in members[:6]]
    reg(communities[2], kind="member", member=members[6], status="ended")
    reg(communities[2], kind="member", member=members[7], status="declined")
    projects = []
    for n in range(12):
        start = _day(rng, D(2022, 1, 1), D(2022, 12, 31))
        project = Project.objects.create(
            community=rng.choice(communities),
            title=f"项目{n}",
            category="other",
            place="社区",
            starts_on=start,
            ends_on=start,
            places=5,
        )
        projects.append(project)
        for registration in rng.sample(units + member_regs, k=rng.randrange(4)):
            Claim.objects.create(project=project, registration=registration, mode="self")
    for n in range(6):
        whistle = Whistle.objects.create(
            community=rng.choice(communities),
            kind="flood",
            title=f"吹哨{n}",
            place="河堤",
            happens_on=_day(rng, D(2022, 1, 1), D(2022, 12, 31)),
            places=5,
        )
        for registration in rng.sample(units, k=rng.randrange(3)):
            WhistleResponse.objects.create(whistle=whistle, registration=registration)
    for member in members:
        for _ in range(rng.randrange(8) + (6 if member in members[:2] else 0)):
            minutes = rng.choice([60, 120, 180, 240])
            status = rng.choices(["verified", "pending", "rejected"], weights=[6, 2, 1])[0]
            HourEntry.objects.create(
                member=member,
                community=rng.choice(communities),
                project=rng.choice(projects),
                served_on=_day(rng, D(2022, 7, 1), D(2022, 9, 30))
                if member in members[:2]
                else _day(rng, D(2022, 1, 1), D(2022, 12, 31)),
                starts_at=datetime.time(8, 0),
                ends_at=datetime.time(8 + minutes // 60, 0),
                minutes=minutes,
                description="服务",
                status=status,
                reject_reason="时间不符" if status == "rejected" else "",
            )
    return city, [a, b, c]


# --- the reference -------------------------------------------------------------------------------


def _in_region(branch: Branch, region: Region) -> bool:
    """``pairing.scope.region_pairing_q``'s rule for one side of a pairing."""
    if region.level == RegionLevel.CITY:
        return branch.city_id == region.pk
    if region.level == RegionLevel.COUNTY:
        return branch.county_id == region.pk
    if region.level == RegionLevel.TOWNSHIP:
        return branch.township_id == region.pk
    return branch.region is not None and branch.region.path.startswith(region.path)


def reference(region: Region, as_of: datetime.date) -> tuple[dict, dict]:
    is_city = region.level == RegionLevel.CITY
    city = region if is_city else region.parent
    names = dict(Region.objects.values_list("pk", "name"))
    branches = [
        b for b in Branch.objects.select_related("region") if (b.city_id if is_city else b.county_id) == region.pk
    ]

    def child(b: Branch) -> str | None:
        if is_city:
            return names[b.county_id] if b.county_id else None
        return names[b.township_id] if b.township_id else NO_TOWNSHIP

    def by_child(items, branch_of) -> dict[str, list]:
        groups = defaultdict(list)
        for item in items:
            if (name := child(branch_of(item))) is not None:
                groups[name].append(item)
        return groups

    # 优化率 and 结对覆盖率
    campaign = OptimisationCampaign.objects.filter(city=city, is_current=True).first()
    optimised = {
        r.branch_id for r in OptimisationRecord.objects.all() if r.campaign_id == campaign.pk and r.done_on <= as_of
    }
    everyone = list(Pairing.objects.select_related("campaign", "helper__region", "partner__region"))

    def active_on(p: Pairing, day: datetime.date) -> bool:
        return p.started_on <= day and (p.dissolved_on is None or p.dissolved_on > day)

    now = [p for p in everyone if p.campaign.is_current and active_on(p, as_of)]
    paired, engaged = {p.partner_id for p in now}, {p.helper_id for p in now}

    def optimisation(bs):
        return figure(sum(b.pk in optimised for b in bs), len(bs), num_key="optimised")

    def coverage(bs):
        partners = [b for b in bs if b.kind in PARTNER_KINDS]
        helpers = [b for b in bs if b.kind in HELPER_KINDS]
        n_paired, n_engaged = sum(b.pk in paired for b in partners), sum(b.pk in engaged for b in helpers)
        return {
            "paired": n_paired,
            "total": len(partners),
            "helpers_engaged": n_engaged,
            "helpers": len(helpers),
            "rate": truncated_rate(n_paired, len(partners)),
            "helpers_rate": truncated_rate(n_engaged, len(helpers)),
        }

    # 主题党日达标率
    months = [D(as_of.year, m, 1) for m in range(1, as_of.month + 1)]
    confirmed = {
        (t.pairing_id, t.held_on.month)
        for t in ThemeDay.objects.all()
        if t.status == ThemeDayStatus.CONFIRMED and t.held_on.year == as_of.year and t.held_on <= as_of
    }
    mine = [p for p in everyone if (p.partner.city_id if is_city else p.partner.county_id) == region.pk]

    def theme_days(ps):
        by_month = []
        for m in months:
            last = min(_month_end(m), as_of)
            active = [p for p in ps if p.started_on <= last and (p.dissolved_on is None or p.dissolved_on >= m)]
            n = sum((p.pk, m.month) in confirmed for p in active)
            by_month.append(
                {"month": m.strftime("%Y-%m"), **figure(n, len(active), num_key="confirmed", den_key="active")}
            )
        return {**by_month[-1], "by_month": by_month}

    # 重点任务完成率
    half = 1 if as_of.month <= 6 else 2
    lists = sorted(
        (
            tl
            for tl in KeyTaskList.objects.filter(year=as_of.year, half=half).select_related("region")
            if tl.region.path.startswith(region.path) or tl.region_id == region.parent_id
        ),
        key=lambda tl: tl.region.path,
    )
    reports = list(KeyTaskReport.objects.select_related("task"))

    def n_tasks(ps, whole):
        row = {"done": 0, "due": 0, "lists": {}}
        for tl in lists:
            asked = [
                p
                for p in ps
                if active_on(p, as_of) and (_in_region(p.helper, tl.region) or _in_region(p.partner, tl.region))
            ]
            if not asked and not whole:
                continue
            ids = {p.pk for p in asked}
            done = sum(
                r.status == TaskProgress.DONE
                and r.task.task_list_id == tl.pk
                and r.task.due_on <= as_of
                and r.pairing_id in ids
                for r in reports
            )
            due = len(asked) * sum(t.due_on <= as_of for t in tl.tasks.all())
            row["lists"][f"{tl.region.name}{tl.period_label}"] = figure(done, due, num_key="done", den_key="due")
            row["done"], row["due"] = row["done"] + done, row["due"] + due
        if not row["lists"]:
            return {"done": 0, "due": 0, "rate": None, "lists": {}} if whole else None
        row["rate"] = truncated_rate(row["done"], row["due"])
        return row

    # 双报到、双服务
    quarter = Quarter.of(as_of)

    def in_quarter(day):
        return quarter.start <= day <= quarter.end

    regs = list(Registration.objects.filter(status="accepted"))
    claims = list(Claim.objects.select_related("project", "registration"))
    responses = list(WhistleResponse.objects.select_related("whistle", "registration"))
    verified = [h for h in HourEntry.objects.all() if h.status == "verified"]

    def unit_on_target(branch_id):
        own_claims = [c for c in claims if c.registration.branch_id == branch_id]
        year = len({c.project_id for c in own_claims if c.project.starts_on.year == quarter.year})
        activities = len({c.project_id for c in own_claims if in_quarter(c.project.starts_on)})
        activities += len(
            {
                r.whistle_id
                for r in responses
                if r.registration.branch_id == branch_id and in_quarter(r.whistle.happens_on)
            }
        )
        return year >= 2, activities >= 1

    def member_minutes(member_id):
        return sum(h.minutes for h in verified if h.member_id == member_id and in_quarter(h.served_on))

    def volunteers(comms):
        ids = {c.pk for c in comms}
        rs = [r for r in regs if r.community_id in ids]
        units = {r.branch_id for r in rs if r.kind == "unit"}
        members = {r.member_id for r in rs if r.kind == "member"}
        projects = [p for p in Project.objects.all() if p.community_id in ids and in_quarter(p.starts_on)]
        claimed = {c.project_id for c in claims}
        minutes = [h.minutes for h in verified if h.community_id in ids and in_quarter(h.served_on)]
        if not (rs or projects or minutes):
            return None
        on_target = sum(member_minutes(m) >= 600 for m in members)
        return {
            "quarter": f"{quarter.year}Q{quarter.number}",
            "units": len(units),
            "units_year_on_target": sum(unit_on_target(u)[0] for u in units),
            "units_quarter_on_target": sum(unit_on_target(u)[1] for u in units),
            "members": len(members),
            "members_on_target": on_target,
            "projects": len(projects),
            "projects_claimed": sum(p.pk in claimed for p in projects),
            "verified_hours": round(sum(minutes) / 60, 1),
            "rate": truncated_rate(on_target, len(members)),
        }

    communities = [b for b in branches if b.kind == BranchKind.COMMUNITY]
    zero = {
        "quarter": f"{quarter.year}Q{quarter.number}",
        **dict.fromkeys(
            [
                "units",
                "units_year_on_target",
                "units_quarter_on_target",
                "members",
                "members_on_target",
                "projects",
                "projects_claimed",
            ],
            0,
        ),
        "verified_hours": 0.0,
        "rate": None,
    }
    ids = {c.pk for c in communities}
    own = {
        "optimisation": optimisation(branches),
        "coverage": coverage(branches),
        "theme_days": theme_days(mine),
        "n_tasks": n_tasks(mine, whole=True),
        "volunteers": volunteers(communities) or zero,
        "hours_by_quarter": [
            {
                "quarter": f"{q.year}Q{q.number}",
                "hours": round(
                    sum(h.minutes for h in verified if h.community_id in ids and q.start <= h.served_on <= q.end) / 60,
                    1,
                ),
            }
            for q in (Quarter(as_of.year, n) for n in range(1, quarter.number + 1))
        ],
        "campaign": campaign.name,
    }
    if is_city:
        own["optimisation_by_level"] = {
            label: optimisation([b for b in branches if b.level == level]) for level, label in UNIT_LEVEL_NAMES.items()
        }
    children = defaultdict(dict)
    for name, bs in by_child(branches, lambda b: b).items():
        children[name]["optimisation"] = optimisation(bs)
        if any(b.kind in PARTNER_KINDS + HELPER_KINDS for b in bs):
            children[name]["coverage"] = coverage(bs)
    for name, ps in by_child(mine, lambda p: p.partner).items():
        children[name]["theme_days"] = theme_days(ps)
        if row := n_tasks(ps, whole=False):
            children[name]["n_tasks"] = row
    for name, cs in by_child(communities, lambda c: c).items():
        if row := volunteers(cs):
            children[name]["volunteers"] = row
    return own, dict(children)


# --- the tests -----------------------------------------------------------------------------------


@pytest.mark.parametrize("as_of", [D(2022, 8, 20), D(2022, 3, 31), D(2022, 12, 31), D(2022, 1, 1)])
def test_snapshots_equal_the_reference(reference_city, as_of):
    city, counties = reference_city
    snapshots_refresh(city=city, as_of=as_of)
    for region in [city, *counties]:
        expected = reference(region, as_of)
        assert region_figures(region=region, as_of=as_of) == expected, region.name
        stored = Snapshot.objects.get(region=region, as_of=as_of)
        assert [stored.figures, stored.children] == json.loads(json.dumps(expected, ensure_ascii=False)), region.name


def test_the_world_is_varied(reference_city):
    """Guards the reference test against a world too plain to tell rules apart."""
    city, (a, b, c) = reference_city
    own, children = reference(city, D(2022, 8, 20))
    assert Pairing.objects.filter(status="dissolved").exists()
    assert ThemeDay.objects.filter(status="returned").exists()
    assert 0 < own["coverage"]["paired"] < own["coverage"]["total"]
    assert 0 < own["optimisation"]["optimised"] < own["optimisation"]["total"]
    assert sum(0 < m["confirmed"] < m["active"] for m in own["theme_days"]["by_month"]) >= 4
    assert len(own["n_tasks"]["lists"]) >= 4 and own["n_tasks"]["done"] > 0
    assert own["volunteers"]["units"] and own["volunteers"]["members_on_target"]
    assert set(children) == {"平桥区", "商城县"}
    _, township_rows = reference(a, D(2022, 8, 20))
    assert NO_TOWNSHIP in township_rows and "coverage" not in township_rows["其他镇"]


def test_the_sql_floor_computes_the_same_figures(reference_city):
    """The bench floor is honest: its raw SQL gives the snapshot's counts."""
    city, counties = reference_city
    as_of = D(2022, 8, 20)
    own, children = reference(city, as_of)
    rows = sql_floor(as_of=as_of)
    whole = next(r for r in rows["branches"] if r[0] == "city")
    assert (whole[5], whole[6]) == (own["optimisation"]["total"], own["optimisation"]["optimised"])
    assert (whole[8], whole[9]) == (own["coverage"]["total"], own["coverage"]["paired"])
    months = {r[2]: (r[5], r[6]) for r in rows["theme days"] if r[0] == "city"}
    assert [months[n] for n in range(1, 9)] == [(m["active"], m["confirmed"]) for m in own["theme_days"]["by_month"]]
    n_lists = {r[1]: (r[4], r[5]) for r in rows["N lists"] if r[0] == "own"}
    for region in [city, *counties]:
        figures, _ = reference(region, as_of)
        assert n_lists.get(region.pk, (0, 0)) == (figures["n_tasks"]["done"], figures["n_tasks"]["due"])
    volunteers = next(r for r in rows["volunteers"] if r[0] == "city")
    assert volunteers[4:9] == tuple(
        own["volunteers"][k]
        for k in ("units", "units_year_on_target", "units_quarter_on_target", "members", "members_on_target")
    )
