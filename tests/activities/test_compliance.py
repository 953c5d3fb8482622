"""The compliance grid: month rules, Asia/Shanghai boundaries, dissolution, and a fixed query count."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from activities import selectors
from activities.choices import ThemeDayStatus
from activities.models import ThemeDay
from pairing.models import Branch, Pairing
from tests.factories import BranchFactory, PairingFactory, PartnerBranchFactory, UserFactory

from .conftest import STARTED

pytestmark = pytest.mark.django_db
END_OF_2022 = datetime.date(2022, 12, 31)


def day(pairing, held_on, status=ThemeDayStatus.CONFIRMED):
    return ThemeDay.objects.create(
        pairing=pairing,
        recorded_by_branch=pairing.helper,
        held_on=held_on,
        theme="主题党日",
        place="村部",
        helper_attendance=5,
        status=status,
        return_reason="x" if status == ThemeDayStatus.RETURNED else "",
    )


def cells(pairing, year=2022, today=END_OF_2022):
    _months, rows = selectors.compliance_rows(pairings=[pairing], year=year, today=today)
    return rows[0].cells


def test_green_amber_red(county_pairings):
    day(county_pairings.pairing, datetime.date(2022, 1, 8))
    day(county_pairings.pairing, datetime.date(2022, 2, 12), ThemeDayStatus.PENDING)
    day(county_pairings.pairing, datetime.date(2022, 3, 12), ThemeDayStatus.RETURNED)
    day(county_pairings.pairing, datetime.date(2022, 4, 9), ThemeDayStatus.PENDING)
    day(county_pairings.pairing, datetime.date(2022, 4, 23))
    assert cells(county_pairings.pairing)[:5] == ["green", "amber", "amber", "green", "red"]


def test_last_evening_of_january_in_shanghai_is_january(county_pairings):
    # A day held on the evening of 31 January local time is entered as 2022-01-31 (UTC is still the 31st,
    # but 16:30 UTC would already be February in Shanghai): the month is the local calendar month.
    held = datetime.datetime(2022, 1, 31, 23, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
    day(county_pairings.pairing, held.date())
    day(
        county_pairings.pairing,
        datetime.datetime(2022, 2, 28, 16, 30, tzinfo=datetime.UTC).astimezone(held.tzinfo).date(),
    )
    jan, feb, mar = cells(county_pairings.pairing)[:3]
    assert (jan, feb, mar) == ("green", "red", "green")


def test_months_before_start_do_not_count_and_the_start_month_does(county_pairings):
    county_pairings.pairing.started_on = datetime.date(2022, 3, 31)
    county_pairings.pairing.save()
    assert cells(county_pairings.pairing)[:4] == ["none", "none", "red", "red"]


def test_dissolved_mid_month_counts_that_month_and_not_later(county_pairings):
    county_pairings.pairing.status, county_pairings.pairing.dissolved_on = "dissolved", datetime.date(2022, 6, 15)
    county_pairings.pairing.save()
    row = cells(county_pairings.pairing)
    assert row[5] == "red" and row[6:] == ["none"] * 6


def test_current_year_shows_only_months_begun(county_pairings):
    months, _rows = selectors.compliance_rows(
        pairings=[county_pairings.pairing], year=2022, today=datetime.date(2022, 5, 3)
    )
    assert [m.month for m in months] == [1, 2, 3, 4, 5]


def test_grid_filters_by_county_and_scope(client, county_pairings):
    client.force_login(county_pairings.leader)
    response = client.get(reverse("activities:compliance"), {"year": 2022, "county": county_pairings.county.pk})
    assert [r.pairing for r in response.context["rows"]] == [county_pairings.pairing]
    client.force_login(county_pairings.partner_sec)
    response = client.get(
        reverse("activities:compliance"), {"year": 2022, "county": county_pairings.other.helper.county_id}
    )
    assert [r.pairing for r in response.context["rows"]] == [county_pairings.pairing]
    client.force_login(county_pairings.other_staff)
    response = client.get(reverse("activities:compliance"), {"year": 2022})
    assert [r.pairing for r in response.context["rows"]] == [county_pairings.other]


def _many_pairings(county_pairings, n: int) -> None:
    base = county_pairings.pairing
    helpers = Branch.objects.bulk_create(
        [
            Branch(
                code=f"H{i:07d}",
                name=f"机关{i}",
                kind="organ",
                level="county",
                city=county_pairings.city,
                county=county_pairings.county,
                member_count=20,
            )
            for i in range(n)
        ]
    )
    partners = Branch.objects.bulk_create(
        [
            Branch(
                code=f"P{i:07d}",
                name=f"村{i}",
                kind="village",
                level="county",
                city=county_pairings.city,
                county=county_pairings.county,
                member_count=20,
            )
            for i in range(n)
        ]
    )
    pairings = Pairing.objects.bulk_create(
        [
            Pairing(campaign=base.campaign, helper=h, partner=p, method="draw", started_on=STARTED)
            for h, p in zip(helpers, partners, strict=True)
        ]
    )
    ThemeDay.objects.bulk_create(
        [
            ThemeDay(
                pairing=p,
                recorded_by_branch=p.helper,
                held_on=datetime.date(2022, m, 10),
                theme="t",
                place="p",
                helper_attendance=3,
                status="confirmed" if (p.pk + m) % 3 else "pending",
            )
            for p in pairings
            for m in range(1, 13)
            if (p.pk * m) % 7
        ],
        batch_size=5000,
    )


@pytest.mark.parametrize("n", [10, 300])
def test_grid_query_count_does_not_grow_with_rows(client, county_pairings, django_assert_max_num_queries, n):
    _many_pairings(county_pairings, n)
    client.force_login(county_pairings.staff)
    with django_assert_max_num_queries(9):
        response = client.get(reverse("activities:compliance"), {"year": 2022})
    assert response.status_code == 200
    assert len(response.context["rows"]) == min(n + 1, 100)


def test_grid_of_a_chosen_county_asks_no_more_whether_the_user_sees_it(
    client, county_pairings, django_assert_num_queries
):
    expected = [p.pk for p in _county_pairings(county_pairings)]
    client.force_login(county_pairings.leader)
    client.get(reverse("activities:compliance"))  # session and user warm
    # session, user with its unread notices, the user's region, the counties, the county's two sides, the theme days
    with django_assert_num_queries(7):
        response = client.get(reverse("activities:compliance"), {"year": 2022, "county": county_pairings.county.pk})
    assert [r.pairing.pk for r in response.context["rows"]] == expected
    assert response.context["heading"] == "2022年主题党日月度达标情况"


def test_grid_for_5000_pairings_times_12_months(client, county_pairings, django_assert_max_num_queries):
    """The grid's queries do not grow with the pairings: a page of 100 and the whole scope of 5,001.
    Its speed is the bench's (docs/performance.md: compliance grid), not a timer here."""
    _many_pairings(county_pairings, 5000)
    client.force_login(county_pairings.staff)
    with django_assert_max_num_queries(9):
        response = client.get(reverse("activities:compliance"), {"year": 2022})
    page = response.context["page"]
    assert len(page) == 100 and page.has_next and page.is_first
    # The whole scope in one call (no pagination), as a report would: still one theme-day query.
    pairings = selectors.compliance_pairings(user=county_pairings.staff, year=2022)
    with django_assert_max_num_queries(2):
        _months, rows = selectors.compliance_rows(pairings=pairings, year=2022, today=END_OF_2022)
    assert len(rows) == 5001


