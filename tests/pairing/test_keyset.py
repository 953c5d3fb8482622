"""The one keyset paginator (twinning/keyset.py) that every list page uses: both read modes walk
every row once both ways, the first page counts up to a cap, a page reached backwards is full,
and merged sources read as one list."""

from __future__ import annotations

import datetime

import pytest

from pairing.models import Branch, Pairing
from tests.factories import BranchFactory, PairingFactory, PartnerBranchFactory, RegionFactory
from twinning import keyset
from twinning.keyset import Keyset, keyset_page, merged_keyset_page

pytestmark = pytest.mark.django_db


def walk(queryset, keyset, *, size, **options):
    """Every page forwards by ``after=``, then backwards by ``before=``: (pages, pages read backwards)."""
    pages, page = [], keyset_page(queryset, keyset, size=size, **options)
    while True:
        pages.append([row.pk for row in page])
        if not page.has_next:
            break
        page = keyset_page(queryset, keyset, size=size, after=page.next_cursor, **options)
    back = [[row.pk for row in page]]
    while page.has_previous:
        page = keyset_page(queryset, keyset, size=size, before=page.previous_cursor, **options)
        back.insert(0, [row.pk for row in page])
    assert page.is_first
    return pages, back


@pytest.mark.parametrize("rows_by_pk", [False, True])
@pytest.mark.parametrize("keys", [("code",), ("-code",), ("name", "pk"), ("-name", "-pk")])
def test_pages_hold_every_row_once_in_order_both_ways(keys, rows_by_pk):
    county = RegionFactory(parent=RegionFactory(city=True))
    for i in range(11):
        BranchFactory(county=county, name=f"支部{i % 3}")
    expected = list(Branch.objects.order_by(*keys).values_list("pk", flat=True))
    pages, back = walk(Branch.objects.all(), Keyset(*keys), size=4, rows_by_pk=rows_by_pk)
    assert [pk for page in pages for pk in page] == expected
    assert [len(page) for page in pages] == [4, 4, 3]
    assert back == pages


def test_first_page_counts_up_to_the_cap_and_only_says_more_beyond_it():
    county = RegionFactory(parent=RegionFactory(city=True))
    branches = Branch.objects.filter(county=county)
    for _ in range(7):
        BranchFactory(county=county)
    counted = keyset_page(branches, Keyset("code"), size=3, count_cap=10, rows_by_pk=True)
    assert (counted.counted, counted.total, len(counted)) == (True, 7, 3)
    capped = keyset_page(branches, Keyset("code"), size=3, count_cap=5, rows_by_pk=True)
    assert (capped.counted, capped.total, capped.count_cap) == (True, None, 5)
    later = keyset_page(branches, Keyset("code"), size=3, count_cap=10, after=counted.next_cursor)
    assert not later.counted and later.total is None
    empty = keyset_page(Branch.objects.none(), Keyset("code"), size=3, count_cap=10)
    assert (empty.counted, empty.total, empty.is_first, empty.has_next) == (True, 0, True, False)


def test_going_back_to_a_start_that_lost_rows_serves_a_full_first_page():
    county = RegionFactory(parent=RegionFactory(city=True))
    branches = [BranchFactory(county=county) for _ in range(8)]
    keyset = Keyset("code")
    second = keyset_page(
        Branch.objects.all(), keyset, size=3, after=keyset_page(Branch.objects.all(), keyset, size=3).next_cursor
    )
    Branch.objects.filter(pk=branches[0].pk).delete()
    back = keyset_page(Branch.objects.all(), keyset, size=3, before=second.previous_cursor)
    assert back.is_first and not back.has_previous
    assert [b.pk for b in back] == [b.pk for b in branches[1:4]]


def test_a_cursor_that_is_not_ours_gives_the_first_page():
    county = RegionFactory(parent=RegionFactory(city=True))
    for _ in range(5):
        BranchFactory(county=county)
    first = keyset_page(Branch.objects.all(), Keyset("name", "pk"), size=2)
    for garbage in ("garbage", "WzEsMiwzXQ", "W3RydWUsMV0", "x" * 2000):
        page = keyset_page(Branch.objects.all(), Keyset("name", "pk"), size=2, after=garbage, before=garbage)
        assert page.is_first and [b.pk for b in page] == [b.pk for b in first]


def test_merged_sources_read_as_one_list_in_the_shared_order():
    city = RegionFactory(city=True)
    county, other = RegionFactory(parent=city), RegionFactory(parent=city)
    pairings = [
        PairingFactory(
            helper=BranchFactory(county=county if i % 2 else other, code=f"H{i:03d}"),
            partner=PartnerBranchFactory(county=county if i % 2 == 0 else other, code=f"P{i:03d}"),
        )
        for i in range(9)
    ]
    helper_side = Pairing.objects.filter(helper__county=county).select_related("helper", "partner")
    partner_only = (
        Pairing.objects.filter(partner__county=county)
        .exclude(helper__county=county)
        .select_related("helper", "partner")
    )
    sources = [
        (helper_side, Keyset("helper__code", "pk", within=("helper__county", county.pk))),
        (partner_only, Keyset("partner__code", "pk", within=("partner__county", county.pk))),
    ]

    def county_code(p):
        return p.helper.code if p.helper.county_id == county.pk else p.partner.code

    expected = [p.pk for p in sorted(pairings, key=county_code)]
    pages, page = [], merged_keyset_page(sources, size=4)
    while True:
        pages.append([p.pk for p in page])
        if not page.has_next:
            break
        page = merged_keyset_page(sources, size=4, after=page.next_cursor)
    assert [pk for page in pages for pk in page] == expected
    back = merged_keyset_page(sources, size=4, before=page.previous_cursor)
    assert [p.pk for p in back] == pages[-2]


def test_keys_must_be_non_null_columns():
    with pytest.raises(ValueError):
        Keyset("county").decode(Branch, "WzFd")


def test_cursors_round_trip_dates_and_text():
    by_date = Keyset("-started_on", "-id")
    assert by_date.decode(Pairing, keyset.cursor_encode([datetime.date(2022, 5, 1), 42])) == (
        datetime.date(2022, 5, 1),
        42,
    )
    by_name = Keyset("name", "id")
    assert by_name.decode(Branch, keyset.cursor_encode(["商城县·第一", 7])) == ("商城县·第一", 7)


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
