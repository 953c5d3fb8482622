"""The draw list and a draw's page: pairings counted without loading the draw's inputs; the pairs
paged, the first unpaired shown."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pairing.models import Draw, Pairing
from pairing.views import pairings as pairing_views
from tests.factories import (
    PairingFactory,
    UserFactory,
)

from .list_support import login

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("small_pages")]


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
    shown = list(response.context["page"])
    assert [d.pairing_count for d in shown] == [3]
    assert {"inputs", "result"} <= shown[0].get_deferred_fields()
    assert client.get(draw.get_absolute_url()).status_code == 200


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