# --- pages --------------------------------------------------------------------------------------


def _county_pairings(county_pairings) -> list[Pairing]:
    """Pairings of the fixture's county in the grid's order: by the code of their branch in the county.

    Two helpers with two slots each, one pairing whose only county side is the partner (a 市直
    helper), and one whose only county side is the helper; a dissolved one from 2021 is not shown.
    """
    campaign = county_pairings.pairing.campaign
    made = []
    for code in ("C0300", "C0100"):
        helper = BranchFactory(code=code, county=county_pairings.county)
        for slot, partner_code in ((1, f"{code}-a"), (2, f"{code}-b")):
            partner = PartnerBranchFactory(code=partner_code, county=county_pairings.county)
            made.append(PairingFactory(helper=helper, partner=partner, campaign=campaign, slot=slot))
    city_helper = BranchFactory(code="A0001", county=None, city=county_pairings.city)
    made.append(
        PairingFactory(helper=city_helper, partner=PartnerBranchFactory(code="C0200", county=county_pairings.county))
    )
    other_county = county_pairings.other.partner.county
    made.append(
        PairingFactory(
            helper=BranchFactory(code="C0250", county=county_pairings.county),
            partner=PartnerBranchFactory(code="Z0001", county=other_county),
            campaign=campaign,
        )
    )
    PairingFactory(
        helper=BranchFactory(code="C0150", county=county_pairings.county),
        partner=PartnerBranchFactory(county=county_pairings.county),
        started_on=datetime.date(2020, 1, 1),
        status="dissolved",
        dissolved_on=datetime.date(2021, 5, 1),
    )

    def county_side_code(p):
        return p.helper.code if p.helper.county_id == county_pairings.county.pk else p.partner.code

    return sorted([county_pairings.pairing, *made], key=lambda p: (county_side_code(p), p.pk))


