"""Roster pages: who may use them, upload → preview → confirm/cancel, and the filtered export."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from openpyxl import load_workbook

from pairing.models import Branch, RosterImport
from tests.factories import PASSWORD, BranchFactory, PairingFactory, PartnerBranchFactory, UserFactory

from .roster_support import roster_bytes, roster_regions, row  # noqa: F401

pytestmark = pytest.mark.django_db

TEMPLATE = reverse("pairing:roster_template")
UPLOAD = reverse("pairing:roster_upload")
CONFIRM = reverse("pairing:roster_confirm")
CANCEL = reverse("pairing:roster_cancel")
EXPORT = reverse("pairing:roster_export")


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def stored_uploads() -> list[Path]:
    directory = Path(settings.MEDIA_ROOT) / "roster_uploads"
    return sorted(directory.glob("*")) if directory.exists() else []


def upload(client, rows, **kwargs):
    return client.post(UPLOAD, {"file": roster_bytes(rows, **kwargs)})


def read_export(response) -> list[list]:
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [list(r) for r in workbook.active.iter_rows(values_only=True)]


# --- who may do what --------------------------------------------------------------------------


@pytest.mark.parametrize("url", [TEMPLATE, UPLOAD])
def test_it_rejects_roles_without_write_rights(client, roster_regions, url):  # noqa: F811
    branch = BranchFactory(county=roster_regions.shangcheng)
    for user in (roster_regions.leader, UserFactory.secretary(branch=branch), UserFactory.member(branch=branch)):
        login(client, user)
        assert client.get(url).status_code == 403
    assert client.post(UPLOAD, {"file": roster_bytes([row("C0001")])}).status_code == 403
    assert client.post(CONFIRM, {"token": "0" * 32}).status_code == 403
    assert client.post(CANCEL, {"token": "0" * 32}).status_code == 403
    assert not Branch.objects.filter(code="C0001").exists()


def test_it_sends_anonymous_users_to_login(client):
    for url in (TEMPLATE, UPLOAD, EXPORT):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_template_has_header_sample_row_and_dropdowns(client, roster_regions):  # noqa: F811
    response = login(client, roster_regions.staff_county).get(TEMPLATE)

    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.worksheets[0]
    assert [c.value for c in sheet[1]] == [
        "支部编码",
        "支部名称",
        "支部类型",
        "层级",
        "县区",
        "乡镇街道",
        "所属单位",
        "书记",
        "联系电话",
        "党员数",
        "等次",
        "已优化",
    ]
    assert sheet["A2"].value.startswith("示例") and sheet["E2"].value == "商城县"
    ranges = {str(v.sqref).split(":")[0][0]: v.formula1 for v in sheet.data_validations.dataValidation}
    assert set(ranges) == {"C", "D", "E", "K", "L"}
    options = workbook["选项"]
    assert [c.value for c in options["E"] if c.value] == ["县区"] or options.sheet_state == "hidden"


# --- upload, preview, confirm ----------------------------------------------------------------------


def test_county_staff_uploads_previews_and_confirms(client, roster_regions, django_capture_on_commit_callbacks):  # noqa: F811
    existing = BranchFactory(
        code="C0001", county=roster_regions.shangcheng, name="旧名称", secretary_phone="13812345678"
    )
    login(client, roster_regions.staff_county)

    preview = upload(client, [row("C0001", name="新名称"), row("C0002", township="新集镇")], title="标题")

    assert preview.status_code == 200
    html = preview.content.decode()
    assert 'data-testid="count-create">1<' in html and 'data-testid="count-update">1<' in html
    assert "旧名称" in html and "新名称" in html and "新集镇" in html
    assert len(stored_uploads()) == 1 and not Branch.objects.filter(code="C0002").exists()
    token = preview.context["token"]

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(CONFIRM, {"token": token})

    run = RosterImport.objects.get()
    assert confirmed.status_code == 302 and confirmed["Location"] == reverse(
        "pairing:roster_import_detail", args=[run.pk]
    )
    existing.refresh_from_db()
    assert existing.name == "新名称" and Branch.objects.get(code="C0002").township.name == "新集镇"
    assert stored_uploads() == []
    page = client.get(confirmed["Location"])
    assert "名册已导入：新建 1 个，更新 1 个，未变 0 个。" in page.content.decode()
    assert 'http-equiv="refresh"' not in page.content.decode(), "a finished run stops refreshing"
    assert client.post(CONFIRM, {"token": token})["Location"] == UPLOAD, "a token works once"


def test_cancel_deletes_the_upload_and_imports_nothing(client, roster_regions):  # noqa: F811
    login(client, roster_regions.staff_county)
    token = upload(client, [row("C0001")]).context["token"]

    response = client.post(CANCEL, {"token": token})

    assert response.status_code == 302
    assert stored_uploads() == [] and not Branch.objects.exists()


def test_rows_with_errors_are_listed_and_nothing_is_kept(client, roster_regions):  # noqa: F811
    login(client, roster_regions.staff_county)

    response = upload(client, [row("C0001"), row("P0001", county="平桥区"), row("C0003", members="-1")])

    html = response.content.decode()
    assert response.context["token"] is None and "roster-confirm" not in html
    assert [str(e) for e in response.context["errors"]] == [
        "row 3, column 县区: 您只能登记商城县的支部。",
        "row 4, column 党员数: 党员数应为不小于 0 的整数。",
    ]
    assert "您只能登记商城县的支部。" in html
    assert stored_uploads() == [] and not Branch.objects.exists()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: io.BytesIO(b"hello"), "不是 Excel 工作簿"),
        (lambda: roster_bytes([], headers=["支部编码", "支部名称"]), "缺少必需的列"),
    ],
)
def test_bad_files_get_a_clear_message_and_leave_nothing(client, roster_regions, make, message):  # noqa: F811
    login(client, roster_regions.staff_county)
    fileobj = make()
    fileobj.name = "roster.xlsx"

    response = client.post(UPLOAD, {"file": fileobj})

    assert response.status_code == 200 and message in response.content.decode()
    assert stored_uploads() == [] and not Branch.objects.exists()


def test_wrong_extension_is_refused_next_to_the_field(client, roster_regions):  # noqa: F811
    login(client, roster_regions.staff_county)
    fileobj = roster_bytes([row("C0001")])
    fileobj.name = "roster.xls"

    response = client.post(UPLOAD, {"file": fileobj})

    assert "请上传 .xlsx 格式" in response.content.decode() and stored_uploads() == []


def test_an_oversized_upload_is_refused_and_not_kept(client, roster_regions):  # noqa: F811
    login(client, roster_regions.staff_county)
    big = io.BytesIO(b"PK" + b"\0" * (11 * 1024 * 1024))
    big.name = "roster.xlsx"

    response = client.post(UPLOAD, {"file": big})

    assert response.status_code == 413 and "10 MB" in response.content.decode()
    assert stored_uploads() == [] and not Branch.objects.exists()


def test_it_rejects_outsider_confirming_someone_elses_upload(client, roster_regions):  # noqa: F811
    login(client, roster_regions.staff_county)
    token = upload(client, [row("C0001")]).context["token"]
    other = UserFactory.staff(region=roster_regions.shangcheng)
    login(client, other)

    response = client.post(CONFIRM, {"token": token})

    assert response.status_code == 302 and response["Location"] == UPLOAD
    assert not Branch.objects.exists()


def test_confirm_validates_again(client, roster_regions, django_capture_on_commit_callbacks):  # noqa: F811
    login(client, roster_regions.staff_county)
    token = upload(client, [row("P0001")]).context["token"]
    BranchFactory(code="P0001", county=roster_regions.pingqiao)  # meanwhile another county registered the code

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(CONFIRM, {"token": token})

    response = client.get(confirmed["Location"])
    html = response.content.decode()
    assert response.status_code == 200 and response.context["run"].status == RosterImport.Status.FAILED
    assert "数据在预览后发生了变化，未导入任何数据。" in html
    assert "该支部编码已被您管辖范围以外的支部使用。" in html
    assert Branch.objects.get(code="P0001").county == roster_regions.pingqiao
    assert stored_uploads() == []


def test_expired_uploads_are_purged(client, roster_regions, monkeypatch):  # noqa: F811
    from pairing.services.roster import runs

    login(client, roster_regions.staff_county)
    token = upload(client, [row("C0001")]).context["token"]
    monkeypatch.setattr(runs, "UPLOAD_TTL", runs.UPLOAD_TTL * 0 - runs.UPLOAD_TTL)

    assert runs.roster_uploads_purge() == 1
    assert client.post(CONFIRM, {"token": token})["Location"] == UPLOAD
    assert not Branch.objects.exists()


# --- export ------------------------------------------------------------------------------------------


def test_export_uses_the_list_filters_and_the_scope(client, roster_regions):  # noqa: F811
    BranchFactory(code="C0001", county=roster_regions.shangcheng, secretary_phone="13812345678")
    PartnerBranchFactory(code="C0002", county=roster_regions.shangcheng)
    BranchFactory(code="P0001", county=roster_regions.pingqiao)
    login(client, roster_regions.staff_county)

    everything = read_export(client.get(EXPORT))
    villages = read_export(client.get(EXPORT, {"kind": "village"}))

    assert [r[0] for r in everything[1:]] == ["C0001", "C0002"]
    assert [r[0] for r in villages[1:]] == ["C0002"]
    assert everything[1][8] == "13812345678"


def test_export_for_a_secretary_holds_only_their_branches_with_masked_phones(client, roster_regions):  # noqa: F811
    pairing = PairingFactory(
        partner=PartnerBranchFactory(county=roster_regions.shangcheng, secretary_phone="13912345678")
    )
    BranchFactory(code="C0009", county=roster_regions.shangcheng)
    secretary = UserFactory.secretary(branch=pairing.helper)

    rows = read_export(login(client, secretary).get(EXPORT))

    assert sorted(r[0] for r in rows[1:]) == sorted([pairing.helper.code, pairing.partner.code])
    assert "139****5678" in [r[8] for r in rows]


def test_export_query_count_does_not_grow_with_rows(client, roster_regions, django_assert_max_num_queries):  # noqa: F811
    login(client, roster_regions.staff_city)
    for i in range(10):
        BranchFactory(code=f"C{i:04d}", county=roster_regions.shangcheng)
    with django_assert_max_num_queries(12) as few:
        read_export(client.get(EXPORT))
    for i in range(10, 120):
        PartnerBranchFactory(code=f"C{i:04d}", county=roster_regions.shangcheng)
    with django_assert_max_num_queries(len(few)):
        rows = read_export(client.get(EXPORT))
    assert len(rows) == 121


def test_list_page_shows_roster_buttons_by_role(client, roster_regions):  # noqa: F811
    staff_html = (
        login(client, roster_regions.staff_county).get(reverse("pairing:branch_list"), {"kind": "organ"}).content
    )
    leader_html = login(client, roster_regions.leader).get(reverse("pairing:branch_list")).content.decode()

    assert b"roster-upload" in staff_html and b"roster-template" in staff_html
    assert f"{EXPORT}?kind=organ".encode() in staff_html
    assert "roster-upload" not in leader_html and "roster-export" in leader_html
