"""Pages: the scope rule for every view (in scope OK, outsider 404, wrong role 403), bad input
next to the field, and list pages with a fixed number of queries."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from tests.factories import UserFactory
from tests.uploads import pdf_bytes
from volunteers import services
from volunteers.choices import HourStatus, RegistrationStatus
from volunteers.models import Claim, HourEntry, Registration

from .conftest import make_project, register_member

D = datetime.date(2024, 5, 6)
T = datetime.time


def png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "blue").save(buffer, format="PNG")
    return SimpleUploadedFile("p.png", buffer.getvalue(), content_type="image/png")


@pytest.fixture
def scene(communities):
    """Everything a community has: registrations, a claimed project, a fulfilled wish, a whistle,
    a pending hour entry, a unit with its agreement, and a pending member registration."""
    register_member(communities)
    pdf = SimpleUploadedFile("协议.pdf", pdf_bytes(), content_type="application/pdf")
    unit_reg = services.registration_unit_create(
        acting_user=communities.unit_secretary, community=communities.community, agreement=pdf
    )
    services.registration_decide(registration=unit_reg, acting_user=communities.community_secretary, accept=True)
    project = make_project(communities, places=5)
    services.claim_create(project=project, acting_user=communities.member)
    wish = services.wish_create(
        acting_user=communities.community_secretary,
        community=communities.community,
        title="收音机",
        resident_name="张秀英",
    )
    services.wish_claim(wish=wish, member=communities.member)
    services.wish_fulfil(wish=wish, member=communities.member, note="送到了", photo=png())
    whistle = services.whistle_create(
        acting_user=communities.community_secretary,
        community=communities.community,
        kind="flood",
        title="巡堤",
        place="河堤",
        happens_on=D,
        places=5,
    )
    entry = services.hours_record(
        member=communities.member, project=project, served_on=D, starts_at=T(9), ends_at=T(11), description="量血压"
    )
    newcomer = UserFactory.member(branch=communities.unit_branch)
    pending = services.registration_member_create(member=newcomer, community=communities.community)
    return {
        "project": project,
        "wish": wish,
        "whistle": whistle,
        "entry": entry,
        "unit_reg": unit_reg,
        "pending": pending,
        "community": communities.community,
        "member": communities.member,
        "unit": communities.unit_branch,
    }


ROLES = (
    "community_secretary",
    "other_community_secretary",
    "staff",
    "other_staff",
    "leader",
    "member",
    "other_member",
    "unit_secretary",
)

# (url name, object key, method, {role: expected status}); roles left out are not checked.
CASES = [
    (
        "community_list",
        None,
        "get",
        {"staff": 200, "leader": 200, "community_secretary": 200, "member": 403, "unit_secretary": 403},
    ),
    (
        "community_detail",
        "community",
        "get",
        {
            "community_secretary": 200,
            "staff": 200,
            "leader": 200,
            "other_community_secretary": 404,
            "other_staff": 404,
            "member": 404,
            "unit_secretary": 404,
        },
    ),
    (
        "project_create",
        "community",
        "get",
        {"community_secretary": 200, "staff": 403, "leader": 403, "other_community_secretary": 404, "member": 404},
    ),
    (
        "wish_create",
        "community",
        "get",
        {"community_secretary": 200, "staff": 403, "other_community_secretary": 404, "member": 404},
    ),
    (
        "whistle_create",
        "community",
        "get",
        {"community_secretary": 200, "staff": 403, "other_community_secretary": 404, "member": 404},
    ),
    ("register_member", None, "get", {"member": 200, "community_secretary": 403, "staff": 403, "unit_secretary": 403}),
    ("register_unit", None, "get", {"unit_secretary": 200, "member": 403, "community_secretary": 403, "staff": 403}),
    (
        "registration_agreement",
        "unit_reg",
        "get",
        {
            "community_secretary": 200,
            "unit_secretary": 200,
            "staff": 200,
            "other_staff": 404,
            "member": 404,
            "other_community_secretary": 404,
        },
    ),
    (
        "registration_decide",
        "pending",
        "post",
        {"staff": 403, "other_community_secretary": 404, "member": 404, "other_staff": 404},
    ),
    ("demand_list", None, "get", {role: 200 for role in ROLES}),
    (
        "project_detail",
        "project",
        "get",
        {
            "community_secretary": 200,
            "member": 200,
            "unit_secretary": 200,
            "staff": 200,
            "leader": 200,
            "other_community_secretary": 404,
            "other_member": 404,
            "other_staff": 404,
        },
    ),
    ("project_claim", "project", "post", {"other_member": 404, "other_community_secretary": 404}),
    (
        "project_assign",
        "project",
        "post",
        {"staff": 403, "member": 403, "other_community_secretary": 404, "other_member": 404},
    ),
    (
        "project_close",
        "project",
        "post",
        {"staff": 403, "member": 403, "unit_secretary": 403, "other_community_secretary": 404},
    ),
    (
        "wish_detail",
        "wish",
        "get",
        {
            "community_secretary": 200,
            "member": 200,
            "staff": 200,
            "other_community_secretary": 404,
            "other_member": 404,
            "other_staff": 404,
        },
    ),
    ("wish_claim", "wish", "post", {"other_member": 404, "other_community_secretary": 404}),
    ("wish_fulfil", "wish", "get", {"member": 200, "community_secretary": 403, "staff": 403, "other_member": 404}),
    (
        "wish_confirm",
        "wish",
        "post",
        {"member": 403, "staff": 403, "other_community_secretary": 404, "other_member": 404},
    ),
    (
        "wish_photo",
        "wish",
        "get",
        {"community_secretary": 200, "member": 200, "staff": 200, "other_member": 404, "other_staff": 404},
    ),
    (
        "whistle_detail",
        "whistle",
        "get",
        {
            "community_secretary": 200,
            "member": 200,
            "unit_secretary": 200,
            "other_member": 404,
            "other_community_secretary": 404,
        },
    ),
    ("whistle_respond", "whistle", "post", {"other_member": 404, "other_staff": 404}),
    ("whistle_close", "whistle", "post", {"member": 403, "staff": 403, "other_community_secretary": 404}),
    ("hours_create", None, "get", {"member": 200, "community_secretary": 403, "staff": 403, "unit_secretary": 403}),
    (
        "hours_decide",
        "entry",
        "post",
        {
            "staff": 403,
            "member": 403,
            "leader": 403,
            "other_community_secretary": 404,
            "other_member": 404,
            "unit_secretary": 404,
        },
    ),
    ("my_record", None, "get", {"member": 200, "community_secretary": 403, "staff": 403}),
    (
        "member_detail",
        "member",
        "get",
        {
            "member": 200,
            "community_secretary": 200,
            "staff": 200,
            "leader": 200,
            "unit_secretary": 200,
            "other_member": 404,
            "other_community_secretary": 404,
            "other_staff": 404,
        },
    ),
    (
        "member_certificate",
        "member",
        "get",
        {
            "member": 200,
            "community_secretary": 200,
            "unit_secretary": 200,
            "other_member": 404,
            "other_community_secretary": 404,
        },
    ),
    (
        "unit_detail",
        "unit",
        "get",
        {
            "unit_secretary": 200,
            "staff": 200,
            "leader": 200,
            "member": 404,
            "community_secretary": 404,
            "other_staff": 404,
        },
    ),
]


@pytest.mark.parametrize(("name", "key", "method", "expected"), CASES, ids=[c[0] for c in CASES])
def test_scope_of_every_view(client, communities, scene, name, key, method, expected):
    url = reverse(f"volunteers:{name}", args=[scene[key].pk] if key else [])
    got = {}
    for role in expected:
        client.force_login(getattr(communities, role))
        response = getattr(client, method)(url)
        got[role] = response.status_code
    assert got == expected


def test_it_rejects_anonymous_users(client, scene):
    response = client.get(reverse("volunteers:community_detail", args=[scene["community"].pk]))
    assert response.status_code == 302 and "/login/" in response.url


def test_it_rejects_outsider_verifying_hours_and_nothing_changes(client, communities, scene):
    client.force_login(communities.other_community_secretary)
    response = client.post(reverse("volunteers:hours_decide", args=[scene["entry"].pk]), {"decision": "verify"})
    assert response.status_code == 404
    scene["entry"].refresh_from_db()
    assert scene["entry"].status == HourStatus.PENDING


def test_the_community_secretary_verifies_from_the_community_page(client, communities, scene):
    client.force_login(communities.community_secretary)
    page = client.get(reverse("volunteers:community_detail", args=[communities.community.pk]))
    assert "量血压" in page.content.decode()

    response = client.post(
        reverse("volunteers:hours_decide", args=[scene["entry"].pk]), {"decision": "verify"}, follow=True
    )

    assert "已认定时长" in response.content.decode()
    scene["entry"].refresh_from_db()
    assert scene["entry"].status == HourStatus.VERIFIED


def test_rejecting_without_a_reason_shows_a_message(client, communities, scene):
    client.force_login(communities.community_secretary)
    response = client.post(
        reverse("volunteers:hours_decide", args=[scene["entry"].pk]), {"decision": "reject"}, follow=True
    )
    assert "退回时请填写原因" in response.content.decode()
    scene["entry"].refresh_from_db()
    assert scene["entry"].status == HourStatus.PENDING


def test_accepting_a_registration_from_the_page(client, communities, scene):
    client.force_login(communities.community_secretary)
    client.post(reverse("volunteers:registration_decide", args=[scene["pending"].pk]), {"decision": "accept"})
    scene["pending"].refresh_from_db()
    assert scene["pending"].status == RegistrationStatus.ACCEPTED


def test_hour_form_shows_overlap_next_to_the_field_and_writes_nothing(client, communities, scene):
    client.force_login(communities.member)
    response = client.post(
        reverse("volunteers:hours_create"),
        {
            "target": f"project:{scene['project'].pk}",
            "served_on": "2024-05-06",
            "starts_at": "10:00",
            "ends_at": "12:00",
            "description": "又去了",
        },
    )
    assert response.status_code == 200
    assert "重叠" in response.content.decode()
    assert HourEntry.objects.count() == 1


def test_hour_form_refuses_end_before_start(client, communities, scene):
    client.force_login(communities.member)
    response = client.post(
        reverse("volunteers:hours_create"),
        {
            "target": f"project:{scene['project'].pk}",
            "served_on": "2024-05-07",
            "starts_at": "12:00",
            "ends_at": "10:00",
            "description": "x",
        },
    )
    assert "结束时间必须晚于开始时间" in response.content.decode()
    assert HourEntry.objects.count() == 1


def test_hour_form_offers_only_what_the_member_claimed(client, communities, scene):
    unclaimed = make_project(communities, title="四点半课堂")
    client.force_login(communities.member)
    response = client.post(
        reverse("volunteers:hours_create"),
        {
            "target": f"project:{unclaimed.pk}",
            "served_on": "2024-05-07",
            "starts_at": "09:00",
            "ends_at": "10:00",
            "description": "x",
        },
    )
    assert response.status_code == 200
    assert "target" in response.context["form"].errors
    assert HourEntry.objects.count() == 1


def test_claiming_a_full_project_shows_a_message(client, communities, scene):
    project = make_project(communities, title="四点半课堂", places=1)
    services.claim_create(project=project, acting_user=communities.unit_secretary)
    client.force_login(communities.member)
    response = client.post(reverse("volunteers:project_claim", args=[project.pk]), follow=True)
    assert "认领名额已满" in response.content.decode()
    assert not Claim.objects.filter(project=project, registration__member=communities.member).exists()


def test_registering_through_the_form(client, communities):
    client.force_login(communities.member)
    response = client.post(
        reverse("volunteers:register_member"), {"community": communities.community.pk, "skills": "医疗"}
    )
    assert response.status_code == 302
    assert Registration.objects.get(member=communities.member).status == RegistrationStatus.PENDING


def test_unit_registration_form_refuses_a_bad_file(client, communities):
    client.force_login(communities.unit_secretary)
    junk = SimpleUploadedFile("a.pdf", b"junk", content_type="application/pdf")
    response = client.post(
        reverse("volunteers:register_unit"), {"community": communities.community.pk, "agreement": junk}
    )
    assert response.status_code == 200
    assert "PDF" in response.content.decode()
    assert not Registration.objects.exists()


def test_the_wish_page_masks_the_resident_for_staff(client, communities, scene):
    client.force_login(communities.staff)
    html = client.get(reverse("volunteers:wish_detail", args=[scene["wish"].pk])).content.decode()
    assert "张秀英" not in html and "张**" in html


def test_the_certificate_is_printable(client, communities, scene):
    services.hours_decide(entry=scene["entry"], acting_user=communities.community_secretary, verify=True)
    client.force_login(communities.member)
    html = client.get(
        reverse("volunteers:member_certificate", args=[communities.member.pk]) + "?year=2024"
    ).content.decode()
    assert "data-print" in html and 'class="certificate"' in html  # print CSS lives in static/css/app.css
    assert "志愿服务证明" in html and "2.0" in html


# --- fixed query counts ---------------------------------------------------------------------------


def _many(communities, n, *, own_project, day_offset):
    """n more members with a claim and hours each, and n more hour entries of ``communities.member``."""
    for i in range(n):
        member = UserFactory.member(branch=communities.unit_branch)
        register_member(communities, member=member)
        project = make_project(communities, title=f"项目{day_offset + i}", places=3)
        services.claim_create(project=project, acting_user=member)
        services.claim_create(project=project, acting_user=communities.unit_secretary)
        entry = services.hours_record(
            member=member, project=project, served_on=D, starts_at=T(9), ends_at=T(10), description="服务"
        )
        if i % 2:
            services.hours_decide(entry=entry, acting_user=communities.community_secretary, verify=True)
        services.hours_record(
            member=communities.member,
            project=own_project,
            served_on=D - datetime.timedelta(days=day_offset + i),
            starts_at=T(9),
            ends_at=T(10),
            description="服务",
        )


@pytest.mark.parametrize(
    ("name", "role", "arg"),
    [
        ("demand_list", "community_secretary", None),
        ("demand_list", "member", None),
        ("community_list", "leader", None),
        ("community_detail", "community_secretary", "community"),
        ("member_detail", "member", "member"),
        ("member_detail", "community_secretary", "member"),
        ("unit_detail", "unit_secretary", "unit"),
        ("my_record", "member", None),
    ],
)
def test_list_pages_run_a_fixed_number_of_queries(client, communities, django_assert_max_num_queries, name, role, arg):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    register_member(communities)
    services.registration_decide(
        registration=services.registration_unit_create(
            acting_user=communities.unit_secretary, community=communities.community
        ),
        acting_user=communities.community_secretary,
        accept=True,
    )
    own_project = make_project(communities, title="长期项目", places=50)
    services.claim_create(project=own_project, acting_user=communities.member)
    args = {"community": communities.community.pk, "member": communities.member.pk, "unit": communities.unit_branch.pk}
    url = reverse(f"volunteers:{name}", args=[args[arg]] if arg else [])
    client.force_login(getattr(communities, role))

    _many(communities, 2, own_project=own_project, day_offset=0)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _many(communities, 14, own_project=own_project, day_offset=2)
    with django_assert_max_num_queries(len(few)):
        assert client.get(url).status_code == 200


def test_each_role_lands_on_its_page(client, communities):
    partner_secretary = UserFactory.secretary(branch=communities.community)
    expected = {
        communities.community_secretary: reverse("volunteers:community_detail", args=[communities.community.pk]),
        communities.member: reverse("volunteers:my_record"),
        communities.unit_secretary: reverse("volunteers:unit_detail", args=[communities.unit_branch.pk]),
        communities.staff: reverse("volunteers:community_list"),
        communities.leader: reverse("volunteers:community_list"),
        partner_secretary: reverse("volunteers:demand_list"),
    }
    for user, url in expected.items():
        client.force_login(user)
        response = client.get(reverse("volunteers:index"))
        assert response.status_code == 302 and response.url == url, user
        assert client.get(url).status_code == 200, user


@pytest.mark.parametrize("year", ["0", "-5", "99999", "abc"])
def test_a_certificate_for_an_impossible_year_says_so_and_shows_this_year(client, communities, year):
    client.force_login(communities.member)
    response = client.get(reverse("volunteers:member_certificate", args=[communities.member.pk]), {"year": year})
    assert response.status_code == 200
    html = response.content.decode()
    assert "年度：" in html  # the message names the field and says what is wrong
    assert f"{timezone.localdate().year}年度参加社区志愿服务" in html


@pytest.mark.parametrize(
    ("url_name", "fields"),
    [
        ("whistle_create", {"kind": "flood", "title": "防汛", "place": "村部", "happens_on": "2024-05-01"}),
        (
            "project_create",
            {
                "title": "义诊",
                "category": "health",
                "place": "卫生站",
                "starts_on": "2024-05-01",
                "ends_on": "2024-05-01",
                "claimants": "both",
            },
        ),
    ],
)
def test_a_whistle_or_project_for_nobody_is_refused_on_its_number_field(client, communities, url_name, fields):
    client.force_login(communities.community_secretary)
    response = client.post(
        reverse(f"volunteers:{url_name}", args=[communities.community.pk]), {**fields, "places": "0"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["places"] == ["确保该值大于或等于1。"]
    assert "约束" not in response.content.decode() and "places_positive" not in response.content.decode()


def test_a_project_that_ends_before_it_starts_is_refused_on_its_end_date(client, communities):
    client.force_login(communities.community_secretary)
    fields = {"title": "义诊", "category": "health", "place": "卫生站", "places": "2", "claimants": "both"}
    response = client.post(
        reverse("volunteers:project_create", args=[communities.community.pk]),
        {**fields, "starts_on": "2024-05-02", "ends_on": "2024-05-01"},
    )
    assert response.context["form"].errors == {"ends_on": ["结束日期不能早于开始日期。"]}


@pytest.mark.parametrize(
    ("name", "role", "arg"),
    [
        ("demand_list", "member", None),
        ("community_list", "leader", None),
        ("member_detail", "member", "member"),
        ("unit_detail", "unit_secretary", "unit"),
    ],
)
def test_the_long_lists_page_through_every_row_once_in_their_order(client, communities, monkeypatch, name, role, arg):
    from pairing.choices import BranchKind, UnitLevel
    from tests.factories import BranchFactory
    from volunteers.views import common

    from .conftest import community_branch

    register_member(communities)
    services.registration_decide(
        registration=services.registration_unit_create(
            acting_user=communities.unit_secretary, community=communities.community
        ),
        acting_user=communities.community_secretary,
        accept=True,
    )
    own_project = make_project(communities, title="长期项目", places=50)
    services.claim_create(project=own_project, acting_user=communities.member)
    _many(communities, 4, own_project=own_project, day_offset=0)
    for n in range(3):
        community_branch(communities.county, f"新区{n}")
    BranchFactory(kind=BranchKind.COMMUNITY, county=communities.county, level=UnitLevel.COUNTY, name="无街道社区党支部")
    args = {"member": communities.member.pk, "unit": communities.unit_branch.pk}
    url = reverse(f"volunteers:{name}", args=[args[arg]] if arg else [])
    client.force_login(getattr(communities, role))
    whole = [row.pk for row in client.get(url).context["page"]]

    monkeypatch.setattr(common, "PAGE_SIZE", 2)
    pages, params = [], {}
    while True:
        response = client.get(url, params)
        page = response.context["page"]
        pages.append([row.pk for row in page])
        if not page.has_next:
            break
        assert f"after={page.next_cursor}" in response.content.decode()
        params = {"after": page.next_cursor}
    assert len(whole) >= 4 and [pk for rows in pages for pk in rows] == whole
    back = client.get(url, {"before": page.previous_cursor}).context["page"]
    assert [row.pk for row in back] == pages[-2]
