"""Demo registry for ``seed_demo``: the Xinyang region tree, units, branches, grades, optimisation.

Idempotent: everything is keyed by natural keys (names, branch codes) and created only
when missing, so re-running with the same seed adds nothing.
"""

from __future__ import annotations

import datetime
import random

from django.db import transaction
from django.utils import timezone

from twinning.audit import insert_with_history

from . import demo_data as data
from .choices import BranchKind, Grade, OptimisationAction, RegionLevel, UnitLevel
from .models import Branch, BranchGrade, OptimisationCampaign, OptimisationRecord, Pairing, Region, Unit

VILLAGES_PER_TOWNSHIP = (4, 12)
COMMUNITIES_PER_SUBDISTRICT = (3, 8)


def person_name(rng: random.Random) -> str:
    return rng.choice(data.SURNAMES) + rng.choice(data.GIVEN_NAMES)


def phone_number(rng: random.Random) -> str:
    return rng.choice(["138", "139", "137", "158", "159", "186", "187", "135", "150", "152"]) + "".join(
        str(rng.randrange(10)) for _ in range(8)
    )


def _region(name: str, level: str, parent: Region | None, *, central: bool = False) -> Region:
    region = Region.objects.filter(parent=parent, name=name).first()
    if region is None:
        region = Region(name=name, level=level, parent=parent, is_central_city=central)
        region.save()
    return region


def seed_regions(rng: random.Random) -> Region:
    """The city, its 10 counties/districts, their townships and their villages and communities."""
    city = _region(data.CITY, RegionLevel.CITY, None)
    for county_name, (central, townships) in data.COUNTIES.items():
        county = _region(county_name, RegionLevel.COUNTY, city, central=central)
        for township_name in townships:
            is_subdistrict = township_name.endswith("街道")
            township = _region(township_name, RegionLevel.TOWNSHIP, county, central=central and is_subdistrict)
            if township.children.exists():
                continue
            children = []
            if is_subdistrict:
                names = rng.sample(data.COMMUNITY_NAMES, rng.randint(*COMMUNITIES_PER_SUBDISTRICT))
                children = [(f"{n}社区", RegionLevel.COMMUNITY) for n in names]
            else:
                seen: set[str] = set()
                while len(seen) < rng.randint(*VILLAGES_PER_TOWNSHIP):
                    seen.add(rng.choice(data.VILLAGE_STEMS) + rng.choice(data.VILLAGE_SUFFIXES) + "村")
                children = [(n, RegionLevel.VILLAGE) for n in sorted(seen)]
                children.append((township_name[:-1] + "集镇社区", RegionLevel.COMMUNITY))
            for name, level in children:
                _region(name, level, township, central=central and is_subdistrict)
    # The community of the seed article: 平桥区东平湖社区, twinned with the 市委办公室.
    _region(
        "东平湖社区", RegionLevel.COMMUNITY, Region.objects.get(parent__name="平桥区", name="平桥街道"), central=True
    )
    return city


