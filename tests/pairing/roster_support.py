"""Shared helpers for the roster tests: a small city, and rosters built in memory.

(No tests here; the roster test modules import these.)
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from openpyxl import Workbook

from pairing.choices import RegionLevel
from pairing.models import Region
from pairing.roster.columns import HEADERS
from tests.factories import OptimisationCampaignFactory, RegionFactory, UserFactory


def roster_bytes(rows, *, headers=HEADERS, title: str | None = None, trailing_blank: int = 0) -> io.BytesIO:
    """An .xlsx with an optional merged title row, the header, the rows, and blank trailing rows."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "支部名册"
    if title:
        sheet.append([title])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    for _ in range(trailing_blank):
        sheet.append([None] * len(headers))
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    buffer.name = "roster.xlsx"
    return buffer


def row(
    code,
    *,
    name=None,
    kind="机关",
    level="县区",
    county="商城县",
    township="",
    unit="",
    secretary="王书记",
    phone="13812345678",
    members=20,
    grade="",
    optimised="",
):
    return [
        code,
        name or f"{code}党支部",
        kind,
        level,
        county,
        township,
        unit,
        secretary,
        phone,
        members,
        grade,
        optimised,
    ]


@dataclass
class World:
    city: Region
    shangcheng: Region
    pingqiao: Region
    staff_city: object
    staff_county: object
    leader: object
    campaign: object


@pytest.fixture
def roster_regions(db) -> World:
    city = RegionFactory(city=True, name="信阳市")
    shangcheng = RegionFactory(parent=city, name="商城县", level=RegionLevel.COUNTY)
    pingqiao = RegionFactory(parent=city, name="平桥区", level=RegionLevel.COUNTY)
    RegionFactory(parent=shangcheng, name="观庙镇", level=RegionLevel.TOWNSHIP)
    return World(
        city=city,
        shangcheng=shangcheng,
        pingqiao=pingqiao,
        staff_city=UserFactory.staff(region=city),
        staff_county=UserFactory.staff(region=shangcheng),
        leader=UserFactory.leader(region=city),
        campaign=OptimisationCampaignFactory(city=city, name="2022年支部优化提升"),
    )
