"""Demo "1+N" for ``seed_demo``: a year of theme Party days, other joint activities, one N list with reports.

Idempotent: pairings that already have theme days (or joint activities, or reports) are skipped,
and the N list is keyed by region and half year. No image processing: demo days have no photos.
"""

from __future__ import annotations

import datetime
import random

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from pairing import scope
from pairing.choices import PairingStatus
from pairing.models import Pairing, Region
from twinning.audit import insert_with_history

from .choices import ActivityKind, Half, TaskProgress, ThemeDayStatus
from .models import JointActivity, KeyTask, KeyTaskList, KeyTaskReport, ThemeDay

THEMES = [
    "学习党的二十大精神",
    "重温入党誓词",
    "“我为群众办实事”走访",
    "乡村振兴政策宣讲",
    "人居环境整治志愿劳动",
    "防汛救灾知识培训",
    "疫情防控志愿服务",
    "移风易俗、整治农村“饺子宴”宣传",
    "红色教育基地参观学习",
    "清明祭扫革命烈士",
    "七一党课",
    "关爱留守儿童",
    "产业发展座谈",
    "安全生产宣传",
    "文明实践进村入户",
]
PLACES = ["村党群服务中心", "社区党群服务中心", "村委会会议室", "新时代文明实践站", "单位会议室", "大别山干部学院"]
JOINT = {
    ActivityKind.LECTURE: ["书记讲党课", "专题党课：传承大别山精神"],
    ActivityKind.SURVEY: ["产业发展调研座谈", "基层治理座谈会"],
    ActivityKind.VISIT: ["走访慰问困难党员", "走访慰问老党员和困难群众"],
    ActivityKind.VOLUNTEER: ["环境整治志愿服务", "义诊进村"],
    ActivityKind.TRAINING: ["村干部业务培训", "电商技能培训"],
    ActivityKind.OTHER: ["联建共建协调会"],
}
N_TASKS = [
    ("疫情防控", "协助做好常态化疫情防控，入户宣传、核酸检测志愿服务。"),
    ("防汛救灾", "汛前排查隐患点，汛期轮流值守，帮助转移群众。"),
    ("农村“饺子宴”整治", "宣传移风易俗，劝导整治农村大操大办“饺子宴”。"),
]
DEMO_COUNTY = "商城县"


def _month_starts(today: datetime.date, count: int = 12) -> list[datetime.date]:
    months, year, month = [], today.year, today.month
    for _ in range(count):
        months.append(datetime.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(months))


def _day_in(rng: random.Random, month: datetime.date, *, weekend: bool, lo: datetime.date, hi: datetime.date):
    days = []
    day = month
    while day.month == month.month:
        if lo <= day <= hi and (day.weekday() >= 5) == weekend:
            days.append(day)
        day += datetime.timedelta(days=1)
    return rng.choice(days) if days else None


def _attendance(rng: random.Random, members: int) -> int:
    return min(members, rng.randint(3, 18)) if members else 0


def seed_theme_days(seed: int, pairings: list[Pairing], today: datetime.date) -> int:
    done = set(ThemeDay.objects.values_list("pairing_id", flat=True).distinct())
    months = _month_starts(today)
    rows = []
    for pairing in pairings:
        if pairing.pk in done:
            continue
        # One generator per pairing: a pairing that drew no days draws none again on a re-run.
        rng = random.Random(f"{seed}:theme_days:{pairing.pk}")
        hi = min(today, pairing.dissolved_on or today)
        for month in months:
            current = month.year == today.year and month.month == today.month
            if rng.random() < (0.45 if current else 0.1):
                continue  # a missing month (red); many pairings have not met yet this month
            weekend = rng.random() < 0.8
            held_on = _day_in(rng, month, weekend=weekend, lo=pairing.started_on, hi=hi) or _day_in(
                rng, month, weekend=not weekend, lo=pairing.started_on, hi=hi
            )
            if held_on is None:
                continue
            roll = rng.random()
            if current or (today - held_on).days < 10:
                status = ThemeDayStatus.PENDING if roll < 0.6 else ThemeDayStatus.CONFIRMED
            else:
                status = (
                    ThemeDayStatus.CONFIRMED
                    if roll < 0.9
                    else (ThemeDayStatus.PENDING if roll < 0.97 else ThemeDayStatus.RETURNED)
                )
            side = pairing.helper if rng.random() < 0.7 else pairing.partner
            rows.append(
                ThemeDay(
                    pairing=pairing,
                    recorded_by_branch=side,
                    held_on=held_on,
                    theme=rng.choice(THEMES),
                    place=rng.choice(PLACES),
                    summary="",
                    helper_attendance=_attendance(rng, pairing.helper.member_count),
                    partner_attendance=_attendance(rng, pairing.partner.member_count),
                    status=status,
                    return_reason="请补充活动照片和参加人员名单。" if status == ThemeDayStatus.RETURNED else "",
                )
            )
    insert_with_history(ThemeDay, rows, user=None)
    return len(rows)


