"""Manual pairing work: rules, 一帮二, dissolve / re-pair / swap history, agreements, DB constraints."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from PIL import Image

from pairing.choices import PairingStatus
from pairing.models import Pairing
from pairing.services import pairings as services
from tests.factories import UserFactory
from tests.uploads import pdf_bytes

from .pairing_fixtures import make_world, partner, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def county_branches():
    return make_world()


@pytest.fixture
def user(county_branches):
    return staff(county_branches.county)


def test_staff_pair_two_branches_by_hand(county_branches, user):
    pairing = services.pairing_create(
        helper=county_branches.helpers[0], partner=county_branches.partners[0], acting_user=user
    )
    assert pairing.slot == 1 and pairing.is_active and pairing.created_by == user
    assert pairing.history.get().history_user == user


def test_a_partner_cannot_have_two_active_pairings(county_branches, user):
    services.pairing_create(helper=county_branches.helpers[0], partner=county_branches.partners[0], acting_user=user)
    with pytest.raises(ValidationError) as exc:
        services.pairing_create(
            helper=county_branches.helpers[1], partner=county_branches.partners[0], acting_user=user
        )
    assert "已与" in exc.value.message_dict["partner"][0]


def test_a_second_partner_needs_staff_to_allow_it(county_branches, user):
    services.pairing_create(helper=county_branches.helpers[0], partner=county_branches.partners[0], acting_user=user)
    with pytest.raises(ValidationError, match="允许一帮二"):
        services.pairing_create(
            helper=county_branches.helpers[0], partner=county_branches.partners[1], acting_user=user
        )
    second = services.pairing_create(
        helper=county_branches.helpers[0], partner=county_branches.partners[1], acting_user=user, allow_second=True
    )
    assert second.slot == 2 and second.double_approved_by == user
    third = partner(county_branches.county)
    with pytest.raises(ValidationError, match="已经一帮二"):
        services.pairing_create(helper=county_branches.helpers[0], partner=third, acting_user=user, allow_second=True)


def test_the_sides_must_be_helper_and_partner(county_branches, user):
    with pytest.raises(ValidationError):
        services.pairing_create(
            helper=county_branches.partners[0], partner=county_branches.partners[1], acting_user=user
        )
    with pytest.raises(ValidationError):
        services.pairing_create(helper=county_branches.helpers[0], partner=county_branches.helpers[1], acting_user=user)


def test_staff_cannot_pair_branches_outside_their_county(county_branches, user):
    foreign = partner(county_branches.other_county)
    with pytest.raises(ValidationError, match="管辖范围"):
        services.pairing_create(helper=county_branches.helpers[0], partner=foreign, acting_user=user)


def test_leaders_and_secretaries_cannot_change_pairings(county_branches):
    for reader in (
        UserFactory.leader(region=county_branches.county),
        UserFactory.secretary(branch=county_branches.helpers[0]),
    ):
        with pytest.raises(PermissionDenied):
            services.pairing_create(
                helper=county_branches.helpers[0], partner=county_branches.partners[0], acting_user=reader
            )


def test_dissolve_keeps_the_reason_and_before_after_in_history(county_branches, user):
    pairing = services.pairing_create(
        helper=county_branches.helpers[0], partner=county_branches.partners[0], acting_user=user
    )
    with pytest.raises(ValidationError):
        services.pairing_dissolve(pairing=pairing, acting_user=user, reason="  ")
    services.pairing_dissolve(pairing=pairing, acting_user=user, reason="单位撤并")
    pairing.refresh_from_db()
    assert pairing.status == PairingStatus.DISSOLVED and pairing.dissolve_reason == "单位撤并" and pairing.dissolved_on
    latest, first = pairing.history.order_by("-history_id")[:2]
    assert latest.history_user == user and latest.history_change_reason == "单位撤并"
    changes = {c.field: (c.old, c.new) for c in latest.diff_against(first).changes}
    assert changes["status"] == ("active", "dissolved")
    with pytest.raises(ValidationError, match="解除"):
        services.pairing_dissolve(pairing=pairing, acting_user=user, reason="again")


def test_repair_gives_the_partner_a_new_helper_and_records_both(county_branches, user):
    old = services.pairing_create(
        helper=county_branches.helpers[0], partner=county_branches.partners[0], acting_user=user
    )
    new = services.pairing_repair(pairing=old, helper=county_branches.helpers[1], acting_user=user, reason="书记调整")
    old.refresh_from_db()
    assert old.status == PairingStatus.DISSOLVED and old.dissolve_reason == "书记调整"
    assert new.helper == county_branches.helpers[1] and new.partner == county_branches.partners[0] and new.is_active
    assert new.history.get().history_change_reason == "书记调整"


def test_swap_partners_between_two_pairings(county_branches, user):
    first = services.pairing_create(
        helper=county_branches.helpers[0], partner=county_branches.partners[0], acting_user=user
    )
    second = services.pairing_create(
        helper=county_branches.helpers[1], partner=county_branches.partners[1], acting_user=user
    )
    a, b = services.pairing_swap(first=first, second=second, acting_user=user, reason="就近结对")
    assert (a.helper, a.partner) == (county_branches.helpers[0], county_branches.partners[1])
    assert (b.helper, b.partner) == (county_branches.helpers[1], county_branches.partners[0])
    assert Pairing.objects.filter(status=PairingStatus.ACTIVE).count() == 2
    assert Pairing.objects.filter(status=PairingStatus.DISSOLVED, dissolve_reason="就近结对").count() == 2


def test_swap_refuses_a_stale_pairing(county_branches, user):
    first = services.pairing_create(
        helper=county_branches.helpers[0], partner=county_branches.partners[0], acting_user=user
    )
    second = services.pairing_create(
        helper=county_branches.helpers[1], partner=county_branches.partners[1], acting_user=user
    )
    stale = Pairing.objects.get(pk=second.pk)
    services.pairing_dissolve(pairing=second, acting_user=user, reason="撤销")
    with pytest.raises(ValidationError, match="刷新"):
        services.pairing_swap(first=first, second=stale, acting_user=user, reason="x")
    assert Pairing.objects.get(pk=first.pk).is_active


def test_dissolving_the_first_pairing_of_a_double_makes_the_second_one_to_one(county_branches, user):
    first = services.pairing_create(
        helper=county_branches.helpers[0], partner=county_branches.partners[0], acting_user=user
    )
    second = services.pairing_create(
        helper=county_branches.helpers[0], partner=county_branches.partners[1], acting_user=user, allow_second=True
    )
    services.pairing_dissolve(pairing=first, acting_user=user, reason="调整")
    second.refresh_from_db()
    assert second.slot == 1 and not second.is_double


def test_the_database_rejects_a_second_active_pairing_of_a_partner(county_branches):
    from tests.factories import PairingFactory

    existing = PairingFactory(helper=county_branches.helpers[0], partner=county_branches.partners[0])
    with pytest.raises(IntegrityError), transaction.atomic():
        PairingFactory(
            helper=county_branches.helpers[1], partner=county_branches.partners[0], campaign=existing.campaign
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        PairingFactory(
            helper=county_branches.helpers[0], partner=county_branches.partners[1], campaign=existing.campaign
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        PairingFactory(
            helper=county_branches.helpers[0], partner=county_branches.partners[1], campaign=existing.campaign, slot=3
        )


def test_a_race_lost_at_the_database_becomes_a_clear_message(county_branches, user, monkeypatch):
    """Another request paired the partner after this one's checks: the constraint stops it."""
    services.pairing_create(helper=county_branches.helpers[0], partner=county_branches.partners[0], acting_user=user)
    monkeypatch.setattr(services, "partner_current_pairing", lambda **kwargs: None)
    with pytest.raises(ValidationError, match="刷新页面后重试"):
        services.pairing_create(
            helper=county_branches.helpers[1], partner=county_branches.partners[0], acting_user=user
        )
    assert Pairing.objects.filter(partner=county_branches.partners[0]).count() == 1


