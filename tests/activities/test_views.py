"""Every activities page: the owner may, an outsider gets 404, a wrong role 403."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from activities import services
from activities.choices import ThemeDayStatus
from activities.models import KeyTask, ThemeDay
from tests.uploads import pdf_bytes

from .conftest import image_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def theme_day(county_pairings):
    return services.theme_day_record(
        pairing=county_pairings.pairing,
        acting_user=county_pairings.helper_sec,
        held_on=datetime.date(2022, 3, 5),
        theme="重温入党誓词",
        place="村部",
        helper_attendance=8,
        partner_attendance=9,
        photos=[image_upload()],
    )


@pytest.fixture
def task_list(county_pairings):
    return services.key_task_list_publish(
        region=county_pairings.county,
        year=2022,
        half=1,
        tasks=[{"title": "防汛救灾", "description": "", "due_on": datetime.date(2022, 6, 30)}],
        acting_user=county_pairings.staff,
    )


def get(client, user, name, *args, **params):
    client.force_login(user)
    return client.get(reverse(f"activities:{name}", args=args), params)


def post(client, user, name, *args, data=None):
    client.force_login(user)
    return client.post(reverse(f"activities:{name}", args=args), data or {})


# --- recording a theme day ------------------------------------------------------------------


def test_secretary_records_a_theme_day_from_the_form(client, county_pairings):
    client.force_login(county_pairings.helper_sec)
    url = reverse("activities:theme_day_create", args=[county_pairings.pairing.pk])
    page = client.get(url)
    assert 'capture="environment"' in page.content.decode() and 'accept="image/*"' in page.content.decode()
    response = client.post(
        url,
        {
            "held_on": "2022-03-05",
            "theme": "学习党的二十大精神",
            "place": "村党群服务中心",
            "helper_attendance": 6,
            "partner_attendance": 7,
            "photos": [image_upload("a.jpg"), image_upload("b.webp", size=(300, 200))],
        },
    )
    day = ThemeDay.objects.get()
    assert response.status_code == 302 and response["Location"] == day.get_absolute_url()
    assert day.photos.count() == 2


def test_form_shows_the_message_next_to_the_field(client, county_pairings):
    client.force_login(county_pairings.helper_sec)
    response = client.post(
        reverse("activities:theme_day_create", args=[county_pairings.pairing.pk]),
        {"held_on": "2099-01-01", "theme": "x", "place": "y", "helper_attendance": 99, "partner_attendance": 1},
    )
    assert response.status_code == 200
    assert "不能晚于今天" in str(response.context["form"].errors["held_on"])
    assert "超过" in str(response.context["form"].errors["helper_attendance"])
    assert not ThemeDay.objects.exists()


def test_form_page_draws_the_fields_their_errors_and_the_token(client, county_pairings):
    client.force_login(county_pairings.helper_sec)
    url = reverse("activities:theme_day_create", args=[county_pairings.pairing.pk])
    page = client.get(url).content.decode()
    assert 'enctype="multipart/form-data"' in page and 'name="csrfmiddlewaretoken"' in page
    for name in ("held_on", "theme", "place", "helper_attendance", "partner_attendance", "photos", "summary"):
        assert f'name="{name}"' in page and f'id="div_id_{name}"' in page
    assert f'max="{county_pairings.pairing.helper.member_count}"' in page and '<details class="mb-3">' in page
    page = client.post(url, {"held_on": "2022-03-05", "place": "<b>村部</b>", "summary": "内容"}).content.decode()
    assert 'id="id_theme_error" class="invalid-feedback d-block"' in page
    assert 'class="form-control form-control-lg is-invalid"' in page and "&lt;b&gt;村部&lt;/b&gt;" in page
    assert '<details class="mb-3" open>' in page  # the summary was filled in


def test_create_rejects_outsider(client, county_pairings):
    assert get(client, county_pairings.outsider_sec, "theme_day_create", county_pairings.pairing.pk).status_code == 404
    assert get(client, county_pairings.other_staff, "theme_day_create", county_pairings.pairing.pk).status_code == 404


def test_create_rejects_wrong_role(client, county_pairings):
    assert get(client, county_pairings.staff, "theme_day_create", county_pairings.pairing.pk).status_code == 403
    assert get(client, county_pairings.leader, "theme_day_create", county_pairings.pairing.pk).status_code == 403


def test_anonymous_is_sent_to_login(client, county_pairings):
    response = client.get(reverse("activities:theme_day_create", args=[county_pairings.pairing.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


# --- detail, confirm, return, edit ------------------------------------------------------------


def test_both_sides_and_staff_see_the_day(client, county_pairings, theme_day):
    for user in (
        county_pairings.helper_sec,
        county_pairings.partner_sec,
        county_pairings.staff,
        county_pairings.leader,
    ):
        assert get(client, user, "theme_day_detail", theme_day.pk).status_code == 200
    page = get(client, county_pairings.partner_sec, "theme_day_detail", theme_day.pk)
    assert page.context["can_review"] and "工作日" not in page.content.decode()


def test_detail_page_shows_files_reviewer_and_history_in_five_queries(
    client, county_pairings, django_assert_num_queries
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    day = services.theme_day_record(
        pairing=county_pairings.pairing,
        acting_user=county_pairings.helper_sec,
        held_on=datetime.date(2022, 3, 5),
        theme="重温入党誓词",
        place="村部",
        helper_attendance=8,
        photos=[image_upload("a.jpg"), image_upload("b.png")],
        attachments=[SimpleUploadedFile("签到表.pdf", pdf_bytes(), content_type="application/pdf")],
    )
    services.theme_day_confirm(theme_day=day, acting_user=county_pairings.partner_sec)
    client.force_login(county_pairings.partner_sec)
    client.get(day.get_absolute_url())  # session and user warm
    with django_assert_num_queries(5):  # session, user with its notices, the day, its files, its history
        page = client.get(day.get_absolute_url()).content.decode()
    photos = list(day.photos.order_by("pk"))
    attachment = day.attachments.get()
    for photo in photos:
        assert reverse("activities:theme_day_photo", args=[photo.pk]) in page
        assert reverse("activities:theme_day_photo_original", args=[photo.pk]) in page
    assert f'href="{reverse("activities:theme_day_attachment", args=[attachment.pk])}">签到表.pdf</a>' in page
    assert f"（{county_pairings.helper_sec}）" in page and str(county_pairings.partner_sec) in page
    assert page.count("<li>") == 2 + 1  # the attachment; recorded, then confirmed
    reviewed = timezone.localtime(ThemeDay.objects.get(pk=day.pk).reviewed_at).strftime("%Y-%m-%d %H:%M")
    assert reviewed in page


def test_partner_confirms_through_the_page(client, county_pairings, theme_day):
    response = post(client, county_pairings.partner_sec, "theme_day_confirm", theme_day.pk)
    assert response.status_code == 302
    theme_day.refresh_from_db()
    assert theme_day.status == ThemeDayStatus.CONFIRMED


def test_confirm_rejects_outsider_and_wrong_role(client, county_pairings, theme_day):
    assert post(client, county_pairings.outsider_sec, "theme_day_confirm", theme_day.pk).status_code == 404
    assert post(client, county_pairings.staff, "theme_day_confirm", theme_day.pk).status_code == 403
    assert post(client, county_pairings.helper_sec, "theme_day_confirm", theme_day.pk).status_code == 403
    theme_day.refresh_from_db()
    assert theme_day.status == ThemeDayStatus.PENDING


def test_return_with_reason(client, county_pairings, theme_day):
    post(client, county_pairings.partner_sec, "theme_day_return", theme_day.pk, data={"reason": "人数不符"})
    theme_day.refresh_from_db()
    assert theme_day.status == ThemeDayStatus.RETURNED
    assert (
        post(client, county_pairings.outsider_sec, "theme_day_return", theme_day.pk, data={"reason": "x"}).status_code
        == 404
    )
    assert (
        post(client, county_pairings.leader, "theme_day_return", theme_day.pk, data={"reason": "x"}).status_code == 403
    )


def test_edit_by_recorder_resets_to_pending(client, county_pairings, theme_day):
    services.theme_day_confirm(theme_day=theme_day, acting_user=county_pairings.partner_sec)
    client.force_login(county_pairings.helper_sec)
    response = client.post(
        reverse("activities:theme_day_update", args=[theme_day.pk]),
        {"held_on": "2022-03-06", "theme": "改", "place": "村部", "helper_attendance": 8, "partner_attendance": 9},
    )
    assert response.status_code == 302
    theme_day.refresh_from_db()
    assert theme_day.status == ThemeDayStatus.PENDING and theme_day.theme == "改"


def test_edit_rejects_outsider_and_other_side(client, county_pairings, theme_day):
    assert get(client, county_pairings.outsider_sec, "theme_day_update", theme_day.pk).status_code == 404
    assert get(client, county_pairings.partner_sec, "theme_day_update", theme_day.pk).status_code == 403
    assert get(client, county_pairings.staff, "theme_day_update", theme_day.pk).status_code == 403


# --- files ------------------------------------------------------------------------------------


def test_photos_are_served_in_scope_only(client, county_pairings, theme_day):
    photo = theme_day.photos.get()
    for user in (county_pairings.partner_sec, county_pairings.staff):
        client.force_login(user)
        response = client.get(reverse("activities:theme_day_photo", args=[photo.pk]))
        assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
        assert client.get(reverse("activities:theme_day_photo_original", args=[photo.pk])).status_code == 200
    assert get(client, county_pairings.outsider_sec, "theme_day_photo", photo.pk).status_code == 404
    client.logout()
    assert client.get(reverse("activities:theme_day_photo", args=[photo.pk])).status_code == 302


def test_original_is_served_as_an_image_whatever_its_uploaded_name(client, county_pairings):
    day = services.theme_day_record(
        pairing=county_pairings.pairing,
        acting_user=county_pairings.helper_sec,
        held_on=datetime.date(2022, 3, 5),
        theme="t",
        place="p",
        helper_attendance=1,
        photos=[image_upload("x.png")],
    )
    photo = day.photos.get()
    photo.original_name = "evil.html"
    photo.save()
    response = get(client, county_pairings.partner_sec, "theme_day_photo_original", photo.pk)
    assert response["Content-Type"] == "image/png" and response["X-Content-Type-Options"] == "nosniff"


def test_no_public_media_url(client, county_pairings, theme_day):
    client.force_login(county_pairings.helper_sec)
    photo = theme_day.photos.get()
    assert client.get("/media/" + photo.original.name).status_code == 404


# --- lists --------------------------------------------------------------------------------------


def test_index_lists_only_scope(client, county_pairings, theme_day):
    services.theme_day_record(
        pairing=county_pairings.other,
        acting_user=county_pairings.outsider_sec,
        held_on=datetime.date(2022, 3, 5),
        theme="别人的",
        place="p",
        helper_attendance=1,
    )
    response = get(client, county_pairings.partner_sec, "index")
    assert [d.theme for d in response.context["page"]] == ["重温入党誓词"]
    assert [d.pk for d in response.context["to_confirm"]] == [theme_day.pk]
    assert "别人的" not in get(client, county_pairings.staff, "index").content.decode()


def test_index_query_count_is_flat(client, county_pairings, django_assert_max_num_queries):
    for i in range(30):
        ThemeDay.objects.create(
            pairing=county_pairings.pairing,
            recorded_by_branch=county_pairings.pairing.helper,
            held_on=datetime.date(2022, 1, 1) + datetime.timedelta(days=i),
            theme=f"t{i}",
            place="p",
            helper_attendance=1,
        )
    client.force_login(county_pairings.staff)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("activities:index")).status_code == 200


def _theme_days(pairing, n: int, *, per_day: int = 3) -> list[ThemeDay]:
    """``n`` theme days, ``per_day`` on each date (ties on the list's first key), every third pending."""
    return [
        ThemeDay.objects.create(
            pairing=pairing,
            recorded_by_branch=pairing.helper,
            held_on=datetime.date(2022, 1, 1) + datetime.timedelta(days=i // per_day),
            theme=f"t{i}",
            place="p",
            helper_attendance=1,
            status=ThemeDayStatus.PENDING if i % 3 == 0 else ThemeDayStatus.CONFIRMED,
        )
        for i in range(n)
    ]


def _walk_list(client, url, params, *, backwards_too=True):
    """Every page of a keyset list through its own links (after=, then before= back)."""
    pages, response = [], client.get(url, params)
    while True:
        pages.append([x.pk for x in response.context["page"]])
        page = response.context["page"]
        if not page.has_next:
            break
        assert f"after={page.next_cursor}" in response.content.decode()
        response = client.get(url, {**params, "after": page.next_cursor})
    if backwards_too:
        back = [[x.pk for x in response.context["page"]]]
        while response.context["page"].has_previous:
            response = client.get(url, {**params, "before": response.context["page"].previous_cursor})
            back.insert(0, [x.pk for x in response.context["page"]])
        assert back == pages
    return pages


def test_index_pages_newest_first_each_day_once_with_the_status_kept(client, county_pairings, monkeypatch):
    from activities import views

    monkeypatch.setattr(views, "PAGE_SIZE", 4)
    days = _theme_days(county_pairings.pairing, 23)
    newest_first = sorted(days, key=lambda d: (d.held_on, d.pk), reverse=True)
    client.force_login(county_pairings.staff)
    pages = _walk_list(client, reverse("activities:index"), {})
    assert [pk for page in pages for pk in page] == [d.pk for d in newest_first]
    assert [len(page) for page in pages] == [4, 4, 4, 4, 4, 3]
    pending = _walk_list(client, reverse("activities:index"), {"status": "pending"})
    assert [pk for page in pending for pk in page] == [d.pk for d in newest_first if d.status == "pending"]
    response = client.get(reverse("activities:index"), {"status": "pending"})
    assert "status=pending&amp;after=" in response.content.decode()


def test_secretary_index_names_the_sides_and_the_recorder(client, county_pairings, theme_day):
    response = get(client, county_pairings.partner_sec, "index")
    page = response.content.decode()
    names = f"{county_pairings.pairing.helper.name} ↔ {county_pairings.pairing.partner.name}"
    assert [(d.theme, d.helper_name, d.partner_name) for d in response.context["page"]] == [
        ("重温入党誓词", county_pairings.pairing.helper.name, county_pairings.pairing.partner.name)
    ]
    assert [(d.pk, d.recorded_by_name) for d in response.context["to_confirm"]] == [
        (theme_day.pk, county_pairings.pairing.helper.name)
    ]
    assert [p.pk for p in response.context["my_pairings"]] == [county_pairings.pairing.pk]
    assert page.count(names) == 2  # the pairing's card and the list's line
    assert f'href="{theme_day.get_absolute_url()}"' in page
    # the recorder has nothing to confirm
    assert get(client, county_pairings.helper_sec, "index").context["to_confirm"] == []


def test_secretary_index_keeps_the_days_of_a_dissolved_pairing(client, county_pairings, theme_day):
    Pairing = type(county_pairings.pairing)
    Pairing.objects.filter(pk=county_pairings.pairing.pk).update(
        status="dissolved", dissolved_on=datetime.date(2022, 6, 1)
    )
    response = get(client, county_pairings.partner_sec, "index")
    assert [d.pk for d in response.context["page"]] == [theme_day.pk]
    assert [d.pk for d in response.context["to_confirm"]] == [theme_day.pk]
    assert response.context["my_pairings"] == []


@pytest.mark.parametrize("n", [5, 120])
def test_secretary_index_runs_the_same_queries_for_few_and_many_rows(
    client, county_pairings, django_assert_num_queries, n
):
    _theme_days(county_pairings.pairing, n)
    client.force_login(county_pairings.partner_sec)
    client.get(reverse("activities:index"))  # session and user warm
    with django_assert_num_queries(5):  # session, user with its notices, pairings, the page, the to-do
        response = client.get(reverse("activities:index"))
    assert len(response.context["page"]) == min(n, 50) and len(response.context["to_confirm"]) == min(n // 3 + 1, 20)


def test_joint_activity_list_pages_each_row_once(client, county_pairings, monkeypatch):
    from activities import views

    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    rows = [
        services.joint_activity_record(
            pairing=county_pairings.pairing,
            acting_user=county_pairings.helper_sec,
            kind="lecture",
            held_on=datetime.date(2022, 2, 1) + datetime.timedelta(days=i // 2),
            title=f"党课{i}",
        )
        for i in range(8)
    ]
    client.force_login(county_pairings.partner_sec)
    pages = _walk_list(client, reverse("activities:joint_activity_list"), {})
    assert [pk for page in pages for pk in page] == [a.pk for a in sorted(rows, key=lambda a: (a.held_on, a.pk))][::-1]


@pytest.mark.parametrize("n", [5, 120])
def test_list_pages_run_the_same_queries_for_few_and_many_rows(client, county_pairings, django_assert_num_queries, n):
    days = _theme_days(county_pairings.pairing, n)
    client.force_login(county_pairings.staff)
    client.get(reverse("activities:index"))  # session and user warm
    with django_assert_num_queries(4):
        client.get(reverse("activities:index"))
    with django_assert_num_queries(4):
        client.get(reverse("activities:index"), {"after": "garbage", "status": "confirmed"})
    assert len(days) == n


def test_joint_activity_flow_and_scope(client, county_pairings):
    client.force_login(county_pairings.partner_sec)
    response = client.post(
        reverse("activities:joint_activity_create", args=[county_pairings.pairing.pk]),
        {
            "kind": "visit",
            "held_on": "2022-04-02",
            "title": "走访慰问困难党员",
            "participants": 6,
            "persons_visited": 12,
        },
    )
    assert response.status_code == 302
    assert "走访慰问困难党员" in get(client, county_pairings.staff, "joint_activity_list").content.decode()
    assert "走访慰问困难党员" not in get(client, county_pairings.other_staff, "joint_activity_list").content.decode()
    assert (
        get(client, county_pairings.outsider_sec, "joint_activity_create", county_pairings.pairing.pk).status_code
        == 404
    )
    assert get(client, county_pairings.staff, "joint_activity_create", county_pairings.pairing.pk).status_code == 403


# --- the N list ------------------------------------------------------------------------------


def test_staff_publishes_a_list(client, county_pairings):
    client.force_login(county_pairings.staff)
    data = {
        "region": county_pairings.county.pk,
        "year": 2022,
        "half": 1,
        "items-TOTAL_FORMS": 2,
        "items-INITIAL_FORMS": 0,
        "items-MIN_NUM_FORMS": 0,
        "items-MAX_NUM_FORMS": 20,
        "items-0-title": "疫情防控",
        "items-0-due_on": "2022-06-30",
        "items-0-description": "",
        "items-1-title": "",
        "items-1-due_on": "",
        "items-1-description": "",
    }
    response = client.post(reverse("activities:task_list_create"), data)
    assert response.status_code == 302
    assert list(KeyTask.objects.values_list("title", flat=True)) == ["疫情防控"]
    response = client.post(reverse("activities:task_list_create"), data)
    assert "已发布" in str(response.context["form"].non_field_errors())


def test_publish_rejects_wrong_role_and_foreign_region(client, county_pairings):
    assert get(client, county_pairings.partner_sec, "task_list_create").status_code == 403
    assert get(client, county_pairings.leader, "task_list_create").status_code == 403
    client.force_login(county_pairings.other_staff)
    response = client.post(
        reverse("activities:task_list_create"),
        {
            "region": county_pairings.county.pk,
            "year": 2022,
            "half": 1,
            "items-TOTAL_FORMS": 0,
            "items-INITIAL_FORMS": 0,
        },
    )
    assert "region" in response.context["form"].errors


def test_task_list_detail_scope(client, county_pairings, task_list):
    assert get(client, county_pairings.staff, "task_list_detail", task_list.pk).status_code == 200
    assert get(client, county_pairings.partner_sec, "task_list_detail", task_list.pk).status_code == 200
    assert get(client, county_pairings.other_staff, "task_list_detail", task_list.pk).status_code == 404
    assert get(client, county_pairings.outsider_sec, "task_list_detail", task_list.pk).status_code == 404


def test_secretary_reports_progress_with_evidence(client, county_pairings, task_list):
    task = task_list.tasks.get()
    client.force_login(county_pairings.partner_sec)
    url = reverse("activities:task_report", args=[task_list.pk, county_pairings.pairing.pk])
    response = client.post(
        url,
        {
            "task": task.pk,
            f"t{task.pk}-status": "done",
            f"t{task.pk}-note": "已完成排查",
            f"t{task.pk}-photos": [image_upload()],
        },
    )
    assert response.status_code == 302
    report = task.reports.get()
    assert report.status == "done" and report.photos.count() == 1
    evidence = report.photos.get()
    assert get(client, county_pairings.staff, "task_evidence", evidence.pk).status_code == 200
    assert get(client, county_pairings.outsider_sec, "task_evidence", evidence.pk).status_code == 404
    detail = get(client, county_pairings.staff, "task_list_detail", task_list.pk)
    assert detail.context["items"][0]["done"] == 1


def test_report_rejects_outsider_and_wrong_role(client, county_pairings, task_list):
    task = task_list.tasks.get()
    assert (
        get(client, county_pairings.outsider_sec, "task_report", task_list.pk, county_pairings.pairing.pk).status_code
        == 404
    )
    assert (
        get(client, county_pairings.partner_sec, "task_report", task_list.pk, county_pairings.other.pk).status_code
        == 404
    )
    assert (
        post(
            client,
            county_pairings.staff,
            "task_report",
            task_list.pk,
            county_pairings.pairing.pk,
            data={"task": task.pk, f"t{task.pk}-status": "done"},
        ).status_code
        == 403
    )


def test_carry_over_rejects_wrong_role_and_outsider(client, county_pairings, task_list):
    assert post(client, county_pairings.partner_sec, "task_list_carry_over", task_list.pk).status_code == 403
    assert post(client, county_pairings.other_staff, "task_list_carry_over", task_list.pk).status_code == 404
    assert post(client, county_pairings.staff, "task_list_carry_over", task_list.pk).status_code == 302


@pytest.mark.parametrize("n", [5, 120])
def test_task_list_detail_query_count_is_flat(client, county_pairings, task_list, django_assert_max_num_queries, n):
    from tests.factories import BranchFactory, PairingFactory, PartnerBranchFactory

    task = task_list.tasks.get()
    for _ in range(n):
        pairing = PairingFactory(
            partner=PartnerBranchFactory(
                county=county_pairings.county,
                township=county_pairings.pairing.partner.township,
                region=county_pairings.pairing.partner.region,
            ),
            helper=BranchFactory(county=county_pairings.county),
            campaign=county_pairings.pairing.campaign,
        )
        services.key_task_report_save(task=task, pairing=pairing, acting_user=_sec(pairing), status="in_progress")
    client.force_login(county_pairings.staff)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("activities:task_list_detail", args=[task_list.pk]))
    assert response.context["items"][0]["in_progress"] == n


def _sec(pairing):
    from tests.factories import UserFactory

    return UserFactory.secretary(branch=pairing.helper)
