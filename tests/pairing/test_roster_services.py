"""The roster import service: the rules, the scope, all-or-nothing, history, and the round trip."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from pairing.choices import Grade, RegionLevel, UnitLevel
from pairing.models import Branch, BranchGrade, OptimisationRecord, Region, Unit
from pairing.roster.columns import HEADERS
from pairing.roster.exports import city_branches, roster_export
from pairing.selectors import registry as registry_selectors
from pairing.services.roster import roster_import
from tests.factories import (
    BranchFactory,
    GradeFactory,
    OptimisationRecordFactory,
    RegionFactory,
    UnitFactory,
    UserFactory,
)

from .roster_support import roster_bytes, roster_regions, row  # noqa: F401

SAMPLE = "/work/shared/data/branch_roster_sample.xlsx"

pytestmark = pytest.mark.django_db


def existing(code, **kwargs):
    """A branch that equals ``row(code)`` field for field."""
    defaults = {
        "name": f"{code}党支部",
        "secretary_name": "王书记",
        "secretary_phone": "13812345678",
        "member_count": 20,
    }
    return BranchFactory(code=code, **(defaults | kwargs))


def run(rows, user, *, commit=True, **kwargs):
    return roster_import(fileobj=roster_bytes(rows, **kwargs), acting_user=user, commit=commit)


def messages(result) -> list[str]:
    return [str(e) for e in result.errors]


def test_sample_roster_imports_then_reimports_unchanged(roster_regions):  # noqa: F811
    with open(SAMPLE, "rb") as fileobj:
        result = roster_import(fileobj=fileobj, acting_user=roster_regions.staff_city, commit=True)

    assert result.ok and result.committed, messages(result)[:5]
    assert (result.created, result.updated, result.unchanged) == (350, 0, 0)
    assert Branch.objects.count() == 350
    assert BranchGrade.objects.filter(year=registry_selectors.current_year()).count() == 350
    assert OptimisationRecord.objects.filter(campaign=roster_regions.campaign).count() == 335

    with open(SAMPLE, "rb") as fileobj:
        again = roster_import(fileobj=fileobj, acting_user=roster_regions.staff_city, commit=True)

    assert (again.created, again.updated, again.unchanged) == (0, 0, 350)
    assert Branch.history.count() == 350


def test_dry_run_counts_but_writes_nothing(roster_regions):  # noqa: F811
    result = run(
        [row("C0001", township="新集镇", unit="商城县新单位", grade="好", optimised="是")],
        roster_regions.staff_county,
        commit=False,
    )

    assert result.ok and not result.committed
    assert result.created == 1 and result.new_townships == ["商城县 · 新集镇"] and result.new_units == ["商城县新单位"]
    assert not Branch.objects.exists() and not Unit.objects.exists()
    assert not Region.objects.filter(name="新集镇").exists()


def test_import_creates_townships_units_grades_and_optimisation_with_history(roster_regions):  # noqa: F811
    result = run(
        [
            row("C0001", kind="农村", township="新集镇", grade="强", optimised="是"),
            row("C0002", unit="商城县财政局", grade="", optimised="否"),
            row("S0001", level="市直", county="", unit="信阳市组织部"),
        ],
        roster_regions.staff_city,
    )

    assert result.ok, messages(result)
    village = Branch.objects.get(code="C0001")
    township = Region.objects.get(name="新集镇")
    assert village.township == township and township.parent == roster_regions.shangcheng
    assert (
        township.level == RegionLevel.TOWNSHIP
        and township.path == f"{roster_regions.shangcheng.path}{township.pk:06d}/"
    )
    county_unit = Unit.objects.get(name="商城县财政局")
    assert (county_unit.level, county_unit.county, county_unit.city) == (
        UnitLevel.COUNTY,
        roster_regions.shangcheng,
        roster_regions.city,
    )
    city_unit = Unit.objects.get(name="信阳市组织部")
    assert (city_unit.level, city_unit.county) == (UnitLevel.CITY, None)
    assert Branch.objects.get(code="S0001").county is None
    grade = BranchGrade.objects.get(branch=village)
    assert (grade.grade, grade.year, grade.graded_by) == (
        Grade.GOOD,
        registry_selectors.current_year(),
        roster_regions.staff_city,
    )
    assert not BranchGrade.objects.filter(branch__code="C0002").exists()
    record = OptimisationRecord.objects.get(branch=village)
    assert (record.campaign, record.action, record.note) == (roster_regions.campaign, "other", "名册导入")
    assert {h.history_user for h in Branch.history.all()} == {roster_regions.staff_city}
    assert grade.history.get().history_user == roster_regions.staff_city
    assert record.history.get().history_user == roster_regions.staff_city


def test_update_changes_only_what_differs_and_keeps_history(roster_regions):  # noqa: F811
    branch = BranchFactory(
        code="C0001",
        name="旧名称",
        county=roster_regions.shangcheng,
        member_count=10,
        secretary_phone="13812345678",
        secretary_name="王书记",
    )

    result = run([row("C0001", name="新名称", members=12)], roster_regions.staff_county)

    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    assert result.to_update[0].changes == [("支部名称", "旧名称", "新名称"), ("党员数", "10", "12")]
    branch.refresh_from_db()
    assert (branch.name, branch.member_count) == ("新名称", 12)
    latest = branch.history.latest()
    assert latest.history_type == "~" and latest.history_user == roster_regions.staff_county
    assert latest.prev_record is None or latest.name == "新名称"


def test_blank_grade_never_deletes_an_existing_grade_and_a_new_grade_replaces_it(roster_regions):  # noqa: F811
    branch = existing("C0001", county=roster_regions.shangcheng)
    GradeFactory(branch=branch, grade=Grade.WEAK)

    assert run([row("C0001", grade="")], roster_regions.staff_county).unchanged == 1
    assert BranchGrade.objects.get(branch=branch).grade == Grade.WEAK

    result = run([row("C0001", grade="好")], roster_regions.staff_county)

    assert result.updated == 1 and result.to_update[0].changes == [("等次", "差", "好")]
    grade = BranchGrade.objects.get(branch=branch)
    assert (grade.grade, grade.graded_by) == (Grade.GOOD, roster_regions.staff_county)
    assert grade.history.latest().history_user == roster_regions.staff_county


def test_no_on_an_optimised_branch_removes_the_current_campaigns_records_with_history(roster_regions):  # noqa: F811
    branch = existing("C0001", county=roster_regions.shangcheng)
    record = OptimisationRecordFactory(branch=branch, campaign=roster_regions.campaign)

    assert run([row("C0001", optimised="是")], roster_regions.staff_county).unchanged == 1
    result = run([row("C0001", optimised="否")], roster_regions.staff_county)

    assert result.updated == 1 and result.to_update[0].changes == [("已优化", "是", "否")]
    assert not OptimisationRecord.objects.filter(branch=branch).exists()
    deleted = OptimisationRecord.history.filter(id=record.pk, history_type="-").get()
    assert deleted.history_user == roster_regions.staff_county


def test_missing_optimised_column_leaves_optimisation_alone(roster_regions):  # noqa: F811
    branch = existing("C0001", county=roster_regions.shangcheng)
    OptimisationRecordFactory(branch=branch, campaign=roster_regions.campaign)
    headers = [h for h in HEADERS if h != "已优化"]

    result = run([row("C0001")[:-1]], roster_regions.staff_county, headers=headers)

    assert result.unchanged == 1 and OptimisationRecord.objects.filter(branch=branch).exists()


def test_yes_without_a_current_campaign_is_an_error_naming_the_row(roster_regions):  # noqa: F811
    roster_regions.campaign.is_current = False
    roster_regions.campaign.save()

    result = run([row("C0001"), row("C0002", optimised="是")], roster_regions.staff_county)

    assert messages(result) == ["row 3, column 已优化: 信阳市没有当前优化批次，不能标记为已优化。"]
    assert not Branch.objects.exists()


def test_one_bad_row_imports_nothing(roster_regions):  # noqa: F811
    rows = [row(f"C{i:04d}", township="新集镇", unit="新单位") for i in range(1, 40)]
    rows.append(row("C0099", members="很多"))

    result = run(rows, roster_regions.staff_city)

    assert messages(result) == ["row 41, column 党员数: 党员数应为不小于 0 的整数。"]
    assert result.created == 39 and not result.committed
    assert not Branch.objects.exists() and not Unit.objects.exists()
    assert not Region.objects.filter(name="新集镇").exists()


def test_duplicate_codes_in_a_file_are_errors(roster_regions):  # noqa: F811
    result = run([row("C0001"), row("C0002"), row(" C0001 ")], roster_regions.staff_county)

    assert messages(result) == ["row 4, column 支部编码: 支部编码与第 2 行重复。"]
    assert not Branch.objects.exists()


def test_unknown_county_is_an_error(roster_regions):  # noqa: F811
    result = run([row("C0001", county="光山县")], roster_regions.staff_city)

    assert messages(result) == ["row 2, column 县区: 信阳市没有名为“光山县”的县区。"]


def test_county_staff_may_only_import_their_own_county(roster_regions):  # noqa: F811
    result = run(
        [row("C0001"), row("P0001", county="平桥区"), row("S0001", level="市直", county="")],
        roster_regions.staff_county,
    )

    assert messages(result) == [
        "row 3, column 县区: 您只能登记商城县的支部。",
        "row 4, column 层级: 县区工作人员只能登记县区层级的支部。",
    ]
    assert not Branch.objects.exists()


def test_city_staff_may_import_any_county_of_the_city_and_city_level(roster_regions):  # noqa: F811
    result = run(
        [row("C0001"), row("P0001", county="平桥区"), row("S0001", level="市直", county="")], roster_regions.staff_city
    )

    assert result.ok and result.created == 3


def test_codes_of_branches_outside_the_scope_are_errors_and_stay_untouched(roster_regions):  # noqa: F811
    other_county = BranchFactory(code="P0001", county=roster_regions.pingqiao, name="平桥区某支部")
    other_city = BranchFactory(code="X0001", name="外市支部")

    county_result = run([row("P0001", name="改名")], roster_regions.staff_county)
    city_result = run([row("X0001", name="改名")], roster_regions.staff_city)

    assert messages(county_result) == ["row 2, column 支部编码: 该支部编码已被您管辖范围以外的支部使用。"]
    assert messages(city_result) == ["row 2, column 支部编码: 该支部编码已被您管辖范围以外的支部使用。"]
    other_county.refresh_from_db()
    other_city.refresh_from_db()
    assert other_county.name == "平桥区某支部" and other_city.name == "外市支部"


def test_county_staff_cannot_attach_another_countys_unit(roster_regions):  # noqa: F811
    UnitFactory(name="平桥区财政局", county=roster_regions.pingqiao)

    result = run([row("C0001", unit="平桥区财政局")], roster_regions.staff_county)

    assert messages(result) == ["row 2, column 所属单位: 单位“平桥区财政局”不属于商城县。"]


@pytest.mark.parametrize("role", ["leader", "secretary", "member"])
def test_users_who_may_not_manage_cannot_import(roster_regions, role):  # noqa: F811
    branch = BranchFactory(county=roster_regions.shangcheng)
    user = {
        "leader": lambda: roster_regions.leader,
        "secretary": lambda: UserFactory.secretary(branch=branch),
        "member": lambda: UserFactory.member(branch=branch),
    }[role]()

    with pytest.raises(PermissionDenied):
        run([row("C0001")], user)
    assert Branch.objects.count() == 1


def test_township_change_clears_the_village_of_the_old_township(roster_regions):  # noqa: F811
    old_township = Region.objects.get(name="观庙镇")
    village = RegionFactory(parent=old_township, name="松树村")
    branch = existing("C0001", kind="village", county=roster_regions.shangcheng, township=old_township, region=village)

    assert run([row("C0001", kind="农村", township="观庙镇")], roster_regions.staff_county).unchanged == 1
    assert run([row("C0001", kind="农村", township="新集镇")], roster_regions.staff_county).updated == 1

    branch.refresh_from_db()
    assert branch.township.name == "新集镇" and branch.region is None


def test_import_writes_in_batches_with_a_bounded_number_of_queries(roster_regions, django_assert_max_num_queries):  # noqa: F811
    rows = [row(f"C{i:05d}", grade="中", optimised="是") for i in range(1500)]

    # Batched: Django splits SQLite inserts into 999-parameter statements (≈70 branches each);
    # per-row writes would be thousands of queries.
    with django_assert_max_num_queries(150):
        result = run(rows, roster_regions.staff_county)

    assert result.created == 1500 and Branch.objects.count() == 1500
    assert Branch.history.count() == 1500 and BranchGrade.history.count() == 1500


def _round_trip_world(roster_regions):  # noqa: F811
    township = Region.objects.get(name="观庙镇")
    unit = UnitFactory(name="商城县财政局", county=roster_regions.shangcheng)
    tricky = ['=HYPERLINK("http://evil","x")', "+86 1", "-1+2", "@SUM(A1)"]
    for i, name in enumerate(tricky):
        BranchFactory(code=f"C{i:04d}", name=name, county=roster_regions.shangcheng, unit=unit, secretary_name=name)
    village = BranchFactory(
        code="V0001",
        kind="village",
        county=roster_regions.shangcheng,
        township=township,
        secretary_phone="0376-6221234",
    )
    GradeFactory(branch=village, grade=Grade.WEAK)
    OptimisationRecordFactory(branch=village, campaign=roster_regions.campaign)
    BranchFactory(code="S0001", city=roster_regions.city, secretary_phone="")


def test_export_then_import_changes_nothing(roster_regions):  # noqa: F811
    _round_trip_world(roster_regions)
    buffer = io.BytesIO()
    assert (
        roster_export(
            registry_selectors.branch_list(user=roster_regions.staff_city),
            user=roster_regions.staff_city,
            target=buffer,
        )
        == 6
    )
    buffer.seek(0)
    history_before = Branch.history.count()

    result = roster_import(fileobj=buffer, acting_user=roster_regions.staff_city, commit=True)

    assert result.ok, messages(result)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 6)
    assert Branch.history.count() == history_before


def test_export_writes_formula_like_text_as_text(roster_regions, tmp_path):  # noqa: F811
    _round_trip_world(roster_regions)
    path = tmp_path / "export.xlsx"
    roster_export(city_branches(city=roster_regions.city), user=None, target=str(path))

    sheet = load_workbook(path).active
    cells = [cell for r in sheet.iter_rows(min_row=2) for cell in r[:2] + r[7:8]]
    risky = [cell for cell in cells if isinstance(cell.value, str) and cell.value[:1] in "=+-@"]

    assert len(risky) == 8
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in risky)
    assert {cell.value for cell in risky} >= {'=HYPERLINK("http://evil","x")', "@SUM(A1)"}


def test_export_by_a_leader_masks_phones(roster_regions):  # noqa: F811
    BranchFactory(code="C0001", county=roster_regions.shangcheng, secretary_phone="13812345678")
    buffer = io.BytesIO()

    roster_export(registry_selectors.branch_list(user=roster_regions.leader), user=roster_regions.leader, target=buffer)

    buffer.seek(0)
    values = [c.value for c in load_workbook(buffer).active[2]]
    assert values[8] == "138****5678"


def test_a_superuser_without_region_imports_into_the_only_city(roster_regions):  # noqa: F811
    admin = UserFactory(is_superuser=True, is_staff=True)

    result = run([row("C0001"), row("S0001", level="市直", county="")], admin)

    assert result.ok and result.created == 2
    assert Branch.objects.get(code="C0001").history.get().history_user == admin


def _graded_optimised_branches(roster_regions, count: int, start: int = 0) -> list[list]:  # noqa: F811
    """``count`` existing branches, each graded and optimised, and roster rows changing all three."""
    rows = []
    for i in range(start, start + count):
        branch = existing(f"C{i:05d}", county=roster_regions.shangcheng)
        GradeFactory(branch=branch, grade=Grade.WEAK)
        OptimisationRecordFactory(branch=branch, campaign=roster_regions.campaign)
        rows.append(row(branch.code, members=21, grade="好", optimised="否"))
    return rows


def test_commit_writes_per_chunk_not_per_row(roster_regions, django_assert_num_queries):  # noqa: F811
    few = _graded_optimised_branches(roster_regions, 10)
    with CaptureQueriesContext(connection) as small:
        assert run(few, roster_regions.staff_county).updated == 10
    many = _graded_optimised_branches(roster_regions, 300, start=10)

    with django_assert_num_queries(len(small)):
        result = run(many, roster_regions.staff_county)

    assert result.updated == 300
    assert Branch.objects.filter(member_count=21).count() == 310
    assert BranchGrade.objects.filter(grade=Grade.GOOD, graded_by=roster_regions.staff_county).count() == 310
    assert not OptimisationRecord.objects.exists()
    removed = OptimisationRecord.history.filter(history_type="-")
    assert removed.count() == 310 and {h.history_user for h in removed} == {roster_regions.staff_county}
    changed = Branch.history.filter(history_type="~")
    assert changed.count() == 310 and {h.member_count for h in changed} == {21}
    assert BranchGrade.history.filter(history_type="~", grade=Grade.GOOD).count() == 310