def _png(size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, "PNG")
    return buffer.getvalue()


def test_agreement_upload_accepts_pdf_and_images(county_branches, user, settings, django_capture_on_commit_callbacks):
    pairing = services.pairing_create(
        helper=county_branches.helpers[0], partner=county_branches.partners[0], acting_user=user
    )
    services.pairing_agreement_upload(
        pairing=pairing, acting_user=user, upload=SimpleUploadedFile("a.pdf", pdf_bytes(), "application/pdf")
    )
    assert pairing.agreement.name.endswith(".pdf")
    with django_capture_on_commit_callbacks(execute=True):
        services.pairing_agreement_upload(
            pairing=pairing, acting_user=user, upload=SimpleUploadedFile("a.png", _png(), "image/png")
        )
    pairing.refresh_from_db()
    assert pairing.agreement.name.endswith(".png")
    stored = [p.name for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()]
    assert len(stored) == 1, "the replaced agreement is deleted once the new one is committed"


@pytest.mark.parametrize(
    "content",
    [b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, b"GIF89a" + b"\x00" * 50],
)
def test_agreement_upload_rejects_other_files_and_stores_nothing(county_branches, user, settings, content):
    pairing = services.pairing_create(
        helper=county_branches.helpers[0], partner=county_branches.partners[0], acting_user=user
    )
    with pytest.raises(ValidationError, match="PDF"):
        services.pairing_agreement_upload(
            pairing=pairing, acting_user=user, upload=SimpleUploadedFile("x.png", content, "image/png")
        )
    assert not [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()]
    pairing.refresh_from_db()
    assert not pairing.agreement


def test_agreement_upload_rejects_files_over_10_mb(county_branches, user, settings):
    pairing = services.pairing_create(
        helper=county_branches.helpers[0], partner=county_branches.partners[0], acting_user=user
    )
    big = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), "application/pdf")
    with pytest.raises(ValidationError, match="10 MB"):
        services.pairing_agreement_upload(pairing=pairing, acting_user=user, upload=big)
    assert not [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()]


def test_people_update_records_liaison_officers(county_branches, user):
    pairing = services.pairing_create(
        helper=county_branches.helpers[0], partner=county_branches.partners[0], acting_user=user
    )
    services.pairing_people_update(
        pairing=pairing, acting_user=user, data={"liaison_officers": "刘联络", "part_time_secretary": "王兼职"}
    )
    pairing.refresh_from_db()
    assert pairing.liaison_officers == "刘联络" and pairing.part_time_secretary == "王兼职"
    assert pairing.history.count() == 2
