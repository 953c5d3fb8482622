"""Reading an untrusted roster upload into normalised rows. No database access here.

The file is checked in two steps before any row is read:

1. the zip central directory: the upload size, the number of parts, each part's and the
   total declared uncompressed size, and the compression ratio (a zip bomb declares
   gigabytes that a few kilobytes inflate to). openpyxl would otherwise inflate the whole
   shared-strings part into memory even in read-only mode;
2. the workbook: openpyxl in read-only mode (defusedxml is installed, so openpyxl parses
   with it against entity-expansion attacks), the first sheet's declared dimensions, the
   header row, and the required columns.

Rows are then streamed: each comes out as a ``RosterRow`` or a list of ``RowError``, so
memory stays flat whatever the number of rows.
"""

from __future__ import annotations

import logging
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from openpyxl.reader.excel import ExcelReader
from openpyxl.worksheet import _reader as openpyxl_reader
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from twinning import files

from ..models import phone_error
from . import columns as c

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = files.MAX_FILE_BYTES  # the one upload limit
MAX_PARTS = 200
MAX_PART_BYTES = 256 * 1024 * 1024
MAX_TOTAL_BYTES = 512 * 1024 * 1024
# Spreadsheet XML compresses well (≈10-30×); a bomb compresses by thousands.
MAX_RATIO = 200
RATIO_CHECK_FROM_BYTES = 1024 * 1024
MAX_DATA_ROWS = 100_000
MAX_COLUMNS = 64
MAX_DECLARED_CELLS = 20_000_000
HEADER_SEARCH_ROWS = 10
MAX_MEMBERS = 100_000
REQUIRED_PARTS = ("[Content_Types].xml", "xl/workbook.xml")

MAX_LENGTHS = {c.CODE: 40, c.NAME: 150, c.COUNTY: 100, c.TOWNSHIP: 100, c.UNIT: 120, c.SECRETARY: 50}


@dataclass(frozen=True, slots=True)
class RowError:
    """A problem with a cell (``row`` is the Excel row number, ``column`` the header), a row, or the file."""

    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        if self.row is not None and self.column:
            return f"row {self.row}, column {self.column}: {self.message}"
        if self.row is not None:
            return f"row {self.row}: {self.message}"
        return f"file: {self.message}"


class RosterFileError(Exception):
    """The file as a whole cannot be read as a roster; nothing was imported."""

    def __init__(self, errors: list[RowError] | str):
        if isinstance(errors, str):
            errors = [RowError(None, None, errors)]
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


@dataclass(slots=True)
class RosterRow:
    """One roster row, normalised; ``grade``/``optimised`` are None when not to be touched."""

    row: int
    code: str
    name: str
    kind: str
    level: str
    county: str
    township: str
    unit: str
    secretary_name: str
    secretary_phone: str
    member_count: int
    grade: str | None
    optimised: bool | None


@dataclass
class Roster:
    """An opened roster: the header position and a stream of rows. Use as a context manager."""

    workbook: object
    sheet: object
    header_row: int
    positions: dict[str, int]
    has_grade: bool = field(init=False)
    has_optimised: bool = field(init=False)

    def __post_init__(self):
        self.has_grade = c.GRADE in self.positions
        self.has_optimised = c.OPTIMISED in self.positions

    def __enter__(self) -> Roster:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.workbook.close()

    def rows(self) -> Iterator[RosterRow | list[RowError]]:
        """Each non-empty data row as a ``RosterRow``, or the list of its errors."""
        count = 0
        start = self.header_row + 1
        for number, values in enumerate(
            self.sheet.iter_rows(min_row=start, max_col=MAX_COLUMNS, values_only=True), start=start
        ):
            cells = {header: values[pos] if pos < len(values) else None for header, pos in self.positions.items()}
            if all(c.cell_text(v) == "" for v in cells.values()):
                continue  # blank rows, typically trailing ones, are not data
            if c.compact(cells[c.CODE]).startswith(c.SAMPLE_CODE_PREFIX):
                continue  # the template's sample row
            count += 1
            if count > MAX_DATA_ROWS:
                raise RosterFileError(_("名册超过 %(max)d 行，请分批导入。") % {"max": MAX_DATA_ROWS})
            yield parse_row(number, cells, has_grade=self.has_grade, has_optimised=self.has_optimised)


