"""Branch.optimised (本批次已优化), kept beside the records it is read from: every way a record or a
current campaign changes leaves the flag equal to "has a record in a current campaign", which the
branch list's 已优化 filter and column read."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory
from django.urls import reverse

from pairing.models import Branch, OptimisationCampaign, OptimisationRecord
from pairing.services import registry as services
from tests.factories import (
    PASSWORD,
    BranchFactory,
    OptimisationCampaignFactory,
    OptimisationRecordFactory,
    RegionFactory,
    UserFactory,
)

from .roster_support import roster_regions, row  # noqa: F401
from .test_roster_services import existing, run

pytestmark = pytest.mark.django_db


def truth() -> dict[int, bool]:
    """Each branch's flag as the records say it."""
    current = set(OptimisationRecord.objects.filter(campaign__is_current=True).values_list("branch_id", flat=True))
    return {pk: pk in current for pk in Branch.objects.values_list("pk", flat=True)}


def flags() -> dict[int, bool]:
    return dict(Branch.objects.values_list("pk", "optimised"))


@pytest.fixture
def city():
    city = RegionFactory(city=True)
    county = RegionFactory(parent=city)
    branches = [BranchFactory(county=county) for _ in range(4)]
    return {"city": city, "county": county, "branches": branches, "staff": UserFactory.staff(region=city)}


def test_recording_a_step_in_the_current_campaign_flags_the_branch_and_an_old_one_does_not(city):
    first, second = city["branches"][:2]
    old = OptimisationCampaignFactory(city=city["city"], is_current=False, name="旧批次")
    current = OptimisationCampaignFactory(city=city["city"])
    day = datetime.date(2022, 3, 1)
    services.optimisation_record(
        branch=first, campaign=current, action="reelection", done_on=day, acting_user=city["staff"]
    )
    services.optimisation_record(
        branch=second, campaign=old, action="reelection", done_on=day, acting_user=city["staff"]
    )
    assert flags() == truth() and flags()[first.pk] and not flags()[second.pk]
    assert not Branch.history.filter(history_type="~").exists()  # the flag is derived: no history of its own


def test_switching_the_current_campaign_moves_the_flags_of_its_city_only(city):
    old = OptimisationCampaignFactory(city=city["city"])
    first, second, *_ = city["branches"]
    OptimisationRecordFactory(branch=first, campaign=old)
    elsewhere = OptimisationRecordFactory(branch=BranchFactory(county=RegionFactory(parent=RegionFactory(city=True))))
    assert flags()[first.pk] and flags()[elsewhere.branch_id]
    old.is_current = False
    services.optimisation_campaign_save(campaign=old)
    new = services.optimisation_campaign_save(
        campaign=OptimisationCampaign(city=city["city"], name="新批次", starts_on=datetime.date(2023, 1, 1))
    )
    OptimisationRecordFactory(branch=second, campaign=new)
    assert flags() == truth() and not flags()[first.pk] and flags()[second.pk] and flags()[elsewhere.branch_id]


def test_deleting_or_moving_a_record_clears_the_branch_it_left(city):
    first, second, third, _ = city["branches"]
    record = OptimisationRecordFactory(branch=first)
    other = OptimisationRecordFactory(branch=second)
    record.branch = third
    services.optimisation_record_save(record=record, acting_user=city["staff"])
    assert flags() == truth() and not flags()[first.pk] and flags()[third.pk]
    services.optimisation_record_delete(record=other, acting_user=city["staff"])
    assert flags() == truth() and not flags()[second.pk]


def test_the_admin_bulk_delete_clears_the_flags(client, city):
    records = [OptimisationRecordFactory(branch=b) for b in city["branches"]]
    admin = site._registry[OptimisationRecord]
    request = RequestFactory().post("/")
    request.user = UserFactory(is_superuser=True, is_staff=True)
    admin.delete_queryset(request, OptimisationRecord.objects.filter(pk__in=[r.pk for r in records[:2]]))
    assert flags() == truth() and sum(flags().values()) == 2


def test_refresh_repairs_flags_written_around_it(city):
    OptimisationRecordFactory(branch=city["branches"][0])
    Branch.objects.update(optimised=False)
    Branch.objects.filter(pk=city["branches"][1].pk).update(optimised=True)
    assert Branch.refresh_optimised(city_id=city["city"].pk) == 2
    assert flags() == truth()


def test_roster_import_flags_and_unflags_as_its_yes_and_no(roster_regions):  # noqa: F811
    branch = existing("C0001", county=roster_regions.shangcheng)
    assert not Branch.objects.get(pk=branch.pk).optimised
    run([row("C0001", optimised="是"), row("C0002", optimised="是")], roster_regions.staff_county)
    assert (
        flags() == truth() and Branch.objects.get(code="C0001").optimised and Branch.objects.get(code="C0002").optimised
    )
    run([row("C0001", optimised="否")], roster_regions.staff_county)
    assert flags() == truth() and not Branch.objects.get(code="C0001").optimised


def test_the_list_filter_and_column_follow_the_flag(client, city):
    first, second, *_ = city["branches"]
    OptimisationRecordFactory(branch=first)
    assert client.login(username=city["staff"].username, password=PASSWORD)
    url = reverse("pairing:branch_list")
    shown = client.get(url, {"optimised": "no"}).content.decode()
    assert first.name not in shown and second.name in shown
    assert first.name in client.get(url, {"optimised": "yes"}).content.decode()


@pytest.mark.postgres
def test_changes_to_a_branchs_records_take_turns(requires_postgres, django_assert_max_num_queries):
    """The record's branch row is locked (FOR UPDATE) before the record is written and the flag is
    recomputed, so concurrent changes to one branch recompute it one after the other."""
    campaign = OptimisationCampaignFactory(is_current=True)
    branch = BranchFactory(city=campaign.city)
    with django_assert_max_num_queries(10) as queries:
        record = OptimisationRecordFactory(branch=branch, campaign=campaign)
    with django_assert_max_num_queries(10) as deleting:
        services.optimisation_record_delete(record=record, acting_user=None)
    for captured in (queries, deleting):
        sql = [q["sql"] for q in captured.captured_queries]
        locked = next(i for i, q in enumerate(sql) if "FOR UPDATE" in q and "pairing_branch" in q)
        written = next(i for i, q in enumerate(sql) if "pairing_optimisationrecord" in q and "SELECT" not in q[:7])
        assert locked < written
