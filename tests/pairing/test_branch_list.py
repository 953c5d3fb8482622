"""The branch list (and its API): keyset pages hold every row once and in order, with filters and
sorts kept across pages; garbage cursors give the first page; query counts do not grow; the count
is honest; the scope holds on every page and for any cursor; rows link to their pages and show
their columns; new regions show in the filters at once."""

from __future__ import annotations

from html import unescape

import pytest
from django.urls import reverse

from pairing.models import Branch, Grade
from pairing.views import registry as registry_views
from tests.factories import (
    BranchFactory,
    GradeFactory,
    OptimisationCampaignFactory,
    OptimisationRecordFactory,
    PairingFactory,
    PartnerBranchFactory,
    RegionFactory,
    UserFactory,
)

from .list_support import NEXT, PAGE, ROW_LINKS, api_walk, cursor, flat, login, pks, rows, walk

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("small_pages")]


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


def test_count_line_reads_in_english(client, village_and_helper):
    user = UserFactory.staff(region=village_and_helper["county"])
    login(client, user)
    client.cookies["django_language"] = "en"
    content = unescape(client.get(reverse("pairing:branch_list")).content.decode())
    assert "2 branches" in content
    PairingFactory(helper=village_and_helper["helper"], partner=village_and_helper["village"])
    assert "1 pairing" in unescape(client.get(reverse("pairing:pairing_list")).content.decode())


def test_api_pages_branches_in_code_order_and_pairings_of_either_side(client, many_branches, pairings):
    login(client, UserFactory.staff(region=many_branches["county"]))
    codes = [row["code"] for row in api_walk(client, "/api/v1/branches/?page_size=4")]
    assert codes == sorted(b.code for b in many_branches["mine"] + many_branches["villages"])
    helper_side = PairingFactory(
        helper=many_branches["mine"][7], partner=PartnerBranchFactory(county=many_branches["other"])
    )
    ids = [row["id"] for row in api_walk(client, "/api/v1/pairings/?page_size=4")]
    assert ids == sorted([p.pk for p in pairings[:6]] + [helper_side.pk], reverse=True)
