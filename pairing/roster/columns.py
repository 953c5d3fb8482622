"""The roster format: column headers, the words accepted in each, and cell normalisation.

Both the reader and the writers use these tables, so an exported roster always reads back
as the same values (export → import changes nothing).
"""

from __future__ import annotations

import re
import unicodedata

from ..choices import BRANCH_KIND_NAMES, GRADE_NAMES, UNIT_LEVEL_NAMES, Grade, UnitLevel

CODE = "支部编码"
NAME = "支部名称"
KIND = "支部类型"
LEVEL = "层级"
COUNTY = "县区"
TOWNSHIP = "乡镇街道"
UNIT = "所属单位"
SECRETARY = "书记"
PHONE = "联系电话"
MEMBERS = "党员数"
GRADE = "等次"
OPTIMISED = "已优化"

HEADERS = (CODE, NAME, KIND, LEVEL, COUNTY, TOWNSHIP, UNIT, SECRETARY, PHONE, MEMBERS, GRADE, OPTIMISED)
# 等次 and 已优化 may be left out of a roster: then grades and optimisation are not touched.
REQUIRED_HEADERS = HEADERS[:10]

# Rows whose code starts with this are the template's sample row and are not imported.
SAMPLE_CODE_PREFIX = "示例"

YES = "是"
NO = "否"

# The roster's words are a file format, fixed in Chinese whatever the UI language (see choices).
KIND_LABELS = BRANCH_KIND_NAMES
LEVEL_LABELS = UNIT_LEVEL_NAMES
GRADE_LABELS = GRADE_NAMES

# Words accepted per enumerated column (compared after normalisation, case-insensitive).
KIND_WORDS = {label: value for value, label in KIND_LABELS.items()}
LEVEL_WORDS = {label: value for value, label in LEVEL_LABELS.items()} | {"县直": UnitLevel.COUNTY}
GRADE_WORDS = {
    "好": Grade.GOOD,
    "强": Grade.GOOD,
    "strong": Grade.GOOD,
    "good": Grade.GOOD,
    "中": Grade.MEDIUM,
    "一般": Grade.MEDIUM,
    "medium": Grade.MEDIUM,
    "差": Grade.WEAK,
    "弱": Grade.WEAK,
    "weak": Grade.WEAK,
}
YES_NO_WORDS = {
    YES: True,
    "y": True,
    "yes": True,
    "true": True,
    "1": True,
    NO: False,
    "n": False,
    "no": False,
    "false": False,
    "0": False,
}

# Cells that a spreadsheet would evaluate if they were typed in: =, +, - and @ lead formulas.
FORMULA_PREFIXES = ("=", "+", "-", "@")

_FULLWIDTH = str.maketrans({chr(0xFF10 + i): str(i) for i in range(10)} | {"\u3000": " ", "．": ".", "－": "-"})
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
_SPACES = re.compile(r"\s+")
_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff\uff08\uff09])\s+(?=[\u3400-\u9fff\uff08\uff09])")


def cell_text(value) -> str:
    """A cell as text: integers stored as floats lose their ``.0``, spaces are tidied.

    Leading and trailing spaces (half- or full-width) go, runs of inner spaces become
    one, and spaces between two Chinese characters go (``"商 城县"`` → ``"商城县"``).
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).translate(_INVISIBLE).replace("\u3000", " ")
    text = _SPACES.sub(" ", text).strip()
    return _CJK_GAP.sub("", text)


def compact(value) -> str:
    """A cell with every space removed and full-width forms made ASCII (NFKC): codes, phones, numbers, words."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", cell_text(value).translate(_FULLWIDTH)))


def header_key(value) -> str:
    return compact(value)