def _walk(user, county, *, size):
    pages, after = [], None
    while True:
        page = selectors.compliance_page(user=user, year=2022, county=county, size=size, after=after)
        pages.append([p.pk for p in page])
        if not page.has_next:
            return pages, page
        after = page.next_cursor


def test_pages_hold_every_pairing_once_in_county_code_order_both_ways(county_pairings):
    expected = [p.pk for p in _county_pairings(county_pairings)]
    for user, county in (
        (county_pairings.leader, county_pairings.county),
        (county_pairings.staff, None),
    ):  # chosen county / own county
        pages, last = _walk(user, county, size=3)
        assert [pk for page in pages for pk in page] == expected
        assert all(len(page) == 3 for page in pages[:-1])
        backwards, page = [last], last
        while page.has_previous:
            page = selectors.compliance_page(user=user, year=2022, county=county, size=3, before=page.previous_cursor)
            backwards.insert(0, page)
        assert [[p.pk for p in page] for page in backwards] == pages
        assert backwards[0].is_first


def test_grid_pages_through_the_view_with_the_filters_kept(client, county_pairings):
    expected = [p.pk for p in _county_pairings(county_pairings)]
    client.force_login(county_pairings.leader)
    response = client.get(reverse("activities:compliance"), {"year": 2022, "county": county_pairings.county.pk})
    assert [r.pairing.pk for r in response.context["rows"]] == expected  # fewer than a page
    assert 'data-testid="keyset-pagination"' not in response.content.decode()


def test_a_broken_cursor_gives_the_first_page(client, county_pairings):
    client.force_login(county_pairings.leader)
    for cursor in ("garbage", "W10", "WyJ4Il0", "eyJhIjoxfQ", "W251bGwsbnVsbF0", "x" * 2000):
        response = client.get(reverse("activities:compliance"), {"year": 2022, "after": cursor, "before": cursor})
        assert response.status_code == 200
        assert response.context["page"].is_first


def test_a_county_outside_the_scope_shows_nothing(client, county_pairings):
    client.force_login(county_pairings.other_staff)
    response = client.get(reverse("activities:compliance"), {"year": 2022, "county": county_pairings.county.pk})
    assert response.context["rows"] == []
    client.force_login(UserFactory.staff(region=county_pairings.city))
    response = client.get(
        reverse("activities:compliance"), {"year": 2022, "county": county_pairings.other.partner.county_id}
    )
    assert [r.pairing for r in response.context["rows"]] == [county_pairings.other]


def test_secretary_pages_through_own_pairings(county_pairings):
    page = selectors.compliance_page(user=county_pairings.partner_sec, year=2022, county=None, size=100)
    assert [p.pk for p in page] == [county_pairings.pairing.pk] and not page.has_other_pages
