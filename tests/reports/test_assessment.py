"""The quarterly assessment workbook: contents read back, formulas refused, agreement with the
snapshot, weights, the command, the export task, and the scope of every view."""

import datetime
import io

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports import periods, workbook
from reports.models import AssessmentExport, AssessmentWeights, Snapshot
from reports.selectors.assessment import FIGURE_KEYS
from reports.services.assessment_exports import assessment_export_build
from reports.services.assessment_scores import score
from reports.services.snapshots import region_figures, snapshots_refresh
from tests.factories import (
    PASSWORD,
    BranchFactory,
    PairingFactory,
    PartnerBranchFactory,
    UnitFactory,
    UserFactory,
)
from tests.uploads import served_safely
from twinning.files import XLSX
from volunteers.selectors import Quarter

pytestmark = pytest.mark.django_db

Q1 = Quarter(2022, 1)
WEIGHTS = AssessmentWeights().as_dict()


def _write(region, quarter=Q1, weights=WEIGHTS):
    out = io.BytesIO()
    workbook.workbook_write(region=region, quarter=quarter, weights=weights, out=out)
    out.seek(0)
    return openpyxl.load_workbook(out)


def _rows(ws):
    header = [c.value for c in ws[1]]
    return [dict(zip(header, row, strict=False)) for row in ws.iter_rows(min_row=2, values_only=True)]


def test_unit_and_branch_rows_have_the_known_figures(small_world):
    wb = _write(small_world.city)
    assert wb.sheetnames == ["单位考核", "支部明细", "说明"]
    unit = {r["单位"]: r for r in _rows(wb["单位考核"])}["平桥区委办"]
    assert unit == {
        "单位": "平桥区委办",
        "层级": "县区",
        "县区": "平桥区",
        "支部数": 1,
        "已结对支部": 1,
        "主题党日应开展": 3,
        "主题党日已开展": 3,
        "主题党日已确认": 2,
        "重点任务完成项": 2,
        "重点任务应完成项": 3,
        "本年认领项目": 2,
        "本季度社区活动": 1,
        "报到党员": 2,
        "服务满10小时党员": 1,
        # 20×1 + 25×2/3 + 20×2/3 + 10×1 + 10×1 + 15×1/2 = 77.5 exactly
        "得分": 77.5,
    }
    branch_rows = {r["支部编码"]: r for r in _rows(wb["支部明细"])}
    u1 = branch_rows[small_world.units[0].code]
    assert (u1["主题党日已确认"], u1["重点任务完成项"], u1["得分"]) == (2, 2, 77.5)
    u2 = branch_rows[small_world.units[1].code]  # p2's helper: claims P2, answers a whistle
    assert (u2["本年认领项目"], u2["本季度社区活动"], u2["主题党日应开展"], u2["主题党日已确认"]) == (1, 2, 2, 2)
    village = branch_rows[small_world.pairings[0].partner.code]
    assert village["本年认领项目"] is None and village["主题党日已确认"] == 2


def test_missed_targets_are_red_and_sheets_are_set_up_for_print(small_world):
    wb = _write(small_world.city)
    ws = wb["单位考核"]
    header = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "平桥区委办")
    red = {header[i] for i, c in enumerate(row) if c.fill.fgColor.rgb == "00FFC7CE"}
    assert red == {"主题党日已确认", "重点任务完成项", "服务满10小时党员"}
    for name in ("单位考核", "支部明细"):
        ws = wb[name]
        assert ws.freeze_panes == "A2"
        assert ws.print_title_rows == "$1:$1"
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.column_dimensions["A"].width > 8
        assert ws["A1"].font.bold
    assert wb["单位考核"]["O2"].number_format == "0.00"


@pytest.mark.parametrize("name", ['=HYPERLINK("http://x","点击")', "+1+2", "-3", "@SUM(A1)", "=1+1"])
def test_text_that_looks_like_a_formula_stays_text(small_world, name):
    UnitFactory(county=small_world.a, name=name)
    wb = _write(small_world.city)
    cell = next(r[0] for r in wb["单位考核"].iter_rows(min_row=2) if r[0].value == name)
    assert cell.data_type == "s" and cell.value == name


def test_the_workbook_and_the_dashboard_agree(small_world):
    as_of = Q1.end
    snapshots_refresh(city=small_world.city, as_of=as_of)
    figures = Snapshot.objects.get(region=small_world.city, as_of=as_of).figures
    wb = _write(small_world.city)
    notes = list(wb["说明"].iter_rows(values_only=True))
    assert ("统计日期", "2022-03-31", None, None) in notes
    summary = {r[0]: r[1:] for r in notes if r[0]}
    for key, label, num, den in workbook.SUMMARY_ROWS:
        row = figures[key]
        assert summary[label] == (row["rate"] if row["rate"] is not None else "—", row[num], row[den]), label
    assert summary["本季度核实服务时长（小时）"][0] == figures["volunteers"]["verified_hours"] == 15.0