def check_archive(fileobj) -> None:
    """Refuse files that are too big, not an xlsx, or declare more than they may inflate to."""
    fileobj.seek(0, 2)
    size = fileobj.tell()
    fileobj.seek(0)
    if size == 0:
        raise RosterFileError(_("文件是空的。"))
    if size > MAX_UPLOAD_BYTES:
        raise RosterFileError(
            _("文件超过 %(max)d MB 的上限，请分批导入。") % {"max": MAX_UPLOAD_BYTES // (1024 * 1024)}
        )
    not_xlsx = _("该文件不是 Excel 工作簿（.xlsx），请用 Excel 或 WPS 另存为 .xlsx 后再上传。")
    if not zipfile.is_zipfile(fileobj):
        raise RosterFileError(not_xlsx)
    fileobj.seek(0)
    try:
        with zipfile.ZipFile(fileobj) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        raise RosterFileError(not_xlsx)
    finally:
        fileobj.seek(0)
    names = {p.filename for p in parts}
    if not all(name in names for name in REQUIRED_PARTS):
        raise RosterFileError(not_xlsx)
    too_big = _("文件内容解压后过大（可能是恶意构造的文件），已拒绝。")
    if len(parts) > MAX_PARTS:
        raise RosterFileError(too_big)
    total = 0
    for part in parts:
        total += part.file_size
        if part.file_size > MAX_PART_BYTES or total > MAX_TOTAL_BYTES:
            raise RosterFileError(too_big)
        if part.file_size > RATIO_CHECK_FROM_BYTES and part.file_size > MAX_RATIO * max(part.compress_size, 1):
            raise RosterFileError(too_big)


def open_roster(fileobj) -> Roster:
    """Check and open an uploaded roster; raises ``RosterFileError`` with a Chinese message."""
    check_archive(fileobj)
    try:
        workbook = load_workbook(fileobj)
    except Exception:  # an untrusted file can break the parser in many ways; none is our bug
        logger.info("roster upload rejected by openpyxl", exc_info=True)
        raise RosterFileError(_("无法读取该 Excel 文件，文件可能已损坏，请重新保存为 .xlsx 后再上传。"))
    try:
        return _open_sheet(workbook)
    except BaseException:
        workbook.close()
        raise


def _open_sheet(workbook) -> Roster:
    sheets = [ws for ws in workbook.worksheets if hasattr(ws, "iter_rows")]
    if not sheets:
        raise RosterFileError(_("工作簿中没有工作表。"))
    sheet = sheets[0]
    rows, cols = sheet.max_row or 0, sheet.max_column or 0
    if rows > MAX_DATA_ROWS + HEADER_SEARCH_ROWS or rows * cols > MAX_DECLARED_CELLS:
        raise RosterFileError(
            _("工作表声明的大小为 %(rows)d 行 × %(cols)d 列，超出上限（%(max)d 行），请删除多余的行列后再上传。")
            % {"rows": rows, "cols": cols, "max": MAX_DATA_ROWS}
        )
    header_row, positions, seen_any = None, {}, False
    for number, values in enumerate(
        sheet.iter_rows(min_row=1, max_row=HEADER_SEARCH_ROWS, max_col=MAX_COLUMNS, values_only=True), start=1
    ):
        keys = [c.header_key(v).strip("*＊") for v in values]
        seen_any = seen_any or any(keys)
        if c.CODE in keys and c.NAME in keys:
            header_row = number
            for pos, key in enumerate(keys):
                if key in c.HEADERS and key not in positions:
                    positions[key] = pos
            break
    if header_row is None:
        if not seen_any:
            raise RosterFileError(_("工作簿是空的，请先在模板中填写支部名册。"))
        raise RosterFileError(
            _("未找到表头：前 %(n)d 行中没有同时包含“支部编码”和“支部名称”的一行。") % {"n": HEADER_SEARCH_ROWS}
        )
    missing = [h for h in c.REQUIRED_HEADERS if h not in positions]
    if missing:
        raise RosterFileError([RowError(header_row, h, _("缺少必需的列。")) for h in missing])
    return Roster(workbook=workbook, sheet=sheet, header_row=header_row, positions=positions)


class _RosterSheet(ReadOnlyWorksheet):
    """openpyxl's read-only worksheet, sized without reading the sheet twice.

    openpyxl sizes a sheet from its ``<dimension>`` element, but listens for the end of
    elements, so on a sheet without one (openpyxl's own write-only files, hence our exports)
    it parses the whole sheet before a single row is read: twice the time for a 50,000-row
    roster. This reads the start of elements and stops where the sheet data begins.
    """

    def _get_size(self):
        with self._get_source() as source:
            for _event, element in openpyxl_reader.iterparse(source, events=("start",)):
                if element.tag == openpyxl_reader.DIMENSION_TAG:
                    dimensions = openpyxl_reader.SheetDimension.from_tree(element).boundaries
                    if dimensions is not None:
                        self._min_column, self._min_row, self._max_column, self._max_row = dimensions
                    return
                if element.tag == openpyxl_reader.DATA_TAG:
                    return


class _RosterExcelReader(ExcelReader):
    """openpyxl's workbook reader in read-only mode, with ``_RosterSheet`` for the worksheets.

    Only for this reader: openpyxl itself is left as it is for every other caller.
    Chart sheets are skipped (a roster has no use for them).
    """

    def read_worksheets(self):
        for sheet, rel in self.parser.find_sheets():
            if rel.target not in self.valid_files or "chartsheet" in rel.Type:
                continue
            worksheet = _RosterSheet(self.wb, sheet.name, rel.target, self.shared_strings)
            worksheet.sheet_state = sheet.state
            self.wb._sheets.append(worksheet)


def load_workbook(fileobj):
    """Open an .xlsx read-only with cached formula values, as ``openpyxl.load_workbook`` does. Close it after use."""
    reader = _RosterExcelReader(fileobj, read_only=True, data_only=True)
    reader.read()
    return reader.wb


_INTEGER = re.compile(r"^\d+(\.0+)?$")


def parse_row(number: int, cells: dict, *, has_grade: bool, has_optimised: bool) -> RosterRow | list[RowError]:
    """Normalise and check one row's cells (format only; the service checks the branch's place and scope)."""
    errors: list[RowError] = []

    def error(column: str, message: str | None) -> None:
        if message:
            errors.append(RowError(number, column, message))

    code = c.compact(cells[c.CODE])
    name = c.cell_text(cells[c.NAME])
    county = c.compact(cells[c.COUNTY])
    township = c.compact(cells[c.TOWNSHIP])
    unit = c.cell_text(cells[c.UNIT])
    secretary = c.cell_text(cells[c.SECRETARY])
    texts = {c.CODE: code, c.NAME: name, c.COUNTY: county, c.TOWNSHIP: township, c.UNIT: unit, c.SECRETARY: secretary}
    for column, message in _text_errors(texts):
        error(column, message)

    kind = c.KIND_WORDS.get(c.compact(cells[c.KIND]))
    if kind is None:
        error(c.KIND, _("支部类型应为 %(words)s 之一。") % {"words": "、".join(c.KIND_LABELS.values())})
    level = c.LEVEL_WORDS.get(c.compact(cells[c.LEVEL]))
    if level is None:
        error(c.LEVEL, _("层级应为 %(words)s 之一。") % {"words": "、".join(c.LEVEL_LABELS.values())})

    phone = c.compact(cells[c.PHONE])
    if message := phone_error(phone):
        error(c.PHONE, str(message))

    member_count, message = _member_count(c.compact(cells[c.MEMBERS]))
    error(c.MEMBERS, message)
    grade, message = _grade(c.compact(cells[c.GRADE]).lower()) if has_grade else (None, None)
    error(c.GRADE, message)
    optimised, message = _optimised(c.compact(cells[c.OPTIMISED]).lower()) if has_optimised else (None, None)
    error(c.OPTIMISED, message)

    if errors:
        return errors
    return RosterRow(
        row=number,
        code=code,
        name=name,
        kind=kind,
        level=level,
        county=county,
        township=township,
        unit=unit,
        secretary_name=secretary,
        secretary_phone=phone,
        member_count=member_count,
        grade=grade,
        optimised=optimised,
    )


def _text_errors(texts: dict[str, str]) -> list[tuple[str, str]]:
    """(column, message) for each text over its length, then for a missing code or name."""
    errors = [
        (column, _("内容过长，最多 %(max)d 个字。") % {"max": MAX_LENGTHS[column]})
        for column, text in texts.items()
        if len(text) > MAX_LENGTHS[column]
    ]
    if not texts[c.CODE]:
        errors.append((c.CODE, _("请填写支部编码。")))
    if not texts[c.NAME]:
        errors.append((c.NAME, _("请填写支部名称。")))
    return errors


def _member_count(text: str) -> tuple[int, str | None]:
    """The 党员数 of a cell, or 0 and why it is not one."""
    if not text:
        return 0, _("请填写党员数。")
    if not _INTEGER.match(text) or int(float(text)) > MAX_MEMBERS:
        return 0, _("党员数应为不小于 0 的整数。")
    return int(float(text)), None


def _grade(text: str) -> tuple[str | None, str | None]:
    """The grade a (lower-cased) cell names, None when it is empty, or None and why it is not one."""
    if not text:
        return None, None
    grade = c.GRADE_WORDS.get(text)
    if grade is None:
        return None, _("等次应为 好、中、差（也可写 强、弱），不评定请留空。")
    return grade, None


def _optimised(text: str) -> tuple[bool | None, str | None]:
    """Whether a (lower-cased) cell says 已优化 (empty is no), or None and why it says neither."""
    optimised = c.YES_NO_WORDS.get(text, None) if text else False
    if optimised is None:
        return None, _("已优化应为 是 或 否（也可写 Y、N），留空视为否。")
    return optimised, None
