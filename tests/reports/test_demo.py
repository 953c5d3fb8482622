"""reports/demo.py builds today's snapshots and is idempotent."""

import io

import pytest
from django.utils import timezone

from reports import demo
from reports.models import Snapshot
from tests.factories import PairingFactory, PartnerBranchFactory, RegionFactory

pytestmark = pytest.mark.django_db


def test_demo_builds_todays_snapshots_once():
    city = RegionFactory(city=True, name="信阳市")
    PairingFactory(partner=PartnerBranchFactory(county=RegionFactory(parent=city, name="商城县")))
    demo.seed(seed=1, branches=0, stdout=io.StringIO())
    assert not Snapshot.objects.exists()
    demo.seed(seed=1, branches=10, stdout=io.StringIO())
    demo.seed(seed=1, branches=10, stdout=io.StringIO())
    assert Snapshot.objects.filter(as_of=timezone.localdate()).count() == 2
