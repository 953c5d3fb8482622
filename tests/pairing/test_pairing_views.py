"""Pairing pages: scope for every view (in scope OK, outsider 404, wrong role 403), flows, query counts."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from pairing.choices import Grade, PairingStatus
from pairing.models import Branch, Draw, Pairing
from pairing.services import draw as draw_services
from pairing.services import pairings as services
from tests.factories import PASSWORD, UserFactory

from .pairing_fixtures import helper, make_world, partner, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def county_branches():
    return make_world()


@pytest.fixture
def owner(county_branches):
    return staff(county_branches.county)


@pytest.fixture
def pairing(county_branches, owner):
    return services.pairing_create(
        helper=county_branches.helpers[0], partner=county_branches.partners[0], acting_user=owner
    )


@pytest.fixture
def outsider(county_branches):
    return staff(county_branches.other_county)


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


WRITE_VIEWS = [
    ("pairing:pairing_dissolve", {"reason": "调整"}),
    ("pairing:pairing_repair", {"reason": "调整"}),
    ("pairing:pairing_swap", {"reason": "调整", "other_partner": "X"}),
    ("pairing:pairing_people", {"liaison_officers": "刘"}),
    ("pairing:pairing_agreement_upload", {}),
    ("pairing:pairing_double_approve", {}),
]


def test_pairing_list_shows_pairings_in_scope(client, owner, pairing):
    response = login(client, owner).get(reverse("pairing:pairing_list"))
    assert response.status_code == 200
    assert pairing.helper.name in response.content.decode()


def test_pairing_list_rejects_outsider(client, outsider, pairing):
    response = login(client, outsider).get(reverse("pairing:pairing_list"))
    assert response.status_code == 200 and pairing.helper.name not in response.content.decode()


def test_pairing_list_filters(client, owner, pairing, county_branches):
    services.pairing_dissolve(pairing=pairing, acting_user=owner, reason="撤并")
    login(client, owner)
    active = client.get(reverse("pairing:pairing_list"), {"status": "active"}).content.decode()
    dissolved = client.get(
        reverse("pairing:pairing_list"), {"status": "dissolved", "county": county_branches.county.pk}
    )
    assert pairing.helper.name not in active and pairing.helper.name in dissolved.content.decode()


def test_pairing_list_query_count_is_fixed(client, owner, county_branches, django_assert_max_num_queries):
    def add(n):
        for _ in range(n):
            services.pairing_create(
                helper=helper(county_branches.county), partner=partner(county_branches.county), acting_user=owner
            )

    add(10)
    login(client, owner)
    with django_assert_max_num_queries(8) as few:
        client.get(reverse("pairing:pairing_list"))
    add(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("pairing:pairing_list"))
    assert response.content.decode().count('href="/pairings/') >= 40


def test_pairing_detail_for_owner_leader_and_own_secretary(client, owner, pairing, county_branches):
    for user in (
        owner,
        UserFactory.leader(region=county_branches.county),
        UserFactory.secretary(branch=pairing.partner),
    ):
        client.logout()
        response = login(client, user).get(pairing.get_absolute_url())
        assert response.status_code == 200
        assert pairing.partner.name in response.content.decode()
    # Readers get no forms.
    assert "解除结对" not in response.content.decode()


def test_pairing_detail_rejects_outsider(client, outsider, pairing, county_branches):
    assert login(client, outsider).get(pairing.get_absolute_url()).status_code == 404
    client.logout()
    other_secretary = UserFactory.secretary(branch=county_branches.helpers[1])
    assert login(client, other_secretary).get(pairing.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("url_name,data", WRITE_VIEWS)
def test_write_views_reject_readers_with_403(client, pairing, county_branches, url_name, data):
    for reader in (UserFactory.leader(region=county_branches.county), UserFactory.secretary(branch=pairing.helper)):
        client.logout()
        response = login(client, reader).post(reverse(url_name, args=[pairing.pk]), data)
        assert response.status_code == 403
    assert Pairing.objects.get(pk=pairing.pk).is_active


@pytest.mark.parametrize("url_name,data", WRITE_VIEWS)
def test_write_views_reject_outsider_with_404(client, outsider, pairing, url_name, data):
    response = login(client, outsider).post(reverse(url_name, args=[pairing.pk]), data)
    assert response.status_code == 404


def test_staff_dissolve_with_reason_and_see_history(client, owner, pairing):
    login(client, owner)
    response = client.post(reverse("pairing:pairing_dissolve", args=[pairing.pk]), {"reason": ""})
    assert response.status_code == 400 and "必填项" in response.content.decode()
    response = client.post(reverse("pairing:pairing_dissolve", args=[pairing.pk]), {"reason": "单位撤并"}, follow=True)
    page = response.content.decode()
    assert "已解除结对" in page and "单位撤并" in page and "结对中 → 已解除" in page
    assert Pairing.objects.get(pk=pairing.pk).status == PairingStatus.DISSOLVED


def test_staff_repair_and_swap_through_the_pages(client, owner, pairing, county_branches):
    login(client, owner)
    response = client.post(
        reverse("pairing:pairing_repair", args=[pairing.pk]),
        {"helper": county_branches.helpers[1].pk, "reason": "书记调整"},
    )
    new = Pairing.objects.get(status="active", partner=county_branches.partners[0])
    assert response.status_code == 302 and new.helper == county_branches.helpers[1]
    other = services.pairing_create(
        helper=county_branches.helpers[0], partner=county_branches.partners[1], acting_user=owner
    )
    response = client.post(
        reverse("pairing:pairing_swap", args=[new.pk]),
        {"other_partner": other.partner.code, "reason": "就近"},
    )
    assert response.status_code == 302
    active = set(Pairing.objects.filter(status="active").values_list("helper_id", "partner_id"))
    assert active == {
        (county_branches.helpers[1].pk, county_branches.partners[1].pk),
        (county_branches.helpers[0].pk, county_branches.partners[0].pk),
    }


def test_swap_with_an_unknown_code_shows_the_error_next_to_the_field(client, owner, pairing):
    response = login(client, owner).post(
        reverse("pairing:pairing_swap", args=[pairing.pk]), {"other_partner": "NOPE", "reason": "x"}
    )
    assert response.status_code == 400 and "没有找到该支部的当前结对" in response.content.decode()


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "blue").save(buffer, "PNG")
    return buffer.getvalue()


def test_agreement_is_served_only_in_scope(client, owner, outsider, pairing, county_branches):
    login(client, owner)
    upload = SimpleUploadedFile("协议.png", _png(), "image/png")
    response = client.post(reverse("pairing:pairing_agreement_upload", args=[pairing.pk]), {"agreement": upload})
    assert response.status_code == 302
    url = reverse("pairing:pairing_agreement", args=[pairing.pk])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    # Stored re-encoded: the same picture, not necessarily the same bytes.
    served = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert served.format == "PNG" and served.size == (20, 20) and served.getpixel((0, 0)) == (0, 0, 255)
    client.logout()
    secretary = UserFactory.secretary(branch=pairing.partner)
    assert login(client, secretary).get(url).status_code == 200
    client.logout()
    assert login(client, outsider).get(url).status_code == 404


def test_rejected_agreement_shows_an_error_and_stores_nothing(client, owner, pairing, settings):
    upload = SimpleUploadedFile("x.pdf", b"MZ not a pdf", "application/pdf")
    response = login(client, owner).post(
        reverse("pairing:pairing_agreement_upload", args=[pairing.pk]), {"agreement": upload}
    )
    assert response.status_code == 400 and "请上传 PDF 文件" in response.content.decode()
    assert not [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()]


def test_manual_pairing_page(client, owner, county_branches):
    login(client, owner)
    url = reverse("pairing:pairing_create")
    response = client.get(url, {"partner": county_branches.partners[0].pk})
    assert response.status_code == 200 and county_branches.helpers[0].name in response.content.decode()
    response = client.post(url, {"partner": county_branches.partners[0].pk, "helper": county_branches.helpers[0].pk})
    assert response.status_code == 302
    assert Pairing.objects.get().helper == county_branches.helpers[0]


def test_manual_pairing_page_rejects_readers_and_outsiders(client, county_branches, outsider):
    leader = UserFactory.leader(region=county_branches.county)
    assert login(client, leader).get(reverse("pairing:pairing_create")).status_code == 403
    client.logout()
    url = reverse("pairing:pairing_create")
    assert login(client, outsider).get(url, {"partner": county_branches.partners[0].pk}).status_code == 404


def test_my_pairing_shows_partner_secretary_with_masked_phone_and_liaison(client, owner, pairing):
    services.pairing_people_update(pairing=pairing, acting_user=owner, data={"liaison_officers": "刘联络"})
    secretary = UserFactory.secretary(branch=pairing.helper)
    response = login(client, secretary).get(reverse("pairing:my_pairing"))
    page = response.content.decode()
    phone = pairing.partner.secretary_phone
    assert pairing.partner.name in page and pairing.partner.secretary_name in page and "刘联络" in page
    assert phone not in page and f"{phone[:3]}****{phone[-4:]}" in page
    home = client.get(reverse("home")).content.decode()
    assert reverse("pairing:my_pairing") in home


def test_my_pairing_rejects_region_users(client, owner):
    assert login(client, owner).get(reverse("pairing:my_pairing")).status_code == 403


def test_branch_page_shows_current_partner_and_history(client, owner, pairing, county_branches):
    services.pairing_repair(pairing=pairing, helper=county_branches.helpers[1], acting_user=owner, reason="调整")
    page = login(client, owner).get(county_branches.partners[0].get_absolute_url()).content.decode()
    assert "当前结对" in page and county_branches.helpers[1].name in page
    assert "已解除" in page and county_branches.helpers[0].name in page


# Draw pages ----------------------------------------------------------------------------------------


def test_staff_preview_then_confirm_a_draw(client, owner, county_branches):
    login(client, owner)
    url = reverse("pairing:draw_create")
    response = client.get(url)
    assert response.status_code == 200 and "商城县" in response.content.decode()
    response = client.post(url, {"region": county_branches.county.pk, "seed": 42, "preview": "1"})
    page = response.content.decode()
    assert "预览" in page and county_branches.helpers[0].name in page and 'name="fingerprint"' in page
    assert Pairing.objects.count() == 0
    fingerprint = response.context["preview"].fingerprint
    response = client.post(
        url, {"region": county_branches.county.pk, "seed": 42, "fingerprint": fingerprint, "confirm": "1"}
    )
    draw = Draw.objects.get()
    assert response.status_code == 302 and response.url == draw.get_absolute_url()
    page = client.get(draw.get_absolute_url()).content.decode()
    assert "复核结果：一致" in page and "42" in page


def test_confirm_after_a_change_is_refused_with_a_message(client, owner, county_branches):
    login(client, owner)
    url = reverse("pairing:draw_create")
    fingerprint = (
        client.post(url, {"region": county_branches.county.pk, "seed": 1, "preview": "1"})
        .context["preview"]
        .fingerprint
    )
    services.pairing_create(helper=county_branches.helpers[1], partner=county_branches.partners[0], acting_user=owner)
    response = client.post(
        url, {"region": county_branches.county.pk, "seed": 1, "fingerprint": fingerprint, "confirm": "1"}
    )
    assert response.status_code == 200 and "请重新预览" in response.content.decode()
    assert Draw.objects.count() == 0


def test_ungraded_branch_is_named_on_the_draw_page(client, owner, county_branches):
    helper(county_branches.county, grade=None, name="未评定的机关支部")
    response = login(client, owner).post(
        reverse("pairing:draw_create"), {"region": county_branches.county.pk, "seed": 1, "preview": "1"}
    )
    assert "未评定的机关支部" in response.content.decode()


def test_draw_page_rejects_readers_and_other_counties(client, county_branches, outsider):
    leader = UserFactory.leader(region=county_branches.county)
    assert login(client, leader).get(reverse("pairing:draw_create")).status_code == 403
    client.logout()
    response = login(client, outsider).post(
        reverse("pairing:draw_create"), {"region": county_branches.county.pk, "seed": 1, "preview": "1"}
    )
    assert response.status_code == 200 and "region" in response.context["form"].errors


def test_draw_detail_verification_for_anyone_in_scope_and_404_for_outsider(client, owner, outsider, county_branches):
    draw = draw_services.draw_confirm(region=county_branches.county, seed=9, fingerprint=None, acting_user=owner)
    secretary = UserFactory.secretary(branch=county_branches.partners[1])
    for user in (UserFactory.leader(region=county_branches.county), secretary, staff(county_branches.city)):
        client.logout()
        assert "复核结果：一致" in login(client, user).get(draw.get_absolute_url()).content.decode()
    client.logout()
    assert login(client, outsider).get(draw.get_absolute_url()).status_code == 404
    assert draw.get_absolute_url() not in client.get(reverse("pairing:draw_list")).content.decode()


def test_draw_list_query_count_is_fixed(client, owner, county_branches, django_assert_max_num_queries):
    graded_helpers = [helper(county_branches.county, Grade.MEDIUM) for _ in range(12)]
    assert graded_helpers
    login(client, owner)
    for seed in range(3):
        partner(county_branches.county)
        partner(county_branches.county)
        draw_services.draw_confirm(region=county_branches.county, seed=seed, fingerprint=None, acting_user=owner)
    with django_assert_max_num_queries(8) as few:
        client.get(reverse("pairing:draw_list"))
    for seed in range(3, 9):
        partner(county_branches.county)
        draw_services.draw_confirm(region=county_branches.county, seed=seed, fingerprint=None, acting_user=owner)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("pairing:draw_list"))


def _codes_in(draw) -> tuple[list[tuple[str, str]], list[str]]:
    pairs = [(p["helper"], p["partner"]) for p in draw.result["pairs"]]
    return pairs, [*draw.result["unpaired_helpers"], *draw.result["unpaired_partners"]]


@pytest.mark.parametrize(
    "role",
    ["helper_secretary", "helper_member", "partner_secretary", "community_secretary", "unpaired_secretary"],
)
def test_draw_page_shows_a_branch_user_only_their_own_rows(client, owner, county_branches, role):
    """Secretaries, members and community secretaries see their own branch's rows of a draw, not the county's."""
    from pairing.choices import BranchKind

    community = partner(county_branches.county, kind=BranchKind.COMMUNITY)
    unpaired = [helper(county_branches.county) for _ in range(3)]
    assert community and unpaired
    draw = draw_services.draw_confirm(region=county_branches.county, seed=5, fingerprint=None, acting_user=owner)
    pairs, left = _codes_in(draw)
    by_code = {b.code: b for b in Branch.objects.filter(code__in=[c for p in pairs for c in p] + left)}
    paired_helper, paired_partner = (by_code[c] for c in pairs[0])
    community_row = next(p for p in pairs if p[1] == community.code)
    user, own = {
        "helper_secretary": (lambda: UserFactory.secretary(branch=paired_helper), paired_helper),
        "helper_member": (lambda: UserFactory.member(branch=paired_helper), paired_helper),
        "partner_secretary": (lambda: UserFactory.secretary(branch=paired_partner), paired_partner),
        "community_secretary": (lambda: UserFactory.community_secretary(branch=community), community),
        "unpaired_secretary": (lambda: UserFactory.secretary(branch=by_code[left[0]]), by_code[left[0]]),
    }[role]
    assert community_row

    page = login(client, user()).get(draw.get_absolute_url()).content.decode()

    assert own.code in page and own.name in page
    shown = {c for p in pairs if own.code in p for c in p} | {own.code}
    for code in {c for p in pairs for c in p} | set(left):
        assert (code in page) is (code in shown), code


def test_draw_page_shows_staff_every_row(client, owner, county_branches):
    draw = draw_services.draw_confirm(region=county_branches.county, seed=5, fingerprint=None, acting_user=owner)
    pairs, left = _codes_in(draw)
    for user in (owner, staff(county_branches.city), UserFactory.leader(region=county_branches.county)):
        client.logout()
        page = login(client, user).get(draw.get_absolute_url()).content.decode()
        assert all(code in page for code in {c for p in pairs for c in p} | set(left))