def _branch_plan(rng: random.Random, city: Region, total: int) -> list[Branch]:
    """Decide every demo branch (unsaved): ~20% 市直, the rest spread over counties by weight,
    each county about half unit branches and half village/community branches."""
    plan: list[Branch] = []
    n_city = round(total * 0.2)
    units = {u.name: u for u in Unit.objects.filter(city=city)}

    def unit_branch(unit: Unit, kind: str, county: Region | None, seq: int, prefix: str) -> Branch:
        name_index = seq % len(data.UNIT_BRANCH_NAMES)
        suffix = data.UNIT_BRANCH_NAMES[name_index]
        if seq >= len(data.UNIT_BRANCH_NAMES):
            suffix = f"第{seq + 1}党支部"
        return Branch(
            code=f"{prefix}{len(plan) + 1:05d}",
            name=f"{unit.name}{suffix}",
            kind=kind,
            level=unit.level,
            city=city,
            county=county,
            unit=unit,
            secretary_name=person_name(rng),
            secretary_phone=phone_number(rng),
            member_count=rng.randint(5, 60),
        )

    city_units = [(units[name], kind) for name, kind in data.CITY_UNITS]
    for i in range(n_city):
        unit, kind = city_units[i % len(city_units)]
        plan.append(unit_branch(unit, kind, None, i // len(city_units), "411500"))

    counties = list(Region.objects.filter(parent=city, level=RegionLevel.COUNTY).order_by("path"))
    weights = [data.COUNTY_WEIGHT[c.name] for c in counties]
    remaining = total - n_city
    shares = [remaining * w // sum(weights) for w in weights]
    shares[-1] += remaining - sum(shares)
    for index, (county, share) in enumerate(zip(counties, shares, strict=True)):
        prefix = f"4115{index + 1:02d}"
        villages = list(
            Region.objects.filter(
                path__startswith=county.path, level__in=[RegionLevel.VILLAGE, RegionLevel.COMMUNITY]
            ).select_related("parent")
        )
        rng.shuffle(villages)
        n_partners = min(len(villages), share // 2 + rng.randint(0, max(1, share // 20)))
        county_units = [(units[f"{county.name}{dept[1:]}"], kind) for dept, kind in data.COUNTY_DEPARTMENTS]
        for i in range(share - n_partners):
            unit, kind = county_units[i % len(county_units)]
            plan.append(unit_branch(unit, kind, county, i // len(county_units), prefix))
        for village in villages[:n_partners]:
            is_community = village.level == RegionLevel.COMMUNITY
            plan.append(
                Branch(
                    code=f"{prefix}{len(plan) + 1:05d}",
                    name=f"{village.parent.name}{village.name}党支部",
                    kind=BranchKind.COMMUNITY if is_community else BranchKind.VILLAGE,
                    level=UnitLevel.COUNTY,
                    city=city,
                    county=county,
                    township=village.parent,
                    region=village,
                    secretary_name=person_name(rng),
                    secretary_phone=phone_number(rng),
                    member_count=rng.randint(8, 90),
                )
            )
    return plan


def seed_units(city: Region) -> None:
    existing = set(Unit.objects.filter(city=city).values_list("name", flat=True))
    new = [Unit(name=name, level=UnitLevel.CITY, city=city) for name, _ in data.CITY_UNITS if name not in existing]
    for county in Region.objects.filter(parent=city, level=RegionLevel.COUNTY):
        for dept, _kind in data.COUNTY_DEPARTMENTS:
            name = f"{county.name}{dept[1:]}"
            if name not in existing:
                new.append(Unit(name=name, level=UnitLevel.COUNTY, city=city, county=county))
    Unit.objects.bulk_create(new)


def seed_branches(rng: random.Random, city: Region, total: int) -> int:
    plan = _branch_plan(rng, city, total)
    existing = set(Branch.objects.filter(code__in=[b.code for b in plan]).values_list("code", flat=True))
    new = [b for b in plan if b.code not in existing]
    insert_with_history(Branch, new, user=None)
    return len(new)


def seed_grades_and_optimisation(rng: random.Random, city: Region) -> None:
    """Grade every branch for this and last year (villages lean weaker) and optimise ~96-99% of them."""
    year = timezone.localdate().year
    branches = list(Branch.objects.filter(city=city).only("pk", "kind", "level").order_by("code"))
    graded = set(BranchGrade.objects.filter(branch__city=city).values_list("branch_id", "year"))
    grades = []
    for branch in branches:
        weights = (25, 45, 30) if branch.is_partner_side else (45, 40, 15)
        for y in (year - 1, year):
            grade = rng.choices([Grade.GOOD, Grade.MEDIUM, Grade.WEAK], weights=weights)[0]
            if (branch.pk, y) not in graded:
                grades.append(BranchGrade(branch=branch, year=y, grade=grade))
    insert_with_history(BranchGrade, grades, user=None)

    campaign, _ = OptimisationCampaign.objects.get_or_create(
        city=city,
        name=f"{year}年支部建设优化提升",
        defaults={"starts_on": datetime.date(year, 1, 1), "is_current": True},
    )
    done = set(OptimisationRecord.objects.filter(campaign=campaign).values_list("branch_id", flat=True))
    actions = list(OptimisationAction.values)
    days_so_far = (timezone.localdate() - datetime.date(year, 1, 1)).days
    records = []
    for branch in branches:
        # Draw every value whether or not it is used, so re-runs stay in step.
        rate = 0.9609 if branch.level == UnitLevel.CITY else 0.9946
        roll, action = rng.random(), rng.choice(actions)
        day = datetime.date(year, 1, 1) + datetime.timedelta(days=rng.randrange(days_so_far + 1))
        if branch.pk not in done and roll < rate:
            records.append(OptimisationRecord(branch=branch, campaign=campaign, action=action, done_on=day))
    insert_with_history(OptimisationRecord, records, user=None)
    Branch.refresh_optimised(city_id=city.pk)  # the flag follows the records (services.registry)


@transaction.atomic
def seed(*, seed: int, branches: int, stdout) -> None:
    # Each stage draws from its own generator, so a re-run makes the same choices
    # whatever the earlier stages found already in place.
    city = seed_regions(random.Random(f"{seed}:regions"))
    stdout.write(f"  regions: {Region.objects.count()}")
    if branches <= 0:
        return
    seed_units(city)
    created = seed_branches(random.Random(f"{seed}:branches"), city, branches)
    seed_grades_and_optimisation(random.Random(f"{seed}:grades"), city)
    stdout.write(f"  branches: {Branch.objects.count()} ({created} new)")
    seed_pairings(random.Random(f"{seed}:pairings"), city)
    stdout.write(f"  pairings: {Pairing.objects.filter(status='active').count()} active")


# Pairing stage (issue 4) ------------------------------------------------------------------------

UNCOVERED_PER_REGION = (0, 2)


def seed_pairings(rng: random.Random, city: Region) -> None:
    """Create the current campaign and pair the demo branches through the draw service, county by
    county and at the city level, leaving a few partners out so that the coverage page has work.

    A region that already has a draw in the campaign is skipped, so re-runs add nothing.
    """
    from .models import Draw, PairingCampaign
    from .services import draw as draw_services
    from .services.pairings import campaign_current, campaign_name

    year = timezone.localdate().year
    # The demo campaign began with the year, so the pairings have months of history behind them.
    PairingCampaign.objects.get_or_create(
        city=city,
        name=campaign_name(city=city, year=year),
        defaults={"year": year, "starts_on": datetime.date(year, 1, 1), "is_current": True},
    )
    campaign = campaign_current(city=city)
    regions = [city, *Region.objects.filter(parent=city, level=RegionLevel.COUNTY).order_by("path")]
    drawn = set(Draw.objects.filter(campaign=campaign).values_list("region_id", flat=True))
    for region in regions:
        # Draw every value whether or not it is used, so re-runs stay in step.
        draw_seed = rng.randrange(1, 10**9)
        preview = draw_services.draw_preview(region=region, seed=draw_seed, acting_user=None)
        partners = sorted(preview.inputs["partners"])
        leave_out = rng.randint(*UNCOVERED_PER_REGION)
        excluded = frozenset(rng.sample(partners, min(leave_out, len(partners))))
        if region.pk in drawn or not preview.result.pairs:
            continue
        # The demo programme runs since the campaign began, so a year of theme days can follow.
        draw_services.draw_confirm(
            region=region,
            seed=draw_seed,
            fingerprint=None,
            acting_user=None,
            exclude_codes=excluded,
            started_on=campaign.starts_on,
        )


def pair_demo_secretaries(*, helper: Branch, partner: Branch) -> None:
    """Make the demo secretaries' branches a pair, so the demo pair works end to end (idempotent)."""
    from .choices import PairingStatus
    from .models import Pairing
    from .services import pairings as services

    reason = "演示数据调整"
    active = Pairing.objects.filter(status=PairingStatus.ACTIVE, campaign__is_current=True)
    if active.filter(helper=helper, partner=partner).exists():
        return
    helper_pairing = active.filter(helper=helper).order_by("slot").first()
    partner_pairing = active.filter(partner=partner).first()
    if helper_pairing and partner_pairing:
        services.pairing_swap(first=helper_pairing, second=partner_pairing, acting_user=None, reason=reason)
    elif partner_pairing:
        services.pairing_repair(pairing=partner_pairing, helper=helper, acting_user=None, reason=reason)
    else:
        if helper_pairing:
            services.pairing_dissolve(pairing=helper_pairing, acting_user=None, reason=reason)
        services.pairing_create(helper=helper, partner=partner, acting_user=None)
    pairing = active.get(helper=helper, partner=partner)
    services.pairing_people_update(
        pairing=pairing,
        acting_user=None,
        data={"liaison_officers": "刘联络（138****6621）", "part_time_secretary": helper.secretary_name},
    )
