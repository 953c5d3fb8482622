"""The big lists (branches, pairings, draws): keyset pages hold every row once and in order, with
filters and sorts kept across pages; garbage cursors give the first page; query counts do not grow;
the count is honest; the scope holds on every page and for any cursor."""

from __future__ import annotations

import base64
import datetime
import json
import re
from html import unescape

import pytest
from django.urls import reverse

from pairing import keyset
from pairing.choices import PairingStatus
from pairing.models import Branch, Draw, Pairing
from pairing.services import pairings as services
from pairing.views import pairings as pairing_views
from pairing.views import registry as registry_views
from tests.factories import (
    PASSWORD,
    BranchFactory,
    GradeFactory,
    OptimisationCampaignFactory,
    OptimisationRecordFactory,
    PairingFactory,
    PartnerBranchFactory,
    RegionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PAGE = 4
NEXT = re.compile(r'rel="next" href="([^"]+)"')
PREVIOUS = re.compile(r'rel="prev" href="([^"]+)"')


@pytest.fixture(autouse=True)
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


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def cursor(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def walk(client, url: str, params: dict | None = None) -> list:
    """Follow the "next" links from the first page, then the "previous" links back, checking both
    ways give the same pages; return the pages' rows."""
    response = client.get(url, params or {})
    pages = []
    while True:
        assert response.status_code == 200
        pages.append(list(response.context["page"].rows))
        found = NEXT.search(response.content.decode())
        if not found:
            break
        assert len(pages) < 50, "the pages do not end"
        response = client.get(url + unescape(found.group(1)))
    back = [pages[-1]]
    while found := PREVIOUS.search(response.content.decode()):
        response = client.get(url + unescape(found.group(1)))
        back.append(list(response.context["page"].rows))
    assert back[::-1] == pages, "going back gives other pages than going forward"
    return pages


def rows(pages: list) -> list:
    return [row for page in pages for row in page]


def flat(pages: list) -> list:
    """The primary keys of the pages' rows (named tuples of the columns shown, or model instances)."""
    return [row.pk for page in pages for row in page]


def pks(objects) -> list:
    return [obj.pk for obj in objects]


# --- branch list ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sort", "order"),
    [("", ("code",)), ("-code", ("-code",)), ("name", ("name", "id")), ("-name", ("-name", "-id"))],
)
def test_branch_pages_hold_every_row_in_scope_once_in_order(client, many_branches, sort, order):
    login(client, UserFactory.staff(region=many_branches["county"]))
    pages = walk(client, reverse("pairing:branch_list"), {"sort": sort} if sort else {})
    expected = list(Branch.objects.filter(county=many_branches["county"]).order_by(*order))
    assert flat(pages) == pks(expected)
    assert all(len(page) == PAGE for page in pages[:-1]) and 1 <= len(pages[-1]) <= PAGE


def test_branch_pages_keep_the_filters(client, many_branches):
    for village in many_branches["villages"][:5]:
        GradeFactory(branch=village, grade="weak")
    login(client, UserFactory.staff(region=many_branches["city"]))
    url = reverse("pairing:branch_list")
    pages = walk(client, url, {"kind": "village", "grade": "weak", "sort": "-name"})
    assert flat(pages) == pks(
        Branch.objects.filter(pk__in=[b.pk for b in many_branches["villages"][:5]]).order_by("-name", "-id")
    )
    assert len(pages) == 2
    second = client.get(url, {"kind": "village", "grade": "weak", "sort": "-name"}).content.decode()
    link = unescape(NEXT.search(second).group(1))
    assert "kind=village" in link and "grade=weak" in link and "sort=-name" in link


def test_branch_page_after_an_out_of_scope_row_shows_only_rows_in_scope(client, many_branches):
    login(client, UserFactory.staff(region=many_branches["county"]))
    early = BranchFactory(county=many_branches["other"], code="A0001", name="光山县更早的党支部")
    for row in (early, many_branches["mine"][3]):
        response = client.get(reverse("pairing:branch_list"), {"after": cursor([row.code])})
        assert response.status_code == 200
        shown = response.context["page"].rows
        assert shown and all(b.county_id == many_branches["county"].pk and b.code > row.code for b in shown)
        assert many_branches["theirs"][1].name not in response.content.decode()


@pytest.mark.parametrize(
    "garbage",
    [
        "x",
        "!!!",
        "W10",  # []
        cursor({"code": "T1"}),
        cursor([None]),
        cursor([True]),
        cursor([1.5]),
        cursor(["T\x00"]),
        cursor(["T1", "T2"]),
        cursor(["x" * 60]),  # longer than the column
        "A" * 5000,
    ],
)
def test_garbage_cursor_gives_the_first_page(client, many_branches, garbage):
    login(client, UserFactory.staff(region=many_branches["county"]))
    url = reverse("pairing:branch_list")
    first = client.get(url).context["page"].rows
    for name in ("after", "before"):
        response = client.get(url, {name: garbage})
        assert response.status_code == 200
        assert response.context["page"].rows == first
        assert response.context["page"].is_first


@pytest.mark.parametrize("garbage", [cursor(["名", 10**30]), cursor(["名", "x"]), cursor(["名"]), cursor([["名"], 1])])
def test_garbage_name_cursor_gives_the_first_page(client, many_branches, garbage):
    login(client, UserFactory.staff(region=many_branches["county"]))
    url = reverse("pairing:branch_list")
    response = client.get(url, {"sort": "name", "after": garbage})
    assert response.status_code == 200
    assert response.context["page"].is_first


def test_old_page_numbers_and_unknown_sorts_give_the_first_page_in_code_order(client, many_branches):
    login(client, UserFactory.staff(region=many_branches["county"]))
    response = client.get(reverse("pairing:branch_list"), {"page": "3", "sort": "member_count"})
    assert response.status_code == 200
    codes = sorted(b.code for b in many_branches["mine"] + many_branches["villages"])
    assert [b.code for b in response.context["page"].rows] == codes[:PAGE]


def test_branch_list_says_how_many_and_when_there_are_more_than_it_counted(client, many_branches, monkeypatch):
    login(client, UserFactory.staff(region=many_branches["county"]))
    url = reverse("pairing:branch_list")
    assert "共 17 个支部" in client.get(url).content.decode()
    assert "共 6 个支部" in client.get(url, {"kind": "village"}).content.decode()
    monkeypatch.setattr(registry_views, "BRANCH_COUNT_CAP", 10)
    content = client.get(url).content.decode()
    assert "超过 10 个支部" in content and "共 17" not in content
    # Later pages do not count.
    later = client.get(url, {"after": cursor([many_branches["mine"][0].code])})
    assert 'data-testid="list-count"' not in later.content.decode()


def test_branch_list_queries_do_not_grow_with_rows_or_depth(client, many_branches, django_assert_max_num_queries):
    login(client, UserFactory.staff(region=many_branches["county"]))
    url = reverse("pairing:branch_list")
    client.get(url)
    with django_assert_max_num_queries(7) as few:
        client.get(url)
    baseline = len(few)  # now: a later request resets the connection's query log
    for _ in range(40):
        GradeFactory(branch=BranchFactory(county=many_branches["county"]))
    for params in ({}, {"sort": "-name"}, {"after": cursor([many_branches["mine"][5].code])}, {"kind": "organ"}):
        with django_assert_max_num_queries(7) as many:
            response = client.get(url, params)
            queries = len(many)
        assert response.status_code == 200 and len(response.context["page"].rows) == PAGE
        assert queries == baseline, params


def test_branch_list_without_rows_says_so(client, many_branches):
    login(client, UserFactory.staff(region=many_branches["county"]))
    response = client.get(reverse("pairing:branch_list"), {"q": "没有这个支部"})
    content = response.content.decode()
    assert "没有符合条件的支部。" in content
    assert 'rel="next"' not in content and 'rel="prev"' not in content


def test_staff_get_row_checkboxes_and_leaders_do_not(client, many_branches):
    url = reverse("pairing:branch_list")
    content = login(client, UserFactory.staff(region=many_branches["county"])).get(url).content.decode()
    assert 'data-select-all="branches"' in content and 'name="branches"' in content
    client.logout()
    content = login(client, UserFactory.leader(region=many_branches["county"])).get(url).content.decode()
    assert 'name="branches"' not in content


# --- pairing list ---------------------------------------------------------------------------


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


def test_pairing_pages_hold_every_pairing_in_scope_once_newest_first(client, many_branches, pairings):
    login(client, UserFactory.staff(region=many_branches["county"]))
    pages = walk(client, reverse("pairing:pairing_list"))
    expected = sorted(pairings[:6], key=lambda p: p.pk, reverse=True)
    assert flat(pages) == pks(expected)
    assert len(pages) == 2


def test_pairing_pages_keep_the_filters(client, many_branches, pairings):
    login(client, UserFactory.staff(region=many_branches["city"]))
    url = reverse("pairing:pairing_list")
    pages = walk(client, url, {"status": "active", "county": many_branches["county"].pk})
    assert flat(pages) == sorted([p.pk for p in pairings[:6] if p.pk != pairings[1].pk], reverse=True)
    link = unescape(NEXT.search(client.get(url, {"status": "active"}).content.decode()).group(1))
    assert "status=active" in link


def test_pairing_list_garbage_cursors_give_the_first_page(client, many_branches, pairings):
    login(client, UserFactory.staff(region=many_branches["county"]))
    url = reverse("pairing:pairing_list")
    first = client.get(url).context["page"].rows
    for garbage in (cursor([10**30]), cursor(["x"]), cursor([-1.5]), cursor([1, 1]), "%%%"):
        response = client.get(url, {"after": garbage})
        assert response.status_code == 200 and response.context["page"].rows == first


def test_pairing_list_counts_what_it_shows(client, many_branches, pairings, monkeypatch):
    login(client, UserFactory.staff(region=many_branches["county"]))
    url = reverse("pairing:pairing_list")
    assert "共 6 个结对" in client.get(url).content.decode()
    monkeypatch.setattr(pairing_views, "PAIRING_COUNT_CAP", 5)
    assert "超过 5 个结对" in client.get(url).content.decode()


def test_a_secretary_pages_through_their_own_pairings_only(client, many_branches, pairings):
    login(client, UserFactory.secretary(branch=many_branches["mine"][0]))
    assert flat(walk(client, reverse("pairing:pairing_list"))) == [pairings[0].pk]


def test_pairing_list_queries_do_not_grow(client, many_branches, pairings, django_assert_max_num_queries):
    owner = UserFactory.staff(region=many_branches["county"])
    login(client, owner)
    url = reverse("pairing:pairing_list")
    client.get(url)
    with django_assert_max_num_queries(7) as few:
        client.get(url)
    baseline = len(few)
    for _ in range(20):
        village = PartnerBranchFactory(county=many_branches["county"])
        services.pairing_create(
            helper=BranchFactory(county=many_branches["county"]), partner=village, acting_user=owner
        )
    first = client.get(url).context["page"].rows
    for params in ({}, {"after": keyset.cursor_encode([first[-1].pk])}):
        with django_assert_max_num_queries(baseline) as many:
            assert client.get(url, params).status_code == 200
        assert len(many) == baseline


# --- draws ----------------------------------------------------------------------------------


def test_draw_list_counts_pairings_without_loading_inputs(client, many_branches, pairings):
    staff = UserFactory.staff(region=many_branches["county"])
    draw = Draw.objects.create(
        campaign=pairings[0].campaign,
        region=many_branches["county"],
        level="county",
        seed=7,
        grade_year=2022,
        inputs={"helpers": {}, "partners": {}},
        result={"pairs": [], "unpaired_helpers": [], "unpaired_partners": []},
        created_by=staff,
    )
    Pairing.objects.filter(pk__in=[p.pk for p in pairings[:3]]).update(draw=draw)
    response = login(client, staff).get(reverse("pairing:draw_list"))
    assert response.status_code == 200
    shown = list(response.context["page_obj"])
    assert [d.pairing_count for d in shown] == [3]
    assert {"inputs", "result"} <= shown[0].get_deferred_fields()
    assert client.get(draw.get_absolute_url()).status_code == 200


# --- the keyset helper itself ---------------------------------------------------------------


def test_cursors_round_trip_dates_and_text():
    fields = keyset._fields(Pairing, ("-started_on", "-id"))
    assert keyset.cursor_decode(keyset.cursor_encode([datetime.date(2022, 5, 1), 42]), fields) == [
        datetime.date(2022, 5, 1),
        42,
    ]
    names = keyset._fields(Branch, ("name", "id"))
    assert keyset.cursor_decode(keyset.cursor_encode(["商城县·第一", 7]), names) == ["商城县·第一", 7]


def test_keyset_refuses_orders_it_cannot_seek():
    with pytest.raises(ValueError):
        keyset._fields(Branch, ("county",))


def test_county_pairings_are_those_with_either_side_in_the_county(client, many_branches, pairings):
    """Whichever side is in the county, for county staff and for the city's county filter."""
    helper_side = PairingFactory(
        helper=many_branches["mine"][7], partner=PartnerBranchFactory(county=many_branches["other"])
    )
    partner_side = PairingFactory(
        helper=many_branches["theirs"][1], partner=PartnerBranchFactory(county=many_branches["county"])
    )
    expected = sorted([*pairings[:6], helper_side, partner_side], key=lambda p: p.pk, reverse=True)
    url = reverse("pairing:pairing_list")
    assert flat(walk(login(client, UserFactory.staff(region=many_branches["county"])), url)) == pks(expected)
    client.logout()
    assert flat(
        walk(
            login(client, UserFactory.staff(region=many_branches["city"])), url, {"county": many_branches["county"].pk}
        )
    ) == (pks(expected))
    client.logout()
    township = many_branches["villages"][0].township
    shown = flat(walk(login(client, UserFactory.leader(region=township)), url))
    assert shown == sorted([p.pk for p in pairings if p.partner.township_id == township.pk], reverse=True)


# --- API ------------------------------------------------------------------------------------


def api_walk(client, url: str) -> list[dict]:
    rows = []
    while url:
        body = client.get(url).json()
        rows += body["results"]
        url = body["next"]
    return rows


def test_api_pages_branches_in_code_order_and_pairings_of_either_side(client, many_branches, pairings):
    login(client, UserFactory.staff(region=many_branches["county"]))
    codes = [row["code"] for row in api_walk(client, "/api/v1/branches/?page_size=4")]
    assert codes == sorted(b.code for b in many_branches["mine"] + many_branches["villages"])
    helper_side = PairingFactory(
        helper=many_branches["mine"][7], partner=PartnerBranchFactory(county=many_branches["other"])
    )
    ids = [row["id"] for row in api_walk(client, "/api/v1/pairings/?page_size=4")]
    assert ids == sorted([p.pk for p in pairings[:6]] + [helper_side.pk], reverse=True)


def test_grade_and_optimised_filters_match_the_columns_they_filter(client, many_branches):
    """The filters test EXISTS; what they keep must be exactly the rows whose columns say so."""
    current = OptimisationCampaignFactory(city=many_branches["city"], is_current=True)
    old = OptimisationCampaignFactory(city=many_branches["city"], is_current=False, name="旧批次")
    for branch in many_branches["mine"][:3]:
        OptimisationRecordFactory(branch=branch, campaign=current)
    OptimisationRecordFactory(branch=many_branches["mine"][3], campaign=old)  # not this campaign: not optimised
    GradeFactory(branch=many_branches["mine"][0], grade="weak")
    GradeFactory(branch=many_branches["mine"][1], grade="good")
    GradeFactory(branch=many_branches["mine"][2], grade="weak", year=2001)  # another year: ungraded this year
    login(client, UserFactory.staff(region=many_branches["county"]))
    url = reverse("pairing:branch_list")
    everyone = rows(walk(client, url))
    for params, keep in [
        ({"optimised": "yes"}, lambda b: b.is_optimised),
        ({"optimised": "no"}, lambda b: not b.is_optimised),
        ({"grade": "weak"}, lambda b: b.current_grade == "weak"),
        ({"grade": "none"}, lambda b: b.current_grade is None),
        ({"grade": "weak", "optimised": "yes"}, lambda b: b.current_grade == "weak" and b.is_optimised),
    ]:
        assert flat(walk(client, url, params)) == [b.pk for b in everyone if keep(b)], params
    assert [b.pk for b in everyone if b.is_optimised] == [b.pk for b in many_branches["mine"][:3]]


def test_draw_detail_pages_its_pairs_and_shows_the_first_unpaired(client, many_branches, monkeypatch):
    monkeypatch.setattr(pairing_views, "DRAW_ROWS_SHOWN", 2)
    staff = UserFactory.staff(region=many_branches["county"])
    helpers, villages = many_branches["mine"], many_branches["villages"]
    pairs = [
        {"helper": h.code, "helper_grade": "good", "partner": p.code, "partner_grade": "weak", "double": False}
        for h, p in zip(helpers[:5], villages[:5], strict=True)
    ]
    draw = Draw.objects.create(
        campaign=PairingFactory(helper=helpers[10], partner=villages[5]).campaign,
        region=many_branches["county"],
        level="county",
        seed=1,
        grade_year=2022,
        inputs={"helpers": {h.code: "good" for h in helpers[:10]}, "partners": {p.code: "weak" for p in villages[:5]}},
        result={"pairs": pairs, "unpaired_helpers": [h.code for h in helpers[5:10]], "unpaired_partners": []},
        created_by=staff,
    )
    login(client, staff)
    first = client.get(draw.get_absolute_url()).content.decode()
    assert helpers[0].code in first and helpers[1].code in first and helpers[2].code not in first
    assert "?page=2" in first and "（5）" in first and "仅显示前 2 个" in first
    assert helpers[5].code in first and helpers[6].code in first and helpers[7].code not in first
    third = client.get(draw.get_absolute_url(), {"page": 3}).content.decode()
    assert helpers[4].code in third and helpers[3].code not in third
