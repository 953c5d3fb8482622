"""Rules of 双报到、双服务 and the bad input they refuse (nothing written on refusal)."""

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.models import Notice
from tests.factories import UserFactory
from tests.uploads import pdf_bytes
from volunteers import services
from volunteers.choices import HourStatus, RegistrationStatus, WishStatus
from volunteers.models import Claim, HourEntry, Registration, WhistleResponse, Wish

from .conftest import make_project, register_member, register_unit

D = datetime.date(2024, 5, 6)
T = datetime.time


def png_upload(name="photo.png", size=(40, 30)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def stored_files(media_root):
    return [p for p in media_root.rglob("*") if p.is_file()]


def messages_of(exc) -> str:
    return " ".join(exc.value.messages)


# --- registrations ---------------------------------------------------------------------------------


def test_member_registration_waits_for_the_community_secretary(communities):
    registration = services.registration_member_create(
        member=communities.member, community=communities.community, skills="法律"
    )
    assert registration.status == RegistrationStatus.PENDING
    assert Notice.objects.filter(user=communities.community_secretary).exists()

    services.registration_decide(registration=registration, acting_user=communities.community_secretary, accept=True)

    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.ACCEPTED
    assert registration.decided_by == communities.community_secretary
    assert Notice.objects.filter(user=communities.member, title__contains="报到已通过").exists()


def test_only_the_communitys_own_secretary_decides(communities):
    registration = services.registration_member_create(member=communities.member, community=communities.community)
    with pytest.raises(PermissionDenied):
        services.registration_decide(
            registration=registration, acting_user=communities.other_community_secretary, accept=True
        )
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.PENDING


def test_declining_needs_a_reason(communities):
    registration = services.registration_member_create(member=communities.member, community=communities.community)
    with pytest.raises(ValidationError, match="原因"):
        services.registration_decide(
            registration=registration, acting_user=communities.community_secretary, accept=False
        )
    services.registration_decide(
        registration=registration, acting_user=communities.community_secretary, accept=False, reason="不在本社区居住"
    )
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.DECLINED


def test_a_member_cannot_register_twice_at_the_same_community(communities):
    register_member(communities)
    with pytest.raises(ValidationError, match="已在该社区报到"):
        services.registration_member_create(member=communities.member, community=communities.community)
    assert Registration.objects.filter(member=communities.member).count() == 1


def test_moving_ends_the_old_registration_and_keeps_it(communities):
    old = register_member(communities)

    new = services.registration_member_create(member=communities.member, community=communities.other_community)

    old.refresh_from_db()
    assert old.status == RegistrationStatus.ENDED and old.ended_at is not None
    assert new.status == RegistrationStatus.PENDING
    assert Registration.objects.filter(member=communities.member).count() == 2
    assert old.history.filter(status=RegistrationStatus.ACCEPTED).exists()


def test_a_pending_registration_blocks_a_second_one(communities):
    services.registration_member_create(member=communities.member, community=communities.community)
    with pytest.raises(ValidationError, match="正在审核"):
        services.registration_member_create(member=communities.member, community=communities.other_community)


def test_the_database_allows_one_live_registration_per_member(communities):
    from django.db import IntegrityError, transaction

    register_member(communities)
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.create(kind="member", community=communities.other_community, member=communities.member)


def test_only_members_register_as_members(communities):
    with pytest.raises(PermissionDenied):
        services.registration_member_create(member=communities.unit_secretary, community=communities.community)


def test_a_member_registers_at_a_community_branch_only(communities):
    with pytest.raises(ValidationError):
        services.registration_member_create(member=communities.member, community=communities.unit_branch)


def test_unit_registration_keeps_the_agreement(communities, _isolated_media_root):
    pdf = SimpleUploadedFile("协议.pdf", pdf_bytes(), content_type="application/pdf")
    registration = services.registration_unit_create(
        acting_user=communities.unit_secretary, community=communities.community, agreement=pdf
    )
    assert registration.branch == communities.unit_branch
    assert registration.agreement.name.startswith("private/volunteers/agreements/")
    assert len(stored_files(_isolated_media_root)) == 1


def test_a_bad_agreement_file_is_refused_and_nothing_is_stored(communities, _isolated_media_root):
    junk = SimpleUploadedFile("协议.pdf", b"MZ not a pdf", content_type="application/pdf")
    with pytest.raises(ValidationError, match="PDF"):
        services.registration_unit_create(
            acting_user=communities.unit_secretary, community=communities.community, agreement=junk
        )
    assert not Registration.objects.exists()
    assert stored_files(_isolated_media_root) == []


def test_a_second_live_unit_registration_is_refused_and_its_file_removed(communities, _isolated_media_root):
    register_unit(communities)
    pdf = SimpleUploadedFile("协议.pdf", pdf_bytes(), content_type="application/pdf")
    with pytest.raises(ValidationError, match="已在该社区报到"):
        services.registration_unit_create(
            acting_user=communities.unit_secretary, community=communities.community, agreement=pdf
        )
    assert Registration.objects.count() == 1
    assert stored_files(_isolated_media_root) == []


def test_only_a_unit_branch_secretary_registers_a_unit(communities):
    partner_secretary = UserFactory.secretary(branch=communities.community)
    with pytest.raises(PermissionDenied):
        services.registration_unit_create(acting_user=partner_secretary, community=communities.community)
    with pytest.raises(PermissionDenied):
        services.registration_unit_create(acting_user=communities.member, community=communities.community)


# --- claims ----------------------------------------------------------------------------------------


def test_registered_member_and_unit_claim_a_project(communities):
    register_member(communities)
    register_unit(communities)
    project = make_project(communities, places=2)

    services.claim_create(project=project, acting_user=communities.member)
    services.claim_create(project=project, acting_user=communities.unit_secretary)

    assert {c.mode for c in Claim.objects.filter(project=project)} == {"self"}
    assert Claim.objects.filter(project=project).count() == 2


def test_a_full_project_refuses_the_next_claim(communities):
    register_member(communities)
    second = UserFactory.member(branch=communities.unit_branch)
    register_member(communities, member=second)
    project = make_project(communities, places=1)
    services.claim_create(project=project, acting_user=communities.member)

    with pytest.raises(ValidationError) as exc:
        services.claim_create(project=project, acting_user=second)

    assert "名额已满" in messages_of(exc)
    assert Claim.objects.filter(project=project).count() == 1


def test_a_closed_project_refuses_claims(communities):
    register_member(communities)
    project = make_project(communities)
    services.project_close(project=project, acting_user=communities.community_secretary)
    with pytest.raises(ValidationError, match="已结束"):
        services.claim_create(project=project, acting_user=communities.member)
    assert not Claim.objects.exists()


def test_claiming_twice_is_refused(communities):
    register_member(communities)
    project = make_project(communities, places=3)
    services.claim_create(project=project, acting_user=communities.member)
    with pytest.raises(ValidationError, match="已认领过"):
        services.claim_create(project=project, acting_user=communities.member)
    assert Claim.objects.count() == 1


def test_an_unregistered_member_cannot_claim(communities):
    project = make_project(communities)
    with pytest.raises(ValidationError, match="报到"):
        services.claim_create(project=project, acting_user=communities.member)
    services.registration_member_create(member=communities.member, community=communities.community)  # pending only
    with pytest.raises(ValidationError, match="报到"):
        services.claim_create(project=project, acting_user=communities.member)
    assert not Claim.objects.exists()


def test_a_units_only_project_refuses_members(communities):
    register_member(communities)
    project = make_project(communities, claimants="units")
    with pytest.raises(ValidationError, match="单位党组织"):
        services.claim_create(project=project, acting_user=communities.member)


def test_the_community_assigns_a_project_and_the_member_is_told(communities):
    registration = register_member(communities)
    project = make_project(communities)

    claim = services.claim_create(
        project=project, acting_user=communities.community_secretary, registration=registration
    )

    assert claim.mode == "assigned"
    assert Notice.objects.filter(user=communities.member, title__contains=project.title).exists()


def test_another_community_cannot_assign(communities):
    registration = register_member(communities)
    project = make_project(communities)
    with pytest.raises(PermissionDenied):
        services.claim_create(
            project=project, acting_user=communities.other_community_secretary, registration=registration
        )


def test_a_registration_elsewhere_cannot_be_assigned(communities):
    registration = register_member(communities, community=communities.other_community)
    project = make_project(communities)
    with pytest.raises(ValidationError, match="未在该社区报到"):
        services.claim_create(project=project, acting_user=communities.community_secretary, registration=registration)


def test_project_end_before_start_is_refused(communities):
    with pytest.raises(ValidationError, match="结束日期"):
        make_project(communities, starts_on=datetime.date(2024, 5, 2), ends_on=datetime.date(2024, 5, 1))


# --- wishes ----------------------------------------------------------------------------------------


def test_wish_from_entry_to_confirmation(communities, _isolated_media_root):
    register_member(communities)
    wish = services.wish_create(
        acting_user=communities.community_secretary,
        community=communities.community,
        title="一台收音机",
        resident_name="张秀英",
    )

    services.wish_claim(wish=wish, member=communities.member)
    services.wish_fulfil(wish=wish, member=communities.member, note="已送到老人家中", photo=png_upload())
    services.wish_confirm(wish=wish, acting_user=communities.community_secretary)

    wish.refresh_from_db()
    assert wish.status == WishStatus.CONFIRMED
    assert wish.photo.name.startswith("private/volunteers/wishes/")


def test_a_wish_is_claimed_by_one_member_only(communities):
    register_member(communities)
    second = UserFactory.member(branch=communities.unit_branch)
    register_member(communities, member=second)
    wish = services.wish_create(
        acting_user=communities.community_secretary,
        community=communities.community,
        title="老花镜",
        resident_name="李四",
    )
    services.wish_claim(wish=wish, member=communities.member)
    with pytest.raises(ValidationError, match="已被认领"):
        services.wish_claim(wish=wish, member=second)
    wish.refresh_from_db()
    assert wish.claimed_by == communities.member


def test_a_fake_photo_is_refused_and_nothing_is_stored(communities, _isolated_media_root):
    register_member(communities)
    wish = services.wish_create(
        acting_user=communities.community_secretary, community=communities.community, title="棉被", resident_name="王五"
    )
    services.wish_claim(wish=wish, member=communities.member)
    fake = SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff not really a jpeg", content_type="image/jpeg")
    with pytest.raises(ValidationError):
        services.wish_fulfil(wish=wish, member=communities.member, note="送到了", photo=fake)
    wish.refresh_from_db()
    assert wish.status == WishStatus.CLAIMED and not wish.photo
    assert stored_files(_isolated_media_root) == []


def test_only_the_claimer_fulfils_a_wish(communities):
    register_member(communities)
    wish = services.wish_create(
        acting_user=communities.community_secretary, community=communities.community, title="书", resident_name="赵六"
    )
    services.wish_claim(wish=wish, member=communities.member)
    with pytest.raises(PermissionDenied):
        services.wish_fulfil(wish=wish, member=communities.other_member, note="x", photo=png_upload())


# --- whistles --------------------------------------------------------------------------------------


def test_a_whistle_notifies_registered_people_and_fills_up(communities):
    register_member(communities)
    register_unit(communities)
    whistle = services.whistle_create(
        acting_user=communities.community_secretary,
        community=communities.community,
        kind="flood",
        title="汛期巡堤",
        place="河堤",
        happens_on=D,
        places=1,
    )
    assert Notice.objects.filter(user=communities.member, kind="whistle").exists()
    assert Notice.objects.filter(user=communities.unit_secretary, kind="whistle").exists()

    services.whistle_respond(whistle=whistle, acting_user=communities.member)
    with pytest.raises(ValidationError, match="人数已满"):
        services.whistle_respond(whistle=whistle, acting_user=communities.unit_secretary)
    assert WhistleResponse.objects.count() == 1


# --- hours -----------------------------------------------------------------------------------------


@pytest.fixture
def claimed(communities):
    register_member(communities)
    project = make_project(communities)
    services.claim_create(project=project, acting_user=communities.member)
    return project


def record(communities, project, start, end, day=D, member=None):
    return services.hours_record(
        member=member or communities.member,
        project=project,
        served_on=day,
        starts_at=start,
        ends_at=end,
        description="量血压",
    )


def test_hours_against_a_claimed_project_wait_for_verification(communities, claimed):
    entry = record(communities, claimed, T(9), T(11, 30))
    assert entry.minutes == 150 and entry.status == HourStatus.PENDING
    assert entry.community == communities.community


def test_end_before_start_is_refused(communities, claimed):
    with pytest.raises(ValidationError) as exc:
        record(communities, claimed, T(11), T(9))
    assert "结束时间必须晚于开始时间" in messages_of(exc)
    assert not HourEntry.objects.exists()


def test_overlapping_hours_are_refused(communities, claimed):
    record(communities, claimed, T(9), T(11))
    with pytest.raises(ValidationError) as exc:
        record(communities, claimed, T(10, 30), T(12))
    assert "重叠" in messages_of(exc) and "09:00" in messages_of(exc)
    assert HourEntry.objects.count() == 1


def test_touching_entries_are_fine(communities, claimed):
    record(communities, claimed, T(9), T(11))
    record(communities, claimed, T(11), T(12))
    assert HourEntry.objects.count() == 2


def test_more_than_24_hours_in_a_day_is_refused(communities, claimed):
    record(communities, claimed, T(0), T(20))
    with pytest.raises(ValidationError) as exc:
        record(communities, claimed, T(10), T(16))
    assert "24 小时" in messages_of(exc)
    assert HourEntry.objects.count() == 1


def test_a_rejected_entry_does_not_block_a_corrected_one(communities, claimed):
    entry = record(communities, claimed, T(9), T(12))
    services.hours_decide(entry=entry, acting_user=communities.community_secretary, verify=False, reason="时间不符")
    record(communities, claimed, T(9), T(11))
    assert HourEntry.objects.filter(status=HourStatus.PENDING).count() == 1


def test_hours_against_a_project_never_claimed_are_refused(communities, claimed):
    other_project = make_project(communities, title="四点半课堂", category="youth")
    with pytest.raises(ValidationError) as exc:
        record(communities, other_project, T(9), T(10))
    assert "没有认领该服务项目" in messages_of(exc)
    assert not HourEntry.objects.exists()


def test_hours_against_a_project_the_members_unit_claimed_are_allowed(communities):
    register_unit(communities)
    project = make_project(communities)
    services.claim_create(project=project, acting_user=communities.unit_secretary)
    entry = record(communities, project, T(9), T(10))
    assert entry.project == project


def test_hours_in_the_future_are_refused(communities, claimed):
    with pytest.raises(ValidationError, match="晚于今天"):
        record(communities, claimed, T(9), T(10), day=datetime.date(2999, 1, 1))


def test_hours_against_an_unclaimed_wish_and_whistle_are_refused(communities, claimed):
    wish = services.wish_create(
        acting_user=communities.community_secretary, community=communities.community, title="书", resident_name="赵六"
    )
    whistle = services.whistle_create(
        acting_user=communities.community_secretary,
        community=communities.community,
        kind="epidemic",
        title="卡点值守",
        place="路口",
        happens_on=D,
        places=3,
    )
    with pytest.raises(ValidationError, match="微心愿"):
        services.hours_record(
            member=communities.member, wish=wish, served_on=D, starts_at=T(9), ends_at=T(10), description="x"
        )
    with pytest.raises(ValidationError, match="吹哨"):
        services.hours_record(
            member=communities.member, whistle=whistle, served_on=D, starts_at=T(9), ends_at=T(10), description="x"
        )
    services.whistle_respond(whistle=whistle, acting_user=communities.member)
    entry = services.hours_record(
        member=communities.member, whistle=whistle, served_on=D, starts_at=T(9), ends_at=T(10), description="值守"
    )
    assert entry.whistle == whistle


def test_the_community_secretary_verifies_or_rejects_with_a_reason(communities, claimed):
    first = record(communities, claimed, T(9), T(10))
    second = record(communities, claimed, T(14), T(15))

    services.hours_decide(entry=first, acting_user=communities.community_secretary, verify=True)
    with pytest.raises(ValidationError, match="原因"):
        services.hours_decide(entry=second, acting_user=communities.community_secretary, verify=False)
    services.hours_decide(entry=second, acting_user=communities.community_secretary, verify=False, reason="未签到")

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == HourStatus.VERIFIED
    assert second.status == HourStatus.REJECTED and second.reject_reason == "未签到"
    assert Notice.objects.filter(user=communities.member, title__contains="退回").exists()
    with pytest.raises(ValidationError, match="已审核"):
        services.hours_decide(entry=first, acting_user=communities.community_secretary, verify=False, reason="x")


def test_another_communitys_secretary_cannot_verify(communities, claimed):
    entry = record(communities, claimed, T(9), T(10))
    for outsider in (communities.other_community_secretary, communities.staff, communities.member):
        with pytest.raises(PermissionDenied):
            services.hours_decide(entry=entry, acting_user=outsider, verify=True)
    entry.refresh_from_db()
    assert entry.status == HourStatus.PENDING


def test_only_members_record_hours(communities, claimed):
    with pytest.raises(PermissionDenied):
        record(communities, claimed, T(9), T(10), member=communities.unit_secretary)


def test_wish_hours_need_the_wish_claimed_by_the_member(communities):
    register_member(communities)
    wish = services.wish_create(
        acting_user=communities.community_secretary, community=communities.community, title="书", resident_name="赵六"
    )
    services.wish_claim(wish=wish, member=communities.member)
    entry = services.hours_record(
        member=communities.member, wish=wish, served_on=D, starts_at=T(9), ends_at=T(10), description="送书"
    )
    assert entry.wish == Wish.objects.get()


def test_a_whistle_for_nobody_is_refused_by_the_service_on_its_number_field(communities):
    with pytest.raises(ValidationError) as refused:
        services.whistle_create(
            acting_user=communities.community_secretary,
            community=communities.community,
            kind="flood",
            title="防汛",
            place="村部",
            happens_on=datetime.date(2024, 5, 1),
            places=0,
        )
    assert refused.value.message_dict == {"places": ["确保该值大于或等于1。"]}
