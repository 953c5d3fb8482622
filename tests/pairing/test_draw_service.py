"""The draw as a service and a command: preview writes nothing, confirm records, verification, races."""

from __future__ import annotations

import json
import threading
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from pairing.choices import Grade, PairingMethod
from pairing.models import Draw, Pairing, PairingCampaign
from pairing.services import draw as draw_services
from pairing.services import pairings as pairing_services
from tests.factories import BranchFactory, UserFactory

from .pairing_fixtures import central_community, graded, helper, make_world, staff

pytestmark = pytest.mark.django_db


def test_preview_writes_nothing():
    world = make_world()
    preview = draw_services.draw_preview(region=world.county, seed=5, acting_user=staff(world.county))
    assert len(preview.result.pairs) == 2
    assert Pairing.objects.count() == 0 and Draw.objects.count() == 0 and PairingCampaign.objects.count() == 0


def test_confirm_records_the_draw_and_its_pairings():
    world = make_world()
    user = staff(world.county)
    draw = draw_services.draw_confirm(region=world.county, seed=5, fingerprint=None, acting_user=user)
    assert draw.seed == 5 and draw.created_by == user and draw.level == "county"
    assert draw.campaign.name == f"{draw.campaign.year} 信阳市支部联支部"
    assert set(draw.inputs["helpers"]) == {b.code for b in world.helpers}
    assert draw.inputs["partners"][world.partners[0].code] == Grade.WEAK
    strong, weak = world.helpers[0], world.partners[0]
    pairing = Pairing.objects.get(helper=strong)
    assert pairing.partner == weak and pairing.method == PairingMethod.DRAW and pairing.draw == draw
    assert pairing.history.get().history_user == user
    assert draw_services.draw_verify(draw=draw) is True


def test_verification_notices_a_tampered_result():
    world = make_world()
    draw = draw_services.draw_confirm(region=world.county, seed=5, fingerprint=None, acting_user=staff(world.county))
    pairs = draw.result["pairs"]
    pairs[0]["partner"], pairs[1]["partner"] = pairs[1]["partner"], pairs[0]["partner"]
    draw.save(update_fields=["result"])
    assert draw_services.draw_verify(draw=draw) is False


def test_already_paired_branches_are_left_out():
    world = make_world()
    user = staff(world.county)
    pairing_services.pairing_create(helper=world.helpers[1], partner=world.partners[0], acting_user=user)
    preview = draw_services.draw_preview(region=world.county, seed=1, acting_user=user)
    assert [(p.helper, p.partner) for p in preview.result.pairs] == [(world.helpers[0].code, world.partners[1].code)]


def test_confirm_fails_when_someone_paired_a_branch_since_the_preview():
    world = make_world()
    user = staff(world.county)
    preview = draw_services.draw_preview(region=world.county, seed=1, acting_user=user)
    pairing_services.pairing_create(helper=world.helpers[1], partner=world.partners[0], acting_user=user)
    with pytest.raises(ValidationError, match="重新预览"):
        draw_services.draw_confirm(region=world.county, seed=1, fingerprint=preview.fingerprint, acting_user=user)
    assert Draw.objects.count() == 0 and Pairing.objects.count() == 1


def test_ungraded_branches_stop_the_draw_and_are_named():
    world = make_world()
    ungraded = helper(world.county, grade=None, name="无等次机关支部")
    with pytest.raises(ValidationError) as exc:
        draw_services.draw_preview(region=world.county, seed=1, acting_user=staff(world.county))
    assert "无等次机关支部" in exc.value.messages[0] and ungraded.code in exc.value.messages[0]


def test_city_level_draw_pairs_city_units_with_central_city_communities_only():
    world = make_world()
    community = central_community(world.city, world.county)
    city_helper = graded(BranchFactory(city=world.city), Grade.GOOD)
    preview = draw_services.draw_preview(region=world.city, seed=1, acting_user=staff(world.city))
    assert [(p.helper, p.partner) for p in preview.result.pairs] == [(city_helper.code, community.code)]
    county_preview = draw_services.draw_preview(region=world.county, seed=1, acting_user=staff(world.county))
    assert community.code not in county_preview.inputs["partners"]
    draw = draw_services.draw_confirm(region=world.city, seed=1, fingerprint=None, acting_user=staff(world.city))
    assert draw.pairings.get().method == PairingMethod.UNIT_COMMUNITY


def test_doubles_from_a_draw_await_review():
    world = make_world(helper_grades=(Grade.GOOD,), partner_grades=(Grade.WEAK, Grade.GOOD))
    user = staff(world.county)
    draw_services.draw_confirm(region=world.county, seed=1, fingerprint=None, acting_user=user)
    second = Pairing.objects.get(slot=2)
    assert second.partner == world.partners[1] and second.awaits_double_review
    pairing_services.pairing_double_approve(pairing=second, acting_user=user)
    second.refresh_from_db()
    assert not second.awaits_double_review and second.double_approved_by == user


def test_county_staff_cannot_draw_for_another_county_or_the_city():
    world = make_world()
    user = staff(world.county)
    for region in (world.other_county, world.city):
        with pytest.raises(ValidationError):
            draw_services.draw_preview(region=region, seed=1, acting_user=user)


def test_leaders_cannot_draw():
    world = make_world()
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        draw_services.draw_preview(region=world.county, seed=1, acting_user=UserFactory.leader(region=world.county))


def test_draw_pairs_command_prints_the_issue_json_shape():
    world = make_world(helper_grades=(Grade.GOOD, Grade.WEAK, Grade.MEDIUM), partner_grades=(Grade.WEAK,))
    out = StringIO()
    call_command("draw_pairs", "--county", "商城县", "--seed", "3", "--dry-run", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data == {
        "draw": None,
        "pairs": [
            {
                "helper": world.helpers[0].code,
                "helper_grade": "好",
                "partner": world.partners[0].code,
                "partner_grade": "差",
                "double": False,
            }
        ],
        "unpaired_helpers": [world.helpers[2].code, world.helpers[1].code],
        "unpaired_partners": [],
    }
    assert Pairing.objects.count() == 0
    out = StringIO()
    call_command("draw_pairs", "--county", "商城县", "--seed", "3", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["draw"] == Draw.objects.get().pk and Pairing.objects.count() == 1


def test_draw_pairs_command_rejects_unknown_county():
    with pytest.raises(CommandError):
        call_command("draw_pairs", "--county", "不存在县", "--seed", "1", stdout=StringIO())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_staff_confirming_at_once_cannot_both_succeed():
    """Two confirmations race on separate connections; the partial unique indexes let one win."""
    world = make_world()
    user = staff(world.county)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def confirm(seed: int) -> None:
        try:
            barrier.wait(timeout=10)
            draw_services.draw_confirm(region=world.county, seed=seed, fingerprint=None, acting_user=user)
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(seed,)) for seed in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok", "refused"]
    assert Pairing.objects.filter(status="active").count() == 2
    assert Draw.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_staff_pairing_the_same_partner_at_once_cannot_both_succeed():
    world = make_world()
    user = staff(world.county)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def pair(helper_branch) -> None:
        try:
            barrier.wait(timeout=10)
            pairing_services.pairing_create(helper=helper_branch, partner=world.partners[0], acting_user=user)
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=pair, args=(h,)) for h in world.helpers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok", "refused"]
    assert Pairing.objects.filter(partner=world.partners[0], status="active").count() == 1