def _summary(wb):
    return {r[0]: r[1:] for r in wb["说明"].iter_rows(values_only=True) if r[0]}


def test_the_notes_print_the_dashboards_snapshot_of_the_date_when_there_is_one(small_world):
    as_of = Q1.end
    computed = _summary(_write(small_world.city))
    own, _children = region_figures(region=small_world.city, as_of=as_of)
    assert computed["结对覆盖率"][1:3] == (own["coverage"]["paired"], own["coverage"]["total"])
    # The workbook prints what the dashboard shows for that date, not a second computation.
    snapshots_refresh(city=small_world.city, as_of=as_of)
    snapshot = Snapshot.objects.get(region=small_world.city, as_of=as_of)
    snapshot.figures["coverage"] = {"paired": 7, "total": 9, "rate": 77.77}
    snapshot.save(update_fields=["figures"])
    assert _summary(_write(small_world.city))["结对覆盖率"][:3] == (77.77, 7, 9)


def test_the_workbook_runs_the_same_queries_for_many_more_rows(small_world):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            _write(small_world.city)
        return len(captured)

    few = queries()
    for _ in range(20):
        unit = UnitFactory(county=small_world.b)
        PairingFactory(
            partner=PartnerBranchFactory(county=small_world.b),
            helper=BranchFactory(county=small_world.b, unit=unit),
            started_on=datetime.date(2022, 1, 1),
        )
    assert queries() == few


def test_the_weights_used_are_printed(small_world):
    weights = {**WEIGHTS, "w_paired": 40, "w_members": 0, "w_theme_days": 20}
    wb = _write(small_world.city, weights=weights)
    notes = {r[0]: r[1] for r in wb["说明"].iter_rows(values_only=True) if r[0]}
    assert notes["结对覆盖（已结对支部÷支部数）"] == 40
    assert notes["党员服务时长（满10小时÷报到党员）"] == 0


def test_a_county_workbook_holds_only_the_county(small_world):
    other = BranchFactory(county=small_world.b, unit=UnitFactory(county=small_world.b, name="商城县委办"))
    wb = _write(small_world.a)
    assert "商城县委办" not in {r["单位"] for r in _rows(wb["单位考核"])}
    assert other.code not in {r["支部编码"] for r in _rows(wb["支部明细"])}


def test_score_applies_only_components_with_a_denominator():
    row = dict.fromkeys(FIGURE_KEYS, 0)
    assert score(row, WEIGHTS, volunteer=False) is None
    row.update(branches=3, paired=2)
    assert score(row, WEIGHTS, volunteer=False) == 66.66


def test_export_assessment_command(small_world, tmp_path):
    out = tmp_path / "q.xlsx"
    call_command("export_assessment", "--quarter", "2022Q1", "-o", str(out), stdout=io.StringIO())
    assert openpyxl.load_workbook(out).sheetnames == ["单位考核", "支部明细", "说明"]
    call_command("export_assessment", "--quarter", "2022q1", "-o", str(out), "--region", "平桥区", stdout=io.StringIO())
    with pytest.raises(CommandError, match="2024Q3"):
        call_command("export_assessment", "--quarter", "2022Q5", "-o", str(out))


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def _start(client, captured, **data):
    from django.utils import timezone

    from reports.periods import recent_quarters

    previous = recent_quarters(today=timezone.localdate())[1]
    with captured(execute=True):
        return client.post(reverse("reports:assessment"), {"quarter": f"{previous.year}Q{previous.number}", **data})


def test_staff_export_watch_progress_and_download(client, small_world, django_capture_on_commit_callbacks):
    staff = UserFactory.staff(region=small_world.city)
    AssessmentWeights.objects.create(city=small_world.city, w_paired=30, w_members=5)
    login(client, staff)
    assert client.get(reverse("reports:assessment")).status_code == 200
    response = _start(client, django_capture_on_commit_callbacks)
    export = AssessmentExport.objects.get()
    assert response["Location"] == reverse("reports:assessment_detail", args=[export.pk])
    assert export.status == "done" and export.weights["w_paired"] == 30 and export.file.name.startswith("private/")
    status = client.get(response["Location"], HTTP_ACCEPT="application/json").json()
    assert status == {"status": "done", "percent": 100, "error": ""}
    page = client.get(response["Location"]).content.decode()
    assert reverse("reports:assessment_download", args=[export.pk]) in page
    download = client.get(reverse("reports:assessment_download", args=[export.pk]))
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    assert served_safely(download, content_type=XLSX, inline=False)
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert wb.sheetnames == ["单位考核", "支部明细", "说明"]
    # the file is not reachable under /media/
    assert client.get(f"/media/{export.file.name}").status_code == 404


