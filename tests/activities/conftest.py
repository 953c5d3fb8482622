"""The activities tests' own rows, fixture ``county_pairings`` (their counts need a county without
the shared world's theme day and N list): one county, one pairing, its two secretaries, an outsider
pairing, staff and a leader."""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.models import User
from pairing.models import Pairing, Region
from tests.factories import BranchFactory, PairingFactory, PartnerBranchFactory, RegionFactory, UserFactory

STARTED = datetime.date(2022, 1, 1)


@dataclass
class World:
    city: Region
    county: Region
    pairing: Pairing
    other: Pairing
    helper_sec: User
    partner_sec: User
    outsider_sec: User
    staff: User
    leader: User
    other_staff: User
    member: User


@pytest.fixture
def county_pairings(db) -> World:
    city = RegionFactory(city=True, name="信阳市")
    county = RegionFactory(parent=city, name="商城县")
    other_county = RegionFactory(parent=city, name="息县")
    partner = PartnerBranchFactory(county=county, member_count=30)
    helper = BranchFactory(county=county, member_count=25)
    pairing = PairingFactory(helper=helper, partner=partner, started_on=STARTED)
    other_partner = PartnerBranchFactory(county=other_county)
    other = PairingFactory(
        helper=BranchFactory(county=other_county), partner=other_partner, campaign=pairing.campaign, started_on=STARTED
    )
    return World(
        city=city,
        county=county,
        pairing=pairing,
        other=other,
        helper_sec=UserFactory.secretary(branch=helper, email="helper@example.com"),
        partner_sec=UserFactory.secretary(branch=partner),
        outsider_sec=UserFactory.secretary(branch=other.helper),
        staff=UserFactory.staff(region=county),
        leader=UserFactory.leader(region=city),
        other_staff=UserFactory.staff(region=other_county),
        member=UserFactory.member(branch=helper),
    )


def image_bytes(fmt: str = "JPEG", size=(2000, 1500), color=(200, 30, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt)
    return out.getvalue()


def image_upload(name: str = "photo.jpg", **kwargs) -> SimpleUploadedFile:
    fmt = {"jpg": "JPEG", "png": "PNG", "webp": "WEBP"}[name.rsplit(".", 1)[-1]]
    return SimpleUploadedFile(name, image_bytes(fmt, **kwargs), content_type=f"image/{fmt.lower()}")


def stored_files(media_root) -> list:
    return [p for p in media_root.rglob("*") if p.is_file()]
