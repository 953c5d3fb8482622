"""The staff's busiest pages drawn from column rows (named tuples) instead of model instances: the
branch list, the pairing list and a branch's page show what the models say, link where the models
link, offer new regions and campaigns at once, and cost the same queries for few and many records."""

from __future__ import annotations

import datetime
import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from pairing import keyset
from pairing.models import Branch, Grade
from pairing.services import registry as registry_services
from tests.factories import (
    PASSWORD,
    BranchFactory,
    GradeFactory,
    OptimisationCampaignFactory,
    OptimisationRecordFactory,
    PairingFactory,
    PartnerBranchFactory,
    RegionFactory,
    UnitFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

ROW_LINKS = re.compile(r'<td(?: class="d-none d-md-table-cell")?><a href="([^"]+)">([^<]+)</a></td>')


@pytest.fixture
def village_and_helper():
    city = RegionFactory(city=True, name="信阳市")
    county = RegionFactory(parent=city, name="商城县")
    township = RegionFactory(parent=county, name="鄢岗镇")
    village = PartnerBranchFactory(county=county, township=township, region=RegionFactory(parent=township))
    helper = BranchFactory(county=county, unit=UnitFactory(city=city), name="商城县委办公室机关党支部")
    return {"city": city, "county": county, "township": township, "village": village, "helper": helper}


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_branch_rows_link_to_their_pages_and_show_their_columns(client, village_and_helper):
    village = village_and_helper["village"]
    GradeFactory(branch=village, grade=Grade.WEAK)
    OptimisationRecordFactory(branch=village, campaign=OptimisationCampaignFactory(city=village_and_helper["city"]))
    login(client, UserFactory.staff(region=village_and_helper["county"]))
    content = client.get(reverse("pairing:branch_list")).content.decode()
    links = {name: href for href, name in ROW_LINKS.findall(content)}
    for branch in (village, village_and_helper["helper"]):
        assert links[branch.name] == branch.get_absolute_url()
        assert links[branch.code] == branch.get_absolute_url()
    row = content[content.index(village.name) :].split("</tr>", 1)[0]
    for shown in (
        village.get_kind_display(),
        "鄢岗镇",
        "商城县",
        village.secretary_phone,
        "差",
        '<span class="true">✔</span>',
    ):
        assert shown in row


def test_pairing_rows_link_to_their_pages(client, village_and_helper):
    pairing = PairingFactory(helper=village_and_helper["helper"], partner=village_and_helper["village"], slot=2)
    login(client, UserFactory.staff(region=village_and_helper["county"]))
    content = client.get(reverse("pairing:pairing_list")).content.decode()
    assert f'<a href="{pairing.get_absolute_url()}">{village_and_helper["helper"].name}</a>' in content
    row = content[content.index(pairing.get_absolute_url()) :].split("</tr>", 1)[0]
    for shown in (village_and_helper["village"].name, "商城县", pairing.get_method_display(), "一帮二", "2022-01-01"):
        assert shown in row


def test_a_region_added_or_chosen_shows_in_the_filters_at_once(client, village_and_helper):
    login(client, UserFactory.staff(region=village_and_helper["city"]))
    url = reverse("pairing:branch_list")
    assert "鄢岗镇" in client.get(url).content.decode()
    RegionFactory(parent=village_and_helper["county"], name="新设街道")  # as a roster import adds a township
    other = RegionFactory(parent=village_and_helper["city"], name="光山县")
    content = client.get(url).content.decode()
    assert "新设街道" in content and f'<option value="{other.pk}">光山县</option>' in content
    chosen = client.get(url, {"county": other.pk}).content.decode()
    assert f'<option value="{other.pk}" selected>光山县</option>' in chosen and "鄢岗镇" not in chosen
    assert f'<option value="{other.pk}">光山县</option>' in client.get(reverse("pairing:pairing_list")).content.decode()


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


def test_rows_read_as_named_tuples_page_like_model_instances():
    county = RegionFactory(parent=RegionFactory(city=True))
    for i in range(7):
        BranchFactory(county=county, name=f"支部{i % 2}")
    branches = Branch.objects.filter(county=county)
    by_name = keyset.Keyset("name", "pk")
    models = keyset.keyset_page(branches, by_name, size=3, rows_by_pk=True, count_cap=10)
    tuples = keyset.keyset_page(
        branches, by_name, size=3, rows_by_pk=True, count_cap=10, load=lambda qs: qs.values_list("pk", "name")
    )
    assert [b.pk for b in models] == [row[0] for row in tuples] and tuples.total == 7
    later = keyset.keyset_page(
        branches, by_name, size=3, rows_by_pk=True, after=tuples.next_cursor, load=lambda qs: qs.values("pk")
    )
    assert [row["pk"] for row in later] == [
        b.pk for b in keyset.keyset_page(branches, by_name, size=3, after=models.next_cursor)
    ]


def test_count_line_reads_in_english(client, village_and_helper):
    user = UserFactory.staff(region=village_and_helper["county"])
    login(client, user)
    client.cookies["django_language"] = "en"
    content = unescape(client.get(reverse("pairing:branch_list")).content.decode())
    assert "2 branches" in content
    PairingFactory(helper=village_and_helper["helper"], partner=village_and_helper["village"])
    assert "1 pairing" in unescape(client.get(reverse("pairing:pairing_list")).content.decode())


def test_old_dates_stay_iso_on_the_branch_page(client, village_and_helper):
    PairingFactory(
        helper=village_and_helper["helper"], partner=village_and_helper["village"], started_on=datetime.date(2021, 3, 4)
    )
    login(client, UserFactory.leader(region=village_and_helper["county"]))
    assert "2021-03-04" in client.get(village_and_helper["helper"].get_absolute_url()).content.decode()