def seed_joint_activities(rng: random.Random, pairings: list[Pairing], today: datetime.date) -> int:
    done = set(JointActivity.objects.values_list("pairing_id", flat=True).distinct())
    start = _month_starts(today)[0]
    rows = []
    for pairing in pairings:
        if pairing.pk in done:
            continue
        lo = max(start, pairing.started_on)
        span = (min(today, pairing.dissolved_on or today) - lo).days
        if span < 0:
            continue
        for _ in range(rng.randint(1, 4)):
            kind = rng.choice(list(JOINT))
            rows.append(
                JointActivity(
                    pairing=pairing,
                    recorded_by_branch=pairing.helper,
                    kind=kind,
                    held_on=lo + datetime.timedelta(days=rng.randint(0, span)),
                    title=rng.choice(JOINT[kind]),
                    participants=rng.randint(3, 30),
                    persons_visited=rng.randint(2, 20) if kind == ActivityKind.VISIT else 0,
                )
            )
    insert_with_history(JointActivity, rows, user=None)
    return len(rows)


def _month_end(year: int, month: int) -> datetime.date:
    return datetime.date(year + month // 12, month % 12 + 1, 1) - datetime.timedelta(days=1)


def seed_key_tasks(seed: int, today: datetime.date) -> int:
    county = Region.objects.filter(name=DEMO_COUNTY, level="county").first()
    if county is None:
        return 0
    half = Half.FIRST if today.month <= 6 else Half.SECOND
    task_list = KeyTaskList.objects.filter(region=county, year=today.year, half=half).first()
    if task_list is None:
        task_list = KeyTaskList.objects.create(region=county, year=today.year, half=half)
        # Items fall due through the half year (two months apart, the last at its end), so the
        # demo's progress figures have items already due.
        first_month = 1 if half == Half.FIRST else 7
        KeyTask.objects.bulk_create(
            [
                KeyTask(task_list=task_list, title=t, description=d, due_on=_month_end(today.year, due_month), order=i)
                for i, (t, d) in enumerate(N_TASKS, start=1)
                for due_month in [min(first_month + 2 * i - 1, first_month + 5)]
            ]
        )
    tasks = list(task_list.tasks.all())
    pairings = Pairing.objects.filter(scope.region_pairing_q(county), status=PairingStatus.ACTIVE).order_by("pk")
    existing = set(KeyTaskReport.objects.filter(task__in=tasks).values_list("task_id", "pairing_id"))
    rows = []
    for pairing_id in pairings.values_list("pk", flat=True):
        rng = random.Random(f"{seed}:key_tasks:{pairing_id}")
        for task in tasks:
            skip = rng.random() < 0.2
            status = rng.choices(TaskProgress.values, weights=[1, 3, 4])[0]
            if skip or (task.pk, pairing_id) in existing:
                continue
            rows.append(KeyTaskReport(task=task, pairing_id=pairing_id, status=status, note=""))
    insert_with_history(KeyTaskReport, rows, user=None)
    return len(rows)


@transaction.atomic
def seed(*, seed: int, branches: int, stdout) -> None:
    if branches <= 0:
        return
    today = timezone.localdate()
    pairings = list(
        Pairing.objects.filter(Q(status=PairingStatus.ACTIVE) | Q(dissolved_on__gte=_month_starts(today)[0]))
        .select_related("helper", "partner")
        .order_by("pk")
    )
    days = seed_theme_days(seed, pairings, today)
    joint = seed_joint_activities(random.Random(f"{seed}:joint"), pairings, today)
    reports = seed_key_tasks(seed, today)
    stdout.write(f"  theme days: {days} new, joint activities: {joint} new, N-task reports: {reports} new")
