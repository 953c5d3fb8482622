"""The roster reader: real-world quirks are accepted, untrusted files are refused with a clear message."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook

from pairing.choices import BranchKind, Grade, UnitLevel
from pairing.models import Branch, Region, Unit
from pairing.roster import imports
from pairing.roster.columns import HEADERS
from pairing.roster.imports import RosterFileError, RosterRow, open_roster
from pairing.services.roster import roster_import

from .roster_support import roster_bytes, roster_regions, row  # noqa: F401

SAMPLE = "/work/shared/data/branch_roster_sample.xlsx"


def read_all(fileobj):
    with open_roster(fileobj) as roster:
        return list(roster.rows())


def test_it_accepts_title_row_spaces_fullwidth_digits_text_numbers_and_trailing_blank_rows():
    fileobj = roster_bytes(
        [
            [
                "  C0001 ",
                "商城县 观庙镇\u3000松树村党支部 ",
                " 农村",
                "县区\u3000",
                " 商 城县",
                "观庙镇 ",
                "",
                "苏 艳",
                "１３８１２３４５６７８",
                "５８",
                " 强 ",
                "Y",
            ],
            [
                "C0002",
                "商城县财政局机关第一党支部",
                "机关",
                "县区",
                "商城县",
                "",
                "商城县财政局",
                "陆文",
                19933975580.0,
                "26",
                "weak",
                "",
            ],
        ],
        title="商城县支部名册（2024年）",
        trailing_blank=30,
    )

    rows = read_all(fileobj)

    assert rows == [
        RosterRow(
            row=3,
            code="C0001",
            name="商城县观庙镇松树村党支部",
            kind=BranchKind.VILLAGE,
            level=UnitLevel.COUNTY,
            county="商城县",
            township="观庙镇",
            unit="",
            secretary_name="苏艳",
            secretary_phone="13812345678",
            member_count=58,
            grade=Grade.GOOD,
            optimised=True,
        ),
        RosterRow(
            row=4,
            code="C0002",
            name="商城县财政局机关第一党支部",
            kind=BranchKind.ORGAN,
            level=UnitLevel.COUNTY,
            county="商城县",
            township="",
            unit="商城县财政局",
            secretary_name="陆文",
            secretary_phone="19933975580",
            member_count=26,
            grade=Grade.WEAK,
            optimised=False,
        ),
    ]


def test_it_accepts_columns_in_any_order_and_ignores_extra_columns():
    headers = ["序号", *reversed(HEADERS), "备注"]
    values = ["1", *reversed(row("C0001", grade="中", optimised="否")), "无"]

    (parsed,) = read_all(roster_bytes([values], headers=headers))

    assert parsed.code == "C0001" and parsed.grade == Grade.MEDIUM and parsed.optimised is False


def test_it_reads_the_shared_sample_roster():
    with open(SAMPLE, "rb") as fileobj:
        rows = read_all(fileobj)

    assert len(rows) == 350
    assert all(isinstance(r, RosterRow) for r in rows)


def test_it_skips_the_templates_sample_row():
    rows = read_all(roster_bytes([row("示例0001"), row("C0001")]))

    assert [r.code for r in rows] == ["C0001"]


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("支部类型", "党组", "支部类型应为"),
        ("层级", "省直", "层级应为"),
        ("党员数", "-3", "不小于 0 的整数"),
        ("党员数", "12.5", "不小于 0 的整数"),
        ("党员数", "", "请填写党员数"),
        ("等次", "优秀", "等次应为"),
        ("已优化", "也许", "已优化应为"),
        ("联系电话", "12345", "手机号"),
        ("支部编码", "", "请填写支部编码"),
        ("支部名称", " ", "请填写支部名称"),
    ],
)
def test_it_reports_a_bad_cell_with_excel_row_and_column(column, value, message):
    values = row("C0001")
    values[HEADERS.index(column)] = value

    (errors,) = read_all(roster_bytes([values], title="标题"))

    assert len(errors) == 1
    assert str(errors[0]).startswith(f"row 3, column {column}: ")
    assert message in errors[0].message


def _refused(fileobj) -> str:
    with pytest.raises(RosterFileError) as excinfo:
        read_all(fileobj)
    return "；".join(e.message for e in excinfo.value.errors)


def test_it_refuses_a_file_that_is_not_a_workbook():
    assert "不是 Excel 工作簿" in _refused(io.BytesIO("支部编码,支部名称\nC1,测试".encode()))


def test_it_refuses_a_zip_that_is_not_an_xlsx():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert "不是 Excel 工作簿" in _refused(buffer)


def test_it_refuses_an_empty_file_and_an_empty_workbook():
    assert "空" in _refused(io.BytesIO(b""))
    buffer = io.BytesIO()
    Workbook().save(buffer)
    assert "工作簿是空的" in _refused(buffer)


def test_it_refuses_a_sheet_without_the_header():
    buffer = io.BytesIO()
    workbook = Workbook()
    workbook.active.append(["编号", "名称"])
    workbook.save(buffer)
    assert "未找到表头" in _refused(buffer)


def test_it_names_every_missing_required_column():
    headers = [h for h in HEADERS if h not in ("党员数", "层级")]

    with pytest.raises(RosterFileError) as excinfo:
        read_all(roster_bytes([], headers=headers))

    assert [str(e) for e in excinfo.value.errors] == [
        "row 1, column 层级: 缺少必需的列。",
        "row 1, column 党员数: 缺少必需的列。",
    ]


def _with_dimension(ref: str) -> io.BytesIO:
    """A valid roster whose sheet declares the given dimension."""
    source = roster_bytes([row("C0001")])
    out = io.BytesIO()
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                start = text.index('<dimension ref="') + len('<dimension ref="')
                end = text.index('"', start)
                data = (text[:start] + ref + text[end:]).encode()
            zout.writestr(item, data)
    out.seek(0)
    return out


def test_it_refuses_a_sheet_that_declares_an_enormous_size():
    assert "超出上限" in _refused(_with_dimension("A1:XFD1048576"))


def test_it_refuses_a_zip_bomb_before_parsing(monkeypatch):
    source = roster_bytes([row("C0001")])
    out = io.BytesIO()
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item, zin.read(item.filename))
        zout.writestr("xl/sharedStrings.xml", b" " * (64 * 1024 * 1024))  # 64 MB inflating from ~64 KB
    out.seek(0)
    parsed = []
    monkeypatch.setattr(imports, "load_workbook", lambda *a, **k: parsed.append(1))

    assert "解压后过大" in _refused(out)
    assert parsed == [], "openpyxl must not see the file"


def test_it_refuses_parts_that_declare_more_than_the_limits(monkeypatch):
    monkeypatch.setattr(imports, "MAX_PART_BYTES", 1000)
    assert "解压后过大" in _refused(roster_bytes([row(f"C{i:04d}") for i in range(50)]))


def test_it_refuses_a_file_over_the_size_limit(monkeypatch):
    monkeypatch.setattr(imports, "MAX_UPLOAD_BYTES", 5_000)
    assert "MB 的上限" in _refused(roster_bytes([row(f"C{i:04d}") for i in range(500)]))


def test_a_real_over_limit_file_is_refused():
    assert "超过 10 MB" in _refused(io.BytesIO(b"PK" + b"\0" * (10 * 1024 * 1024)))


@pytest.mark.parametrize(
    "make",
    [
        lambda: io.BytesIO(b"not a workbook"),
        lambda: roster_bytes([], headers=HEADERS[:3]),
        lambda: _with_dimension("A1:XFD1048576"),
    ],
    ids=["not-xlsx", "missing-columns", "enormous"],
)
def test_a_refused_file_writes_nothing(roster_regions, make):  # noqa: F811
    before = (Branch.objects.count(), Region.objects.count(), Unit.objects.count())

    result = roster_import(fileobj=make(), acting_user=roster_regions.staff_city, commit=True)

    assert result.errors and not result.committed
    assert (Branch.objects.count(), Region.objects.count(), Unit.objects.count()) == before


def _without_dimension(*, broken_after_rows: bool) -> io.BytesIO:
    """A write-only workbook (no ``<dimension>``, like our exports), optionally with broken XML after the rows."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("支部名册")
    sheet.append(list(HEADERS))
    sheet.append(row("C0001"))
    source = io.BytesIO()
    workbook.save(source)
    source.seek(0)
    out = io.BytesIO()
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert b"<dimension" not in data
                if broken_after_rows:
                    data = data.replace(b"</sheetData>", b"<unclosed>")
            zout.writestr(item, data)
    out.seek(0)
    return out


def test_a_sheet_without_dimension_is_sized_without_parsing_its_rows():
    import openpyxl
    from openpyxl.worksheet import _reader

    # openpyxl's own sizing parses the whole sheet and trips over the broken tail; ours stops at <sheetData>.
    with pytest.raises(Exception):  # noqa: B017 - whatever openpyxl's XML parser raises
        openpyxl.load_workbook(_without_dimension(broken_after_rows=True), read_only=True)
    workbook = imports.load_workbook(_without_dimension(broken_after_rows=True))
    try:
        assert workbook.worksheets[0].max_row is None
    finally:
        workbook.close()

    assert [r.code for r in read_all(_without_dimension(broken_after_rows=False))] == ["C0001"]
    assert _reader.WorkSheetParser.parse_dimensions.__module__ == "openpyxl.worksheet._reader", "openpyxl untouched"
