"""Demo data of 双报到、双服务 for ``seed_demo``: registrations of units and members, projects,
claims, wishes, a whistle and a quarter of hours (some pending, some rejected).

The demo community secretary's community gets the most, so the demo logins show real pages.
Idempotent: a community that already has registrations is skipped, extra members are keyed
by username, and every stage draws from its own ``random.Random(f"{seed}:<stage>")``.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from pairing.choices import HELPER_KINDS, BranchKind, Role
from pairing.models import Branch
from twinning.audit import insert_with_history

from .choices import (
    Claimants,
    ClaimMode,
    HourStatus,
    OpenClosed,
    ProjectCategory,
    RegistrationKind,
    RegistrationStatus,
    WhistleKind,
    WishStatus,
)
from .models import Claim, HourEntry, Project, Registration, Whistle, WhistleResponse, Wish
from .selectors import Quarter

OTHER_COMMUNITIES = 24
MEMBERS_AT_DEMO_COMMUNITY = 18
MEMBERS_PER_COMMUNITY = (2, 6)
UNITS_PER_COMMUNITY = (1, 3)
FAVOURED_MEMBERS = 6

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌辉鹏宇浩晨"
SKILLS = [
    "法律咨询",
    "医疗护理",
    "文艺演出",
    "书法",
    "电脑维修",
    "心理疏导",
    "政策宣讲",
    "家电维修",
    "理发",
    "课业辅导",
]
PREFERENCES = ["关爱空巢老人", "关爱青少年", "政策宣传", "文明创建", "健康义诊", "民情走访", "扶贫帮困"]
PROJECTS = [
    ("党史学习教育专题党课", ProjectCategory.PARTY_LECTURE, "社区党群服务中心"),
    ("惠民政策进小区宣讲", ProjectCategory.POLICY, "小区广场"),
    ("法律明白人进社区", ProjectCategory.LEGAL, "社区调解室"),
    ("防范电信诈骗科普讲座", ProjectCategory.SCIENCE, "社区活动室"),
    ("家政技能培训", ProjectCategory.TRAINING, "社区培训室"),
    ("健康义诊进楼栋", ProjectCategory.HEALTH, "社区卫生服务站"),
    ("高校毕业生就业指导", ProjectCategory.JOBS_SCHOOLS, "社区党群服务中心"),
    ("入户走访收集民意", ProjectCategory.VISITS, "网格内各楼栋"),
    ("困难群众帮扶", ProjectCategory.POVERTY, "社区各网格"),
    ("创建全国文明城市环境整治", ProjectCategory.CIVILITY, "背街小巷"),
    ("中秋节走访慰问", ProjectCategory.FESTIVAL, "困难党员家中"),
    ("四点半课堂", ProjectCategory.YOUTH, "社区图书室"),
    ("空巢老人助餐送餐", ProjectCategory.ELDERLY, "社区老年食堂"),
]
WISHES = [
    ("一台收音机", "独居老人想听戏曲"),
    ("一套初中辅导书", "孩子明年中考"),
    ("修好漏水的水龙头", "老人行动不便"),
    ("一副老花镜", ""),
    ("冬天的棉被", "低保户"),
    ("轮椅一辆", "腿脚不便的老人"),
]
REJECT_REASONS = ["时长与签到记录不符", "服务内容不属于本社区项目", "请补充服务内容"]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def _demo_community() -> Branch | None:
    user = User.objects.filter(username="community_secretary").select_related("branch").first()
    if user and user.branch_id:
        return user.branch
    return Branch.objects.filter(kind=BranchKind.COMMUNITY).order_by("code").first()


def _ensure_members(rng: random.Random, helpers: list[Branch], count: int, favoured: Branch | None) -> list[User]:
    """Extra in-service members (``volunteer0001``…) with unusable passwords, keyed by username.

    The first few work in ``favoured`` (the demo unit secretary's branch) and go to the demo
    community, so the demo unit page shows members with hours."""
    names = [f"volunteer{i:04d}" for i in range(1, count + 1)]
    existing = {u.username: u for u in User.objects.filter(username__in=names)}
    unusable = make_password(None)
    new = []
    for index, username in enumerate(names):
        display_name, branch = _name(rng), rng.choice(helpers)
        if favoured is not None and index < FAVOURED_MEMBERS:
            branch = favoured
        if username not in existing:
            new.append(
                User(
                    username=username,
                    display_name=display_name,
                    role=Role.MEMBER,
                    branch=branch,
                    unit_id=branch.unit_id,
                    password=unusable,
                )
            )
    User.objects.bulk_create(new)
    return list(User.objects.filter(username__in=names).order_by("username"))


@dataclass(frozen=True)
class _Site:
    """The community being seeded, and what every step of it shares."""

    community: Branch
    secretary: User | None
    quarter: Quarter
    today: datetime.date
    is_demo: bool
    created_at: datetime.datetime


@transaction.atomic
def seed(*, seed: int, branches: int, stdout) -> None:
    if branches <= 0:
        return
    demo_community = _demo_community()
    if demo_community is None:
        return
    city_id = demo_community.city_id
    rng = random.Random(f"{seed}:volunteers-pick")
    others = list(
        Branch.objects.filter(kind=BranchKind.COMMUNITY, city_id=city_id).exclude(pk=demo_community.pk).order_by("code")
    )
    communities = [demo_community, *rng.sample(others, min(OTHER_COMMUNITIES, len(others)))]
    helpers = list(Branch.objects.filter(kind__in=HELPER_KINDS, city_id=city_id).order_by("code"))
    if not helpers:
        return
    demo_users = {
        u.username: u for u in User.objects.filter(username__in=["member", "secretary_helper"]).select_related("branch")
    }
    unit_secretary = demo_users.get("secretary_helper")
    pool = _ensure_members(
        random.Random(f"{seed}:volunteers-members"),
        helpers,
        MEMBERS_AT_DEMO_COMMUNITY + OTHER_COMMUNITIES * MEMBERS_PER_COMMUNITY[1],
        unit_secretary.branch if unit_secretary and unit_secretary.branch_id else None,
    )
    done = set(Registration.objects.filter(community__in=communities).values_list("community_id", flat=True))
    registered = set(
        Registration.objects.filter(member__isnull=False, status__in=["pending", "accepted"]).values_list(
            "member_id", flat=True
        )
    )
    today = timezone.localdate()
    quarter = Quarter.of(today)
    stats = {"registrations": 0, "projects": 0, "claims": 0, "hours": 0}
    pool_iter = iter(u for u in pool if u.pk not in registered)
    for index, community in enumerate(communities):
        # Every community draws from its own generator, so skipping one leaves the rest in step.
        crng = random.Random(f"{seed}:volunteers:{community.code}")
        is_demo = index == 0
        n_members = MEMBERS_AT_DEMO_COMMUNITY if is_demo else crng.randint(*MEMBERS_PER_COMMUNITY)
        members = [m for m in (next(pool_iter, None) for _ in range(n_members)) if m is not None]
        if community.pk in done:
            continue
        secretary = User.objects.filter(branch=community, role=Role.COMMUNITY_SECRETARY).first()
        unit_branches = crng.sample(
            helpers, min(len(helpers), crng.randint(*UNITS_PER_COMMUNITY) + (2 if is_demo else 0))
        )
        if is_demo:
            # The demo logins take part first: the member registers here, the unit secretary's unit too.
            demo_member = demo_users.get("member")
            if demo_member and demo_member.pk not in registered:
                members.insert(0, demo_member)
            if unit_secretary and unit_secretary.branch not in unit_branches:
                unit_branches.insert(0, unit_secretary.branch)
        site = _Site(community, secretary, quarter, today, is_demo, created_at=timezone.now())
        for key, count in _seed_community(crng, site, members, unit_branches).items():
            stats[key] += count
    stdout.write(
        "  volunteers: {registrations} registrations, {projects} projects, {claims} claims, {hours} hour entries".format(
            **stats
        )
    )


def _seed_community(rng: random.Random, site: _Site, members: list[User], unit_branches: list[Branch]) -> dict:
    """One community's data, step by step (each step draws from ``rng`` in this order); the counts made."""
    regs = _seed_registrations(rng, site, members, unit_branches)
    accepted = [r for r in regs if r.status == RegistrationStatus.ACCEPTED]
    member_regs = [r for r in accepted if r.kind == RegistrationKind.MEMBER]
    projects = _seed_projects(rng, site)
    claims, member_claims = _seed_claims(rng, site, projects, accepted, member_regs)
    _seed_wishes(rng, site, member_regs)
    if site.is_demo:
        _seed_whistle(rng, site, accepted)
    entries = _seed_hours(rng, site, member_claims)
    return {"registrations": len(regs), "projects": len(projects), "claims": len(claims), "hours": len(entries)}


def _seed_registrations(rng, site: _Site, members, unit_branches) -> list[Registration]:
    """Accepted units; members, a few of them waiting for the secretary (never the demo member)."""
    regs = [
        Registration(
            kind=RegistrationKind.UNIT,
            community=site.community,
            branch=branch,
            status=RegistrationStatus.ACCEPTED,
            decided_by=site.secretary,
            decided_at=site.created_at,
        )
        for branch in unit_branches
    ]
    for i, member in enumerate(members):
        pending = not (site.is_demo and i == 0) and rng.random() < (0.15 if site.is_demo else 0.1)
        regs.append(
            Registration(
                kind=RegistrationKind.MEMBER,
                community=site.community,
                member=member,
                registered_by=member,
                skills=rng.choice(SKILLS),
                preferences=rng.choice(PREFERENCES),
                status=RegistrationStatus.PENDING if pending else RegistrationStatus.ACCEPTED,
                decided_by=None if pending else site.secretary,
                decided_at=None if pending else site.created_at,
            )
        )
    insert_with_history(Registration, regs, user=site.secretary)
    return list(Registration.objects.filter(community=site.community).select_related("member", "branch"))


def _seed_projects(rng, site: _Site) -> list[Project]:
    """Projects of this quarter and earlier in the year; those of this quarter still open."""
    quarter, today = site.quarter, site.today
    projects = []
    start_window = datetime.date(quarter.year, 1, 1)
    span = max(1, (quarter.end - start_window).days)
    for title, category, place in rng.sample(PROJECTS, 8 if site.is_demo else rng.randint(3, 5)):
        starts = start_window + datetime.timedelta(days=rng.randrange(span))
        if rng.random() < 0.5:
            starts = quarter.start + datetime.timedelta(days=rng.randrange(max(1, (today - quarter.start).days + 1)))
        projects.append(
            Project(
                community=site.community,
                title=title,
                category=category,
                place=place,
                description=f"{site.community.name}{title}，欢迎报到单位和在职党员认领。",
                starts_on=starts,
                ends_on=starts + datetime.timedelta(days=rng.choice([0, 0, 7, 30])),
                places=rng.randint(2, 6),
                claimants=rng.choice([Claimants.BOTH, Claimants.BOTH, Claimants.MEMBERS, Claimants.UNITS]),
                status=OpenClosed.OPEN if starts >= quarter.start else OpenClosed.CLOSED,
                created_by=site.secretary,
            )
        )
    insert_with_history(Project, projects, user=site.secretary)
    return list(Project.objects.filter(community=site.community))


def _seed_claims(rng, site: _Site, projects, accepted, member_regs) -> tuple[list[Claim], dict[int, list[Project]]]:
    """Claims by eligible registrations, and what each member may log hours against (their own
    claims and their unit's claims here)."""
    secretary = site.secretary
    claims = []
    member_claims: dict[int, list[Project]] = {}
    for project in projects:
        eligible = [
            r
            for r in accepted
            if project.claimants == Claimants.BOTH
            or (project.claimants == Claimants.UNITS) == (r.kind == RegistrationKind.UNIT)
        ]
        # Leave a place free on open projects so the demo logins can still claim.
        limit = project.places - (1 if project.status == OpenClosed.OPEN else 0)
        for reg in rng.sample(eligible, min(len(eligible), rng.randint(0, max(0, limit)))):
            if site.is_demo and reg.member_id and reg.member.username == "member" and project.status == OpenClosed.OPEN:
                continue  # the browser journey claims an open project itself
            claims.append(
                Claim(
                    project=project,
                    registration=reg,
                    mode=rng.choice([ClaimMode.SELF, ClaimMode.SELF, ClaimMode.ASSIGNED]),
                    claimed_by=secretary,
                )
            )
            if reg.member_id:
                member_claims.setdefault(reg.member_id, []).append(project)
    if site.is_demo:
        _ensure_demo_member_claims(projects, accepted, claims, member_claims, secretary)
    # Members serve on what their own unit claimed here, too.
    unit_projects: dict[int, list[Project]] = {}
    for claim in claims:
        if claim.registration.branch_id:
            unit_projects.setdefault(claim.registration.branch_id, []).append(claim.project)
    for reg in member_regs:
        if reg.member.branch_id in unit_projects:
            member_claims.setdefault(reg.member_id, []).extend(unit_projects[reg.member.branch_id])
    insert_with_history(Claim, claims, user=secretary)
    return claims, member_claims


def _seed_wishes(rng, site: _Site, member_regs) -> None:
    """Wishes: most open, some claimed, some confirmed (fulfilled and confirmed at once)."""
    secretary, created_at = site.secretary, site.created_at
    wishes = []
    for title, description in rng.sample(WISHES, 4 if site.is_demo else 2):
        status = rng.choice([WishStatus.OPEN, WishStatus.OPEN, WishStatus.CLAIMED, WishStatus.CONFIRMED])
        claimer = rng.choice(member_regs).member if member_regs and status != WishStatus.OPEN else None
        confirmed = claimer is not None and status == WishStatus.CONFIRMED
        wishes.append(
            Wish(
                community=site.community,
                title=title,
                description=description,
                resident_name=_name(rng),
                status=status if claimer else WishStatus.OPEN,
                claimed_by=claimer,
                claimed_at=created_at if claimer else None,
                fulfil_note="已送到老人家中" if confirmed else "",
                fulfilled_at=created_at if confirmed else None,
                confirmed_by=secretary if confirmed else None,
                confirmed_at=created_at if confirmed else None,
                created_by=secretary,
            )
        )
    insert_with_history(Wish, wishes, user=secretary)


def _seed_whistle(rng, site: _Site, accepted) -> None:
    """The demo community's whistle of this quarter, answered by a few registrations."""
    quarter, secretary = site.quarter, site.secretary
    whistle = Whistle(
        community=site.community,
        kind=WhistleKind.FLOOD,
        title="汛期巡堤值守",
        description="请报到单位和党员轮班巡查河堤。",
        place="社区党群服务中心",
        happens_on=quarter.start + datetime.timedelta(days=min(10, (site.today - quarter.start).days)),
        places=8,
        created_by=secretary,
    )
    insert_with_history(Whistle, [whistle], user=secretary)
    whistle = Whistle.objects.get(community=site.community, title="汛期巡堤值守")
    responders = rng.sample(accepted, min(5, len(accepted)))
    insert_with_history(
        WhistleResponse,
        [WhistleResponse(whistle=whistle, registration=r, responded_by=secretary) for r in responders],
        user=secretary,
    )


def _seed_hours(rng, site: _Site, member_claims: dict[int, list[Project]]) -> list[HourEntry]:
    """A quarter of hours: one entry a day at most per member, spread from 30 days before the
    quarter to today; most verified, some pending, a few rejected."""
    secretary = site.secretary
    entries = []
    first_day = site.quarter.start - datetime.timedelta(days=30)
    days = max(1, (site.today - first_day).days + 1)
    for member_id, claimed in member_claims.items():
        for day_offset in sorted(rng.sample(range(days), min(days, rng.randint(3, 8)))):
            project = rng.choice(claimed)
            start_hour = rng.randint(8, 16)
            duration = rng.choice([60, 90, 120, 150, 180, 240])
            roll = rng.random()
            status = HourStatus.VERIFIED if roll < 0.65 else HourStatus.PENDING if roll < 0.88 else HourStatus.REJECTED
            end_minutes = start_hour * 60 + duration
            entries.append(
                HourEntry(
                    member_id=member_id,
                    community=site.community,
                    project=project,
                    served_on=first_day + datetime.timedelta(days=day_offset),
                    starts_at=datetime.time(start_hour, 0),
                    ends_at=datetime.time(end_minutes // 60, end_minutes % 60),
                    minutes=duration,
                    description=f"参加{project.title}",
                    status=status,
                    reject_reason=rng.choice(REJECT_REASONS) if status == HourStatus.REJECTED else "",
                    decided_by=secretary if status != HourStatus.PENDING else None,
                    decided_at=site.created_at if status != HourStatus.PENDING else None,
                )
            )
    insert_with_history(HourEntry, entries, user=secretary)
    return entries


def _ensure_demo_member_claims(projects, accepted, claims, member_claims, secretary) -> None:
    """The demo member has claimed two projects (earlier ones first), so their page has hours."""
    reg = next((r for r in accepted if r.member_id and r.member.username == "member"), None)
    if reg is None:
        return
    taken: dict[int, int] = {}
    for claim in claims:
        taken[claim.project.pk] = taken.get(claim.project.pk, 0) + 1
    mine = {claim.project.pk for claim in claims if claim.registration is reg}
    candidates = sorted(
        (p for p in projects if p.claimants != Claimants.UNITS and p.pk not in mine),
        key=lambda p: (p.status == OpenClosed.OPEN, p.starts_on),
    )
    for project in candidates[: max(0, 2 - len(mine))]:
        if taken.get(project.pk, 0) >= project.places:
            continue
        claims.append(Claim(project=project, registration=reg, mode=ClaimMode.ASSIGNED, claimed_by=secretary))
        member_claims.setdefault(reg.member_id, []).append(project)
