"""The assessment workbook at the cell level, on a varied dataset (seed_demo): every unit and branch
row is recounted here from the raw rows, one pairing, theme day and claim at a time, and each
cell's value and red fill must match. The workbook's grouped queries, the figures summed from
branches to units and the cells built once per distinct set of figures all answer to this."""

import datetime
import io
from collections import defaultdict

import openpyxl
import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from activities.choices import TaskProgress, ThemeDayStatus
from activities.models import KeyTask, KeyTaskList, KeyTaskReport, ThemeDay
from activities.selectors import month_end
from pairing import scope
from pairing.choices import HELPER_KINDS, RegionLevel
from pairing.models import Branch, Pairing, Region, Unit
from reports import periods, workbook
from reports.selectors.assessment import FIGURE_KEYS, weights_for
from reports.services.assessment_scores import misses, score
from volunteers.choices import MEMBER_QUARTER_TARGET_HOURS, HourStatus, RegistrationKind, RegistrationStatus
from volunteers.models import Claim, HourEntry, Registration, WhistleResponse
from volunteers.selectors import Quarter

pytestmark = pytest.mark.django_db
RED = "00FFC7CE"


def _active_on(pairing, day):
    return pairing.started_on <= day and (pairing.dissolved_on is None or pairing.dissolved_on > day)


def _recount(region, quarter):
    """{branch id: figures}, {unit id: figures} counted row by row, the slow and obvious way."""
    as_of = periods.quarter_as_of(quarter)
    in_region = {"city" if region.level == RegionLevel.CITY else "county": region}
    branches = {b.pk: b for b in Branch.objects.filter(**in_region)}
    figures = {pk: dict.fromkeys(FIGURE_KEYS, 0) | {"branches": 1} for pk in branches}

    months = [datetime.date(quarter.year, m, 1) for m in range(quarter.start.month, quarter.end.month + 1)]
    months = [m for m in months if m <= as_of]
    city = region if region.level == RegionLevel.CITY else region.parent
    lists = [
        tl
        for tl in KeyTaskList.objects.filter(year=as_of.year, half=1 if as_of.month <= 6 else 2)
        if tl.region.path.startswith(city.path)
    ]
    due_items = {tl.pk: KeyTask.objects.filter(task_list=tl, due_on__lte=as_of).count() for tl in lists}
    for pairing in Pairing.objects.all():
        sides = [pk for pk in (pairing.helper_id, pairing.partner_id) if pk in branches]
        if not sides:
            continue
        row = dict.fromkeys(FIGURE_KEYS, 0)
        for month in months:
            last = min(month_end(month), as_of)
            if not (pairing.started_on <= last and (pairing.dissolved_on is None or pairing.dissolved_on >= month)):
                continue
            statuses = set(
                ThemeDay.objects.filter(pairing=pairing, held_on__range=(month, last)).values_list("status", flat=True)
            )
            row["td_due"] += 1
            row["td_held"] += bool(statuses - {ThemeDayStatus.RETURNED})
            row["td_confirmed"] += ThemeDayStatus.CONFIRMED in statuses
        if _active_on(pairing, as_of):
            for tl in lists:
                if Pairing.objects.filter(scope.region_pairing_q(tl.region), pk=pairing.pk).exists():
                    row["n_due"] += due_items[tl.pk]
            row["n_done"] = KeyTaskReport.objects.filter(
                pairing=pairing, status=TaskProgress.DONE, task__task_list__in=lists, task__due_on__lte=as_of
            ).count()
        for pk in sides:
            for key, value in row.items():
                figures[pk][key] += value
            figures[pk]["paired"] = max(figures[pk]["paired"], int(_active_on(pairing, as_of)))

    units = {pk: dict.fromkeys(FIGURE_KEYS, 0) for pk in Unit.objects.values_list("pk", flat=True)}
    for pk, branch in branches.items():
        if branch.unit_id:
            for key in ("branches", "paired", "td_due", "td_held", "td_confirmed", "n_done", "n_due"):
                units[branch.unit_id][key] += figures[pk][key]

    def add_distinct(key, pairs):
        """pairs of (branch id, thing): count distinct things per branch and per unit."""
        seen = defaultdict(set)
        for branch_id, thing in pairs:
            if branch_id in branches:
                seen[("b", branch_id)].add(thing)
                if branches[branch_id].unit_id:
                    seen[("u", branches[branch_id].unit_id)].add(thing)
        for (level, pk), things in seen.items():
            (figures if level == "b" else units)[pk][key] += len(things)

    claims = Claim.objects.select_related("project", "registration")
    add_distinct(
        "year_projects",
        [(c.registration.branch_id, c.project_id) for c in claims if c.project.starts_on.year == quarter.year],
    )
    add_distinct(
        "quarter_activities",
        [
            (c.registration.branch_id, ("p", c.project_id))
            for c in claims
            if quarter.start <= c.project.starts_on <= quarter.end
        ]
        + [
            (r.registration.branch_id, ("w", r.whistle_id))
            for r in WhistleResponse.objects.select_related("whistle", "registration")
            if quarter.start <= r.whistle.happens_on <= quarter.end
        ],
    )
    members = Registration.objects.filter(kind=RegistrationKind.MEMBER, status=RegistrationStatus.ACCEPTED)
    on_target = []
    for registration in members.select_related("member"):
        minutes = sum(
            HourEntry.objects.filter(
                member=registration.member, status=HourStatus.VERIFIED, served_on__range=(quarter.start, quarter.end)
            ).values_list("minutes", flat=True)
        )
        if minutes >= MEMBER_QUARTER_TARGET_HOURS * 60:
            on_target.append((registration.member.branch_id, registration.member_id))
    add_distinct("members", [(r.member.branch_id, r.member_id) for r in members.select_related("member")])
    add_distinct("members_on_target", on_target)
    return figures, units


