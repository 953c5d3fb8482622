"""The pairing list: keyset pages hold every pairing in scope once, newest first, with the filters
kept; garbage cursors give the first page; the count is honest; query counts do not grow; a
county's pairings are those with either side in it; rows link to their pages."""

from __future__ import annotations

from html import unescape

import pytest
from django.urls import reverse

from pairing.services import pairings as services
from pairing.views import pairings as pairing_views
from tests.factories import (
    BranchFactory,
    PairingFactory,
    PartnerBranchFactory,
    UserFactory,
)
from twinning import keyset

from .list_support import NEXT, cursor, flat, login, pks, walk

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("small_pages")]


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


def test_pairing_rows_link_to_their_pages(client, village_and_helper):
    pairing = PairingFactory(helper=village_and_helper["helper"], partner=village_and_helper["village"], slot=2)
    login(client, UserFactory.staff(region=village_and_helper["county"]))
    content = client.get(reverse("pairing:pairing_list")).content.decode()
    assert f'<a href="{pairing.get_absolute_url()}">{village_and_helper["helper"].name}</a>' in content
    row = content[content.index(pairing.get_absolute_url()) :].split("</tr>", 1)[0]
    for shown in (village_and_helper["village"].name, "商城县", pairing.get_method_display(), "一帮二", "2022-01-01"):
        assert shown in row
