"""Rows the pairing list and page tests add: a county of many branches (``many_branches``) with
pairings (``pairings``), a village and a helper (``village_and_helper``); ``small_pages`` for
the tests that walk the pages."""

from __future__ import annotations

import datetime

import pytest

from pairing.choices import PairingStatus
from pairing.views import pairings as pairing_views
from tests.factories import (
    BranchFactory,
    PairingFactory,
    PartnerBranchFactory,
    RegionFactory,
    UnitFactory,
)

from .list_support import PAGE


@pytest.fixture
def small_pages(settings, monkeypatch):
    settings.BRANCH_LIST_PAGE_SIZE = PAGE
    monkeypatch.setattr(pairing_views, "PAGE_SIZE", PAGE)


@pytest.fixture
def many_branches():
    city = RegionFactory(city=True, name="信阳市")
    county = RegionFactory(parent=city, name="商城县")
    other = RegionFactory(parent=city, name="光山县")
    township = RegionFactory(parent=county, name="鄢岗镇")
    mine = [BranchFactory(county=county, name=f"商城县第{i % 5}党支部") for i in range(11)]  # names repeat
    villages = [
        PartnerBranchFactory(county=county, township=township, region=RegionFactory(parent=township)) for _ in range(6)
    ]
    theirs = [BranchFactory(county=other, name=f"光山县第{i}党支部") for i in range(5)]
    return {"city": city, "county": county, "other": other, "mine": mine, "villages": villages, "theirs": theirs}


@pytest.fixture
def pairings(many_branches):
    """Pairings in the county, one dissolved, and one in the other county."""
    rows = []
    for i, village in enumerate(many_branches["villages"]):
        rows.append(
            PairingFactory(
                helper=many_branches["mine"][i], partner=village, started_on=datetime.date(2022, 1 + i % 3, 1)
            )
        )
    other_village = PartnerBranchFactory(county=many_branches["other"])
    rows.append(PairingFactory(helper=many_branches["theirs"][0], partner=other_village))
    rows[1].status, rows[1].dissolved_on = PairingStatus.DISSOLVED, datetime.date(2023, 1, 1)
    rows[1].save()
    return rows


@pytest.fixture
def village_and_helper():
    city = RegionFactory(city=True, name="信阳市")
    county = RegionFactory(parent=city, name="商城县")
    township = RegionFactory(parent=county, name="鄢岗镇")
    village = PartnerBranchFactory(county=county, township=township, region=RegionFactory(parent=township))
    helper = BranchFactory(county=county, unit=UnitFactory(city=city), name="商城县委办公室机关党支部")
    return {"city": city, "county": county, "township": township, "village": village, "helper": helper}