def _expected(row, weights, *, volunteer):
    missed = misses(row, volunteer=volunteer)
    values = dict(row, score=score(row, weights, volunteer=volunteer))
    if not volunteer:
        values["year_projects"] = values["quarter_activities"] = None
    return values, missed


def _branch_order(branch):
    """By county, township (paths) and code, a missing region where the database sorts NULL."""
    missing = "\uffff" if connection.features.nulls_order_largest else ""
    return (
        branch.county.path if branch.county else missing,
        branch.township.path if branch.township else missing,
        branch.code,
    )


def _sheet(ws):
    header = [c.value for c in ws[1]]
    rows = []
    for cells in ws.iter_rows(min_row=2):
        values = dict(zip(header, (c.value for c in cells), strict=False))
        red = {header[i] for i, c in enumerate(cells) if c.fill.fgColor.rgb == RED}
        rows.append((values, red))
    return rows


def test_every_unit_and_branch_cell_matches_a_row_by_row_recount(settings, tmp_path):
    call_command("seed_demo", "--branches", "500", "--seed", "5", stdout=io.StringIO(), stderr=io.StringIO())
    today = timezone.localdate()
    current = Quarter.of(today)
    previous = Quarter(current.year - 1, 4) if current.number == 1 else Quarter(current.year, current.number - 1)
    # What seed_demo has little of: pairings dissolved in either quarter, returned theme days, a
    # unit name Excel would take for a formula.
    for i, pairing in enumerate(Pairing.objects.order_by("pk")[::9]):
        day = (previous.start, previous.end, current.start, today)[i % 4] + datetime.timedelta(days=i % 20)
        Pairing.objects.filter(pk=pairing.pk).update(status="dissolved", dissolved_on=max(pairing.started_on, day))
    returned = list(ThemeDay.objects.order_by("pk").values_list("pk", flat=True))[::5]
    ThemeDay.objects.filter(pk__in=returned).update(status=ThemeDayStatus.RETURNED, return_reason="照片不清")
    Unit.objects.filter(pk=Branch.objects.filter(unit__isnull=False).order_by("code").first().unit_id).update(
        name="=SUM(A1)"
    )
    city = Region.objects.filter(level=RegionLevel.CITY).order_by("path").first()
    county = Branch.objects.filter(city=city, county__isnull=False).order_by("code").first().county
    label = {key: label for key, label, _width in workbook.BRANCH_HEADERS + workbook.UNIT_HEADERS}
    red_seen = red_missing = 0
    for region in (city, county):
        for quarter in (current, previous):
            weights = weights_for(city)
            out = tmp_path / f"{region.pk}-{quarter.number}.xlsx"
            workbook.workbook_write(region=region, quarter=quarter, weights=weights, out=out)
            wb = openpyxl.load_workbook(out)
            by_branch, by_unit = _recount(region, quarter)

            branches = Branch.objects.in_bulk(list(by_branch))
            rows = _sheet(wb["支部明细"])
            assert [values["支部编码"] for values, _red in rows] == [
                b.code for b in sorted(branches.values(), key=_branch_order)
            ]
            codes = {b.code: b for b in branches.values()}
            for values, red in rows:
                branch = codes[values["支部编码"]]
                expected, missed = _expected(by_branch[branch.pk], weights, volunteer=branch.kind in HELPER_KINDS)
                for key, value in expected.items():
                    if key != "branches":
                        assert values[label[key]] == value, (region.name, quarter, branch.code, key)
                assert red == {label[k] for k in missed}, (region.name, quarter, branch.code)
                assert values["所属单位"] == (branch.unit.name if branch.unit_id else None)
                red_seen += len(red)
                red_missing += len(set(expected) - set(missed) - {"branches", "score"})

            in_region = {"city": region} if region == city else {"county": region}
            units = {u.name: u for u in Unit.objects.filter(**in_region)}
            rows = _sheet(wb["单位考核"])
            assert sorted(values["单位"] for values, _red in rows) == sorted(units)
            for values, red in rows:
                unit = units[values["单位"]]
                expected, missed = _expected(by_unit[unit.pk], weights, volunteer=True)
                for key, value in expected.items():
                    assert values[label[key]] == value, (region.name, quarter, unit.name, key)
                assert red == {label[k] for k in missed}, (region.name, quarter, unit.name)
    # The dataset exercises both colours and the figures that need rows of their own.
    assert red_seen and red_missing
    assert ThemeDay.objects.exists() and KeyTaskReport.objects.exists() and Claim.objects.exists()