def test_county_staff_export_only_their_county(client, small_world, django_capture_on_commit_callbacks):
    login(client, UserFactory.staff(region=small_world.a))
    assert client.get(reverse("reports:assessment"), {"region": small_world.city.pk}).status_code == 404
    assert client.get(reverse("reports:assessment"), {"region": small_world.b.pk}).status_code == 404
    _start(client, django_capture_on_commit_callbacks)
    assert AssessmentExport.objects.get().region == small_world.a
    city_export = AssessmentExport.objects.create(region=small_world.city, year=2022, quarter=1, status="done")
    assert client.get(reverse("reports:assessment_detail", args=[city_export.pk])).status_code == 404
    assert client.get(reverse("reports:assessment_download", args=[city_export.pk])).status_code == 404


@pytest.mark.parametrize("role", ["leader", "secretary"])
def test_other_roles_cannot_export(client, small_world, role):
    user = (
        UserFactory.leader(region=small_world.city)
        if role == "leader"
        else UserFactory.secretary(branch=small_world.units[0])
    )
    login(client, user)
    assert client.get(reverse("reports:assessment")).status_code == 403
    assert client.post(reverse("reports:assessment"), {"quarter": "2022Q1"}).status_code == 403
    export = AssessmentExport.objects.create(region=small_world.city, year=2022, quarter=1, status="done")
    assert client.get(reverse("reports:assessment_download", args=[export.pk])).status_code in (403, 404)
    assert not AssessmentExport.objects.exclude(pk=export.pk).exists()


def test_the_task_applies_the_scope_again(small_world):
    staff = UserFactory.staff(region=small_world.a)
    export = AssessmentExport.objects.create(region=small_world.city, year=2022, quarter=1, requested_by=staff)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        assessment_export_build(export_id=export.pk)
    export.refresh_from_db()
    assert export.status == "failed" and not export.file


def test_city_staff_set_weights_and_a_bad_sum_is_refused(client, small_world):
    staff = UserFactory.staff(region=small_world.city)
    login(client, staff)
    url = reverse("reports:assessment_weights")
    assert client.get(url).status_code == 200
    data = {**WEIGHTS, "w_paired": 50}
    response = client.post(url, data)
    assert "各项权重之和必须为 100" in response.content.decode()
    assert not AssessmentWeights.objects.exists()
    data["w_theme_days"] = 0
    data["w_members"] = 10
    assert client.post(url, data).status_code == 302  # 50 + 0 + 20 + 10 + 10 + 10
    weights = AssessmentWeights.objects.get()
    assert weights.w_paired == 50 and weights.history.first().history_user == staff


def test_county_staff_and_leaders_cannot_set_weights(client, small_world):
    login(client, UserFactory.staff(region=small_world.a))
    assert client.get(reverse("reports:assessment_weights")).status_code == 403
    client.logout()
    login(client, UserFactory.leader(region=small_world.city))
    assert client.get(reverse("reports:assessment_weights")).status_code == 403


def test_parse_quarter():
    assert periods.parse_quarter("2024q3") == Quarter(2024, 3)
    for bad in ("2024Q0", "2024", "Q3", "abcdQ1"):
        with pytest.raises(ValueError):
            periods.parse_quarter(bad)
    assert periods.quarter_as_of(Quarter(2022, 1)) == datetime.date(2022, 3, 31)


def test_beat_schedule_points_to_registered_tasks():
    from django.conf import settings

    from twinning.celery import app

    entries = {k: v for k, v in settings.CELERY_BEAT_SCHEDULE.items() if k.startswith("reports-")}
    assert {"reports-nightly", "reports-month-end", "reports-quarter-end"} <= set(entries)
    app.loader.import_default_modules()
    for entry in entries.values():
        assert entry["task"] in app.tasks


@pytest.mark.parametrize(
    ("period", "today", "expected"),
    [
        ("month", datetime.date(2024, 3, 1), datetime.date(2024, 2, 29)),
        ("month", datetime.date(2024, 1, 1), datetime.date(2023, 12, 31)),
        ("quarter", datetime.date(2024, 7, 1), datetime.date(2024, 6, 30)),
        ("quarter", datetime.date(2024, 1, 1), datetime.date(2023, 12, 31)),
        ("quarter", datetime.date(2024, 5, 1), datetime.date(2024, 3, 31)),
    ],
)
def test_beat_periods_end_on_the_last_day_before(period, today, expected):
    from reports.periods import period_end

    assert period_end(period, today=today) == expected


def test_the_month_end_refresh_writes_the_previous_month(small_world, monkeypatch):
    from django.utils import timezone

    from reports.tasks import refresh_snapshots

    monkeypatch.setattr(timezone, "localdate", lambda *a: datetime.date(2022, 4, 1))
    refresh_snapshots.apply(kwargs={"period": "month"}, throw=True)
    assert set(Snapshot.objects.values_list("as_of", flat=True)) == {datetime.date(2022, 3, 31)}
