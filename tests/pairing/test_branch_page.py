"""A branch's page, drawn from column rows (named tuples) instead of model instances: it shows what
the models say, offers new campaigns at once, and costs the same queries for few and many records."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from pairing.models import Branch, Grade
from pairing.services import registry as registry_services
from tests.factories import (
    BranchFactory,
    GradeFactory,
    OptimisationCampaignFactory,
    OptimisationRecordFactory,
    PairingFactory,
    UserFactory,
)

from .list_support import login

pytestmark = pytest.mark.django_db


def test_branch_page_reads_grade_and_optimised_off_its_records(client, village_and_helper):
    village = village_and_helper["village"]
    old = OptimisationCampaignFactory(city=village_and_helper["city"], is_current=False, name="旧批次")
    OptimisationRecordFactory(branch=village, campaign=old, note="旧的记录")
    GradeFactory(branch=village, year=timezone.localdate().year - 1, grade=Grade.GOOD)
    login(client, UserFactory.staff(region=village_and_helper["county"]))
    content = client.get(village.get_absolute_url()).content.decode()
    assert "未评定" in content and '<dd class="col-8">否</dd>' in content and "旧的记录" in content
    GradeFactory(branch=village, grade=Grade.WEAK)
    OptimisationRecordFactory(branch=village, campaign=OptimisationCampaignFactory(city=village_and_helper["city"]))
    content = client.get(village.get_absolute_url()).content.decode()
    assert '<dd class="col-8">差</dd>' in content and '<dd class="col-8">是</dd>' in content
    assert village.township.name in content and village.region.name in content


def test_branch_page_lists_changes_by_field_with_who_and_when(client, village_and_helper):
    staff = UserFactory.staff(region=village_and_helper["county"], display_name="李组工")
    branch = Branch.objects.get(pk=village_and_helper["helper"].pk)
    registry_services.branch_update(branch=branch, acting_user=staff, data={"member_count": 99, "name": "新名称"})
    content = login(client, staff).get(branch.get_absolute_url()).content.decode()
    assert "党员数: 20 → 99" in content.replace(str(village_and_helper["helper"].member_count), "20")
    assert f"支部名称: {village_and_helper['helper'].name} → 新名称" in content
    assert "<td>李组工</td>" in content
    when = timezone.localtime(branch.history.latest().history_date).strftime("%Y-%m-%d %H:%M")
    assert when in content


def test_optimisation_form_offers_a_campaign_added_since(client, village_and_helper):
    login(client, UserFactory.staff(region=village_and_helper["county"]))
    url = village_and_helper["helper"].get_absolute_url()
    assert "第二批次" not in client.get(url).content.decode()
    OptimisationCampaignFactory(city=village_and_helper["city"], is_current=False, name="第二批次")
    content = client.get(url).content.decode()
    assert "第二批次" in content and 'name="csrfmiddlewaretoken"' in content
    action = reverse("pairing:branch_optimisation_add", args=[village_and_helper["helper"].pk])
    assert content.count(f'<form method="post" action="{action}">') == 1


def test_branch_page_queries_do_not_grow_with_its_records(client, village_and_helper, django_assert_max_num_queries):
    village = village_and_helper["village"]
    login(client, UserFactory.staff(region=village_and_helper["county"]))
    client.get(village.get_absolute_url())
    with django_assert_max_num_queries(10) as few:
        client.get(village.get_absolute_url())
    baseline = len(few)
    campaign = OptimisationCampaignFactory(city=village_and_helper["city"])
    for year in range(2015, 2024):
        GradeFactory(branch=village, year=year)
    for action in ("reelection", "secretary_replaced", "other"):
        OptimisationRecordFactory(branch=village, campaign=campaign, action=action)
    for _ in range(3):
        PairingFactory(
            helper=BranchFactory(county=village_and_helper["county"]),
            partner=village,
            status="dissolved",
            dissolved_on=datetime.date(2023, 1, 1),
            dissolve_reason="调整",
        )
    client.get(village.get_absolute_url())  # the optimisation form is drawn anew for the new campaign
    with django_assert_max_num_queries(baseline) as many:
        assert client.get(village.get_absolute_url()).status_code == 200
    assert len(many) == baseline


def test_old_dates_stay_iso_on_the_branch_page(client, village_and_helper):
    PairingFactory(
        helper=village_and_helper["helper"], partner=village_and_helper["village"], started_on=datetime.date(2021, 3, 4)
    )
    login(client, UserFactory.leader(region=village_and_helper["county"]))
    assert "2021-03-04" in client.get(village_and_helper["helper"].get_absolute_url()).content.decode()
