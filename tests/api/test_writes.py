"""Writes through the API go through the pages' services: the right role succeeds (with history),
a wrong role gets 403, an outsider 404, bad input 400 with the service's Chinese message."""

from __future__ import annotations

import datetime

from activities.choices import ThemeDayStatus
from pairing.models import Branch, BranchGrade
from tests.factories import UserFactory
from volunteers import services as volunteer_services
from volunteers.choices import HourStatus
from volunteers.models import Claim, HourEntry

from .conftest import client_for

# --- branches and grades ----------------------------------------------------------------------


def branch_data(world, **extra) -> dict:
    data = {
        "code": "API-0001",
        "name": "接口测试党支部",
        "kind": "organ",
        "level": "county",
        "county": world.mine.county.pk,
        "secretary_name": "李书记",
        "secretary_phone": "13800001111",
        "member_count": 12,
    }
    data.update(extra)
    return data


def test_staff_registers_a_branch_with_history(world):
    response = client_for(world.mine.staff).post("/api/v1/branches/", branch_data(world), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["code"] == "API-0001"
    assert body["secretary_phone"] == "13800001111"
    branch = Branch.objects.get(pk=body["id"])
    assert branch.city_id == world.city.pk
    assert branch.history.get().history_user == world.mine.staff


def test_roles_without_write_rights_get_403_on_branch_writes(world):
    pk = world.mine.pairing.helper_id
    for user in (world.leader, world.mine.helper_sec, world.mine.member, world.mine.community_sec):
        client = client_for(user)
        assert client.post("/api/v1/branches/", branch_data(world), format="json").status_code == 403
        assert client.patch(f"/api/v1/branches/{pk}/", {"name": "改名"}, format="json").status_code == 403
    assert not Branch.objects.filter(code="API-0001").exists()


def test_staff_cannot_register_a_branch_in_another_county(world):
    response = client_for(world.mine.staff).post(
        "/api/v1/branches/", branch_data(world, county=world.other.county.pk), format="json"
    )
    assert response.status_code == 400
    assert "county" in response.json()
    assert not Branch.objects.filter(code="API-0001").exists()


def test_bad_phone_and_duplicate_code_are_400_with_chinese_messages(world):
    client = client_for(world.mine.staff)
    response = client.post("/api/v1/branches/", branch_data(world, secretary_phone="12345"), format="json")
    assert response.status_code == 400
    assert "手机号" in response.json()["secretary_phone"][0]
    taken = world.mine.pairing.helper.code
    response = client.post("/api/v1/branches/", branch_data(world, code=taken), format="json")
    assert response.status_code == 400
    assert "code" in response.json()


def test_staff_changes_a_branch_and_outsider_staff_gets_404(world):
    pk = world.mine.pairing.helper_id
    response = client_for(world.mine.staff).patch(f"/api/v1/branches/{pk}/", {"name": "新名称党支部"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "新名称党支部"
    assert Branch.objects.get(pk=pk).history.latest().history_user == world.mine.staff
    response = client_for(world.other.staff).patch(f"/api/v1/branches/{pk}/", {"name": "偷改"}, format="json")
    assert response.status_code == 404
    assert Branch.objects.get(pk=pk).name == "新名称党支部"


def test_staff_assigns_grades_and_others_cannot(world):
    branch = world.mine.pairing.partner
    data = {"branches": [branch.pk], "year": 2023, "grade": "good"}
    assert client_for(world.leader).post("/api/v1/grades/assign/", data, format="json").status_code == 403
    assert client_for(world.mine.helper_sec).post("/api/v1/grades/assign/", data, format="json").status_code == 403
    response = client_for(world.mine.staff).post("/api/v1/grades/assign/", data, format="json")
    assert response.status_code == 200
    assert response.json() == {"count": 1}
    assert BranchGrade.objects.get(branch=branch, year=2023).grade == "good"
    outside = {"branches": [world.other.pairing.partner_id], "year": 2023, "grade": "good"}
    assert client_for(world.mine.staff).post("/api/v1/grades/assign/", outside, format="json").status_code == 400
    assert not BranchGrade.objects.filter(branch=world.other.pairing.partner, year=2023).exists()


# --- theme days and N-task reports ------------------------------------------------------------


def theme_day_data(world, **extra) -> dict:
    data = {
        "pairing": world.mine.pairing.pk,
        "held_on": "2024-04-02",
        "theme": "植树",
        "place": "村部",
        "helper_attendance": 3,
        "partner_attendance": 4,
    }
    data.update(extra)
    return data


def test_secretary_records_a_theme_day_and_the_other_side_confirms(world):
    response = client_for(world.mine.helper_sec).post("/api/v1/theme-days/", theme_day_data(world), format="json")
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert response.json()["status"] == ThemeDayStatus.PENDING
    assert client_for(world.mine.helper_sec).post(f"/api/v1/theme-days/{pk}/confirm/").status_code == 403
    assert client_for(world.mine.staff).post(f"/api/v1/theme-days/{pk}/confirm/").status_code == 403
    assert client_for(world.other.partner_sec).post(f"/api/v1/theme-days/{pk}/confirm/").status_code == 404
    response = client_for(world.mine.partner_sec).post(f"/api/v1/theme-days/{pk}/confirm/")
    assert response.status_code == 200
    assert response.json()["status"] == ThemeDayStatus.CONFIRMED
    response = client_for(world.mine.partner_sec).post(f"/api/v1/theme-days/{pk}/confirm/")
    assert response.status_code == 400
    assert "待确认" in response.json()["non_field_errors"][0]


def test_theme_day_return_needs_a_reason(world):
    pk = world.mine.theme_day.pk
    client = client_for(world.mine.partner_sec)
    assert client.post(f"/api/v1/theme-days/{pk}/return/", {"reason": ""}, format="json").status_code == 400
    response = client.post(f"/api/v1/theme-days/{pk}/return/", {"reason": "照片不清楚"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == ThemeDayStatus.RETURNED
    assert response.json()["return_reason"] == "照片不清楚"


def test_theme_day_writes_are_refused_to_other_roles_and_bad_dates(world):
    for user in (world.mine.staff, world.leader, world.mine.member):
        response = client_for(user).post("/api/v1/theme-days/", theme_day_data(world), format="json")
        assert response.status_code == 403
    response = client_for(world.other.helper_sec).post("/api/v1/theme-days/", theme_day_data(world), format="json")
    assert response.status_code == 400  # the pairing is not one the outsider may name
    future = (datetime.date.today() + datetime.timedelta(days=3)).isoformat()
    response = client_for(world.mine.helper_sec).post(
        "/api/v1/theme-days/", theme_day_data(world, held_on=future), format="json"
    )
    assert response.status_code == 400
    assert "不能晚于今天" in response.json()["held_on"][0]
    assert world.mine.pairing.theme_days.count() == 1


def test_secretary_reports_n_task_progress(world):
    report = world.mine.report
    data = {"task": report.task_id, "pairing": report.pairing_id, "status": "done", "note": "已通车"}
    response = client_for(world.mine.partner_sec).post("/api/v1/n-task-reports/", data, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["id"] == report.pk  # one report per item and pairing: replaced
    assert response.json()["status"] == "done"
    response = client_for(world.mine.helper_sec).patch(
        f"/api/v1/n-task-reports/{report.pk}/", {"status": "in_progress"}, format="json"
    )
    assert response.status_code == 200
    assert response.json() | {"note": "已通车"} == response.json()


def test_n_task_report_writes_refused_to_other_roles(world):
    pk = world.mine.report.pk
    for user in (world.mine.staff, world.leader):
        assert (
            client_for(user).patch(f"/api/v1/n-task-reports/{pk}/", {"status": "done"}, format="json").status_code
            == 403
        )
    response = client_for(world.other.helper_sec).patch(
        f"/api/v1/n-task-reports/{pk}/", {"status": "done"}, format="json"
    )
    assert response.status_code == 404


# --- claims and hours -------------------------------------------------------------------------


def registered_member(world):
    member = UserFactory.member(branch=world.mine.pairing.helper)
    registration = volunteer_services.registration_member_create(member=member, community=world.mine.community)
    volunteer_services.registration_decide(registration=registration, acting_user=world.mine.community_sec, accept=True)
    return member


def test_registered_member_claims_a_project_once(world):
    member = registered_member(world)
    url = f"/api/v1/projects/{world.mine.project.pk}/claim/"
    response = client_for(member).post(url, {}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["mode"] == "self"
    response = client_for(member).post(url, {}, format="json")
    assert response.status_code == 400
    assert "已认领" in response.json()["non_field_errors"][0]
    assert client_for(world.other.member).post(url, {}, format="json").status_code == 404


def test_only_the_community_secretary_assigns_a_claim(world):
    member = registered_member(world)
    registration = member.volunteer_registrations.get()
    url = f"/api/v1/projects/{world.mine.project.pk}/claim/"
    assert client_for(world.mine.staff).post(url, {"registration": registration.pk}, format="json").status_code == 403
    response = client_for(world.mine.community_sec).post(url, {"registration": registration.pk}, format="json")
    assert response.status_code == 201
    assert Claim.objects.get(pk=response.json()["id"]).mode == "assigned"


def hours_data(world, **extra) -> dict:
    data = {
        "served_on": "2024-05-02",
        "starts_at": "14:00",
        "ends_at": "16:30",
        "description": "义诊",
        "project": world.mine.project.pk,
    }
    data.update(extra)
    return data


def test_member_logs_hours_and_others_cannot(world):
    response = client_for(world.mine.member).post("/api/v1/hours/", hours_data(world), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["minutes"] == 150
    assert response.json()["status"] == HourStatus.PENDING
    for user in (world.mine.staff, world.mine.community_sec, world.mine.helper_sec):
        assert client_for(user).post("/api/v1/hours/", hours_data(world), format="json").status_code == 403
    clash = client_for(world.mine.member).post(
        "/api/v1/hours/", hours_data(world, starts_at="15:00", ends_at="17:00"), format="json"
    )
    assert clash.status_code == 400
    assert "重叠" in clash.json()["starts_at"][0]
    assert HourEntry.objects.filter(member=world.mine.member).count() == 2


def test_community_secretary_verifies_and_rejects_hours(world):
    pk = world.mine.hours.pk
    for user in (world.mine.staff, world.mine.member, world.leader):
        assert client_for(user).post(f"/api/v1/hours/{pk}/verify/").status_code == 403
    assert client_for(world.other.community_sec).post(f"/api/v1/hours/{pk}/verify/").status_code == 404
    client = client_for(world.mine.community_sec)
    assert client.post(f"/api/v1/hours/{pk}/reject/", {"reason": ""}, format="json").status_code == 400
    response = client.post(f"/api/v1/hours/{pk}/verify/")
    assert response.status_code == 200
    assert response.json()["status"] == HourStatus.VERIFIED
    again = client.post(f"/api/v1/hours/{pk}/reject/", {"reason": "重复"}, format="json")
    assert again.status_code == 400
    assert HourEntry.objects.get(pk=pk).status == HourStatus.VERIFIED


def test_theme_day_photos_are_linked_through_the_scoped_file_view(world, client):
    from activities import services as activity_services
    from tests.activities.conftest import image_upload

    theme_day = activity_services.theme_day_record(
        pairing=world.mine.pairing,
        acting_user=world.mine.helper_sec,
        held_on=datetime.date(2024, 4, 5),
        theme="清明祭扫",
        place="烈士陵园",
        helper_attendance=2,
        partner_attendance=3,
        photos=[image_upload()],
    )
    body = client_for(world.mine.partner_sec).get(f"/api/v1/theme-days/{theme_day.pk}/").json()
    assert len(body["photos"]) == 1
    url = body["photos"][0]["url"]
    client.force_login(world.mine.partner_sec)
    assert client.get(url).status_code == 200
    client.force_login(world.other.partner_sec)
    assert client.get(url).status_code == 404
