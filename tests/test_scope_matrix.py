"""Scope as one role × route matrix: every URL route of the project, for every role.

For each route (the URL resolver's patterns, less the admin site and the static and media files)
and each role, the in-scope user of the shared world (``world.owner(role)``, whose scope holds the
``mine`` county's rows) gets the status recorded in ``EXPECTED``: a literal table, written down
from what the views answered when it was made (issue 15) and checked against their access rules,
never computed from the code under test, so that a change of access shows as a change of a cell. The outsider of the same role
(``world.outsider(role)``, the other county) must not learn that an object exists: on every route
that names an object, a GET or a POST is 404 (or, where the owner of the role is refused too, that
same refusal: 401, 403 or 405, decided before any look-up). On the other routes the outsider gets
what the owner gets. Anonymous visitors are sent to log in (or refused by the API).

Writes are POSTed with an empty body: a form answers with its errors (200) or a refusal, never a
change for an outsider. A route added to the project and not to ``EXPECTED`` fails the test.

Each column of ``EXPECTED`` is a space-separated status per role, in ``COLUMNS`` order:
``GET`` as anonymous, staff, leader, secretary, community secretary, member; then ``POST`` the same.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver

from activities.models import KeyTaskEvidence, ThemeDayAttachment, ThemeDayPhoto
from pairing.choices import Role
from pairing.models import Draw, RosterImport
from reports.models import AssessmentExport, ReportRun
from reports.services.snapshots import snapshots_refresh

pytestmark = pytest.mark.django_db

ROLES = (Role.STAFF, Role.LEADER, Role.SECRETARY, Role.COMMUNITY_SECRETARY, Role.MEMBER)
COLUMNS = ("anonymous", *ROLES)
NOT_ROUTES = re.compile(r"^(admin/|static/|media/)")  # Django's admin site and the file servers
REFUSALS = {401, 403, 405}  # a refusal of the role or the method, before any object is looked up

# route name: (GET statuses, POST statuses), each "anonymous staff leader secretary community_secretary member"
EXPECTED: dict[str, tuple[str, str]] = {
    "api_docs": ("401 200 200 200 200 200", "401 405 405 405 405 405"),
    "api_schema": ("401 200 200 200 200 200", "401 405 405 405 405 405"),
    "healthz": ("200 200 200 200 200 200", "405 405 405 405 405 405"),
    "home": ("302 200 200 200 200 200", "302 200 200 200 200 200"),
    "login": ("200 302 302 302 302 302", "200 302 302 302 302 302"),
    "logout": ("405 405 405 405 405 405", "302 302 302 302 302 302"),
    "notice_list": ("302 200 200 200 200 200", "302 200 200 200 200 200"),
    "notice_read_all": ("405 405 405 405 405 405", "302 302 302 302 302 302"),
    "set_language": ("302 302 302 302 302 302", "302 302 302 302 302 302"),
    "activities:compliance": ("302 200 200 200 200 200", "302 200 200 200 200 200"),
    "activities:index": ("302 200 200 200 200 200", "302 200 200 200 200 200"),
    "activities:joint_activity_create": ("302 403 403 200 404 403", "302 403 403 200 404 403"),
    "activities:joint_activity_list": ("302 200 200 200 200 200", "302 200 200 200 200 200"),
    "activities:task_evidence": ("302 200 200 200 404 200", "302 200 200 200 404 200"),
    "activities:task_evidence_original": ("302 200 200 200 404 200", "302 200 200 200 404 200"),
    "activities:task_list_carry_over": ("405 405 405 405 405 405", "302 302 403 403 403 403"),
    "activities:task_list_create": ("302 200 403 403 403 403", "302 200 403 403 403 403"),
    "activities:task_list_detail": ("302 200 200 200 200 200", "302 200 200 200 200 200"),
    "activities:task_list_index": ("302 200 200 200 200 200", "302 200 200 200 200 200"),
    "activities:task_report": ("302 200 200 200 404 200", "302 403 403 404 404 403"),
    "activities:theme_day_attachment": ("302 200 200 200 404 200", "302 200 200 200 404 200"),
    "activities:theme_day_confirm": ("405 405 405 405 405 405", "302 403 403 403 404 403"),
    "activities:theme_day_create": ("302 403 403 200 404 403", "302 403 403 200 404 403"),
    "activities:theme_day_detail": ("302 200 200 200 404 200", "302 200 200 200 404 200"),
    "activities:theme_day_photo": ("302 200 200 200 404 200", "302 200 200 200 404 200"),
    "activities:theme_day_photo_original": ("302 200 200 200 404 200", "302 200 200 200 404 200"),
    "activities:theme_day_return": ("405 405 405 405 405 405", "302 403 403 302 404 403"),
    "activities:theme_day_update": ("302 403 403 200 404 403", "302 403 403 200 404 403"),
    "pairing:branch_create": ("302 200 403 403 403 403", "302 200 403 403 403 403"),
    "pairing:branch_detail": ("302 200 200 200 404 200", "302 200 200 200 404 200"),
    "pairing:branch_grade_bulk": ("405 405 405 405 405 405", "302 302 403 403 403 403"),
    "pairing:branch_list": ("302 200 200 200 200 200", "302 200 200 200 200 200"),
    "pairing:branch_optimisation_add": ("405 405 405 405 405 405", "302 302 403 403 403 403"),
    "pairing:branch_update": ("302 200 403 403 403 403", "302 200 403 403 403 403"),
    "pairing:coverage": ("302 200 200 403 403 403", "302 200 200 403 403 403"),
    "pairing:draw_create": ("302 200 403 403 403 403", "302 200 403 403 403 403"),
    "pairing:draw_detail": ("302 200 200 200 200 200", "302 200 200 200 200 200"),
    "pairing:draw_list": ("302 200 200 200 200 200", "302 200 200 200 200 200"),
    "pairing:my_pairing": ("302 403 403 200 200 200", "302 403 403 200 200 200"),
    "pairing:pairing_agreement": ("302 200 200 200 404 200", "302 200 200 200 404 200"),
    "pairing:pairing_agreement_upload": ("405 405 405 405 405 405", "302 400 403 403 403 403"),
    "pairing:pairing_create": ("302 200 403 403 403 403", "302 200 403 403 403 403"),
    "pairing:pairing_detail": ("302 200 200 200 404 200", "302 200 200 200 404 200"),
    "pairing:pairing_dissolve": ("405 405 405 405 405 405", "302 400 403 403 403 403"),
    "pairing:pairing_double_approve": ("405 405 405 405 405 405", "302 302 403 403 403 403"),
    "pairing:pairing_list": ("302 200 200 200 200 200", "302 200 200 200 200 200"),
    "pairing:pairing_people": ("405 405 405 405 405 405", "302 302 403 403 403 403"),
    "pairing:pairing_repair": ("405 405 405 405 405 405", "302 400 403 403 403 403"),
    "pairing:pairing_swap": ("405 405 405 405 405 405", "302 400 403 403 403 403"),
    "pairing:roster_cancel": ("405 405 405 405 405 405", "302 302 403 403 403 403"),
    "pairing:roster_confirm": ("405 405 405 405 405 405", "302 302 403 403 403 403"),
    "pairing:roster_export": ("302 200 200 200 200 200", "302 200 200 200 200 200"),
    "pairing:roster_import_detail": ("302 200 403 403 403 403", "302 200 403 403 403 403"),
    "pairing:roster_template": ("302 200 403 403 403 403", "302 200 403 403 403 403"),
    "pairing:roster_upload": ("302 200 403 403 403 403", "302 200 403 403 403 403"),
    "reports:assessment": ("302 200 403 403 403 403", "302 200 403 403 403 403"),
    "reports:assessment_detail": ("302 200 404 403 403 403", "302 200 404 403 403 403"),
    "reports:assessment_download": ("302 200 404 403 403 403", "302 200 404 403 403 403"),
    "reports:assessment_weights": ("302 403 403 403 403 403", "302 403 403 403 403 403"),
    "reports:audit": ("302 200 403 403 403 403", "302 200 403 403 403 403"),
    "reports:dashboard": ("302 200 200 403 403 403", "302 200 200 403 403 403"),
    "reports:refresh": ("405 405 405 405 405 405", "302 302 403 403 403 403"),
    "reports:run_detail": ("302 200 200 403 403 403", "302 200 200 403 403 403"),
    "reports:thresholds": ("302 403 403 403 403 403", "302 403 403 403 403 403"),
    "volunteers:community_detail": ("302 200 200 404 200 404", "302 200 200 404 200 404"),
    "volunteers:community_list": ("302 200 200 403 200 403", "302 200 200 403 200 403"),
    "volunteers:demand_list": ("302 200 200 200 200 200", "302 200 200 200 200 200"),
    "volunteers:hours_create": ("302 403 403 403 403 200", "302 403 403 403 403 200"),
    "volunteers:hours_decide": ("405 405 405 405 405 405", "302 403 403 404 302 403"),
    "volunteers:index": ("302 302 302 302 302 302", "302 302 302 302 302 302"),
    "volunteers:member_certificate": ("302 200 200 200 200 200", "302 200 200 200 200 200"),
    "volunteers:member_detail": ("302 200 200 200 200 200", "302 200 200 200 200 200"),
    "volunteers:my_record": ("302 403 403 403 403 200", "302 403 403 403 403 200"),
    "volunteers:project_assign": ("405 405 405 405 405 405", "302 403 403 404 302 403"),
    "volunteers:project_claim": ("405 405 405 405 405 405", "302 302 302 404 302 302"),
    "volunteers:project_close": ("405 405 405 405 405 405", "302 403 403 404 302 403"),
    "volunteers:project_create": ("302 403 403 404 200 404", "302 403 403 404 200 404"),
    "volunteers:project_detail": ("302 200 200 404 200 200", "302 200 200 404 200 200"),
    "volunteers:register_member": ("302 403 403 403 403 200", "302 403 403 403 403 200"),
    "volunteers:register_unit": ("302 403 403 200 403 403", "302 403 403 200 403 403"),
    "volunteers:registration_agreement": ("302 200 200 404 200 200", "302 200 200 404 200 200"),
    "volunteers:registration_decide": ("405 405 405 405 405 405", "302 403 403 404 302 403"),
    "volunteers:unit_detail": ("302 200 200 200 404 404", "302 200 200 200 404 404"),
    "volunteers:whistle_close": ("405 405 405 405 405 405", "302 403 403 404 302 403"),
    "volunteers:whistle_create": ("302 403 403 404 200 404", "302 403 403 404 200 404"),
    "volunteers:whistle_detail": ("302 200 200 404 200 200", "302 200 200 404 200 200"),
    "volunteers:whistle_respond": ("405 405 405 405 405 405", "302 302 302 404 302 302"),
    "volunteers:wish_claim": ("405 405 405 405 405 405", "302 403 403 404 403 302"),
    "volunteers:wish_confirm": ("405 405 405 405 405 405", "302 403 403 404 302 403"),
    "volunteers:wish_create": ("302 403 403 404 200 404", "302 403 403 404 200 404"),
    "volunteers:wish_detail": ("302 200 200 404 200 200", "302 200 200 404 200 200"),
    "volunteers:wish_fulfil": ("302 403 403 404 403 403", "302 403 403 404 403 200"),
    "volunteers:wish_photo": ("302 200 200 404 200 200", "302 200 200 404 200 200"),
    "api-root": ("401 200 200 200 200 200", "401 405 405 405 405 405"),
    "branch-detail": ("401 200 200 200 404 200", "401 405 403 403 403 403"),
    "branch-list": ("401 200 200 200 200 200", "401 400 403 403 403 403"),
    "claim-detail": ("401 200 200 404 200 200", "401 405 405 405 405 405"),
    "claim-list": ("401 200 200 200 200 200", "401 405 405 405 405 405"),
    "grade-assign": ("401 405 405 405 405 405", "401 400 403 403 403 403"),
    "grade-detail": ("401 200 200 200 404 200", "401 405 403 403 403 403"),
    "grade-list": ("401 200 200 200 200 200", "401 405 403 403 403 403"),
    "hour-detail": ("401 200 200 404 200 200", "401 405 405 405 405 405"),
    "hour-list": ("401 200 200 200 200 200", "401 403 403 403 403 400"),
    "hour-reject": ("401 405 405 405 405 405", "401 400 400 404 400 400"),
    "hour-verify": ("401 405 405 405 405 405", "401 403 403 404 200 403"),
    "n-list-detail": ("401 200 200 200 200 200", "401 405 405 405 405 405"),
    "n-list-list": ("401 200 200 200 200 200", "401 405 405 405 405 405"),
    "n-task-report-detail": ("401 200 200 200 404 200", "401 405 405 405 405 405"),
    "n-task-report-list": ("401 200 200 200 200 200", "401 400 400 400 400 400"),
    "pairing-detail": ("401 200 200 200 404 200", "401 405 405 405 405 405"),
    "pairing-list": ("401 200 200 200 200 200", "401 405 405 405 405 405"),
    "project-claim": ("401 405 405 405 405 405", "401 400 400 404 400 400"),
    "project-detail": ("401 200 200 404 200 200", "401 405 405 405 405 405"),
    "project-list": ("401 200 200 200 200 200", "401 405 405 405 405 405"),
    "registration-detail": ("401 200 200 404 200 200", "401 405 405 405 405 405"),
    "registration-list": ("401 200 200 200 200 200", "401 405 405 405 405 405"),
    "report-snapshot-detail": ("401 200 200 404 404 404", "401 405 405 405 405 405"),
    "report-snapshot-list": ("401 200 200 200 200 200", "401 405 405 405 405 405"),
    "theme-day-confirm": ("401 405 405 405 405 405", "401 403 403 403 404 403"),
    "theme-day-detail": ("401 200 200 200 404 200", "401 405 405 405 405 405"),
    "theme-day-list": ("401 200 200 200 200 200", "401 400 400 400 400 400"),
    "theme-day-return-": ("401 405 405 405 405 405", "401 400 400 400 404 400"),
    "wish-detail": ("401 200 200 404 200 200", "401 405 405 405 405 405"),
    "wish-list": ("401 200 200 200 200 200", "401 405 405 405 405 405"),
}


def patterns(resolvers, prefix="", namespace=None):
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            yield from patterns(entry.url_patterns, prefix + str(entry.pattern), entry.namespace or namespace)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), f"{namespace}:{entry.name}" if namespace else entry.name


def routes() -> dict[str, str]:
    """Every route of the project, by name: its pattern."""
    return {name: route for route, name in patterns(get_resolver().url_patterns) if not NOT_ROUTES.match(route)}


def route_objects(world) -> dict[str, int]:
    """The rows of ``mine`` the object routes name, by route name: their ``pk``. The shared world
    holds most; the draw, the runs, the exports, and the stored files are added here."""
    mine = world.mine
    pairing, theme_day, report = mine.pairing, mine.theme_day, mine.report
    draw = Draw.objects.create(
        campaign=pairing.campaign,
        region=mine.county,
        level="county",
        seed=7,
        grade_year=2022,
        inputs={"helpers": {}, "partners": {}},
        result={"pairs": [], "unpaired_helpers": [], "unpaired_partners": []},
        created_by=mine.staff,
    )
    roster_import = RosterImport.objects.create(region=mine.county, requested_by=mine.staff, filename="名册.xlsx")
    run = ReportRun.objects.create(city=world.city, county=mine.county, as_of=datetime.date(2024, 6, 30))
    export = AssessmentExport.objects.create(region=mine.county, year=2024, quarter=1, status="done")
    export.file.save("assessment.xlsx", ContentFile(b"PK\x03\x04"))
    photo = ThemeDayPhoto(theme_day=theme_day, original_name="a.jpg")
    photo.original.save("a.jpg", ContentFile(b"\xff\xd8\xff"), save=False)
    photo.display.save("a-display.jpg", ContentFile(b"\xff\xd8\xff"))
    attachment = ThemeDayAttachment(theme_day=theme_day, original_name="a.pdf", uploaded_by=mine.helper_sec)
    attachment.file.save("a.pdf", ContentFile(b"%PDF-1.4"))
    evidence = KeyTaskEvidence(report=report, original_name="b.jpg")
    evidence.original.save("b.jpg", ContentFile(b"\xff\xd8\xff"), save=False)
    evidence.display.save("b-display.jpg", ContentFile(b"\xff\xd8\xff"))
    # The stored files a page serves: the agreements and the wish's photo.
    pairing.agreement.save("agreement.pdf", ContentFile(b"%PDF-1.4"))
    mine.registration.agreement.save("agreement.pdf", ContentFile(b"%PDF-1.4"))
    mine.wish.photo.save("wish.jpg", ContentFile(b"\xff\xd8\xff"))
    # Figures for the dashboard (the world's snapshots hold a stub), newer than the stub.
    snapshots_refresh(city=world.city, as_of=datetime.date(2024, 7, 1))
    task_list = report.task.task_list_id
    return {
        "pairing:branch_detail": pairing.helper_id,
        "pairing:branch_update": pairing.helper_id,
        "pairing:branch_optimisation_add": pairing.helper_id,
        **{
            f"pairing:pairing_{action}": pairing.pk
            for action in ("detail", "agreement", "agreement_upload", "dissolve", "repair", "swap", "people")
        },
        "pairing:pairing_double_approve": pairing.pk,
        "pairing:draw_detail": draw.pk,
        "pairing:roster_import_detail": roster_import.pk,
        "activities:theme_day_create": pairing.pk,
        "activities:joint_activity_create": pairing.pk,
        **{f"activities:theme_day_{action}": theme_day.pk for action in ("detail", "update", "confirm", "return")},
        "activities:theme_day_photo": photo.pk,
        "activities:theme_day_photo_original": photo.pk,
        "activities:theme_day_attachment": attachment.pk,
        "activities:task_list_detail": task_list,
        "activities:task_list_carry_over": task_list,
        "activities:task_report": task_list,
        "activities:task_evidence": evidence.pk,
        "activities:task_evidence_original": evidence.pk,
        "volunteers:community_detail": mine.community.pk,
        "volunteers:project_create": mine.community.pk,
        "volunteers:wish_create": mine.community.pk,
        "volunteers:whistle_create": mine.community.pk,
        "volunteers:registration_decide": mine.registration.pk,
        "volunteers:registration_agreement": mine.registration.pk,
        **{f"volunteers:project_{action}": mine.project.pk for action in ("detail", "claim", "assign", "close")},
        **{f"volunteers:wish_{action}": mine.wish.pk for action in ("detail", "claim", "fulfil", "confirm", "photo")},
        **{f"volunteers:whistle_{action}": mine.whistle.pk for action in ("detail", "respond", "close")},
        "volunteers:hours_decide": mine.hours.pk,
        "volunteers:member_detail": mine.member.pk,
        "volunteers:member_certificate": mine.member.pk,
        "volunteers:unit_detail": pairing.helper_id,
        "reports:run_detail": run.pk,
        "reports:assessment_detail": export.pk,
        "reports:assessment_download": export.pk,
        # the API: /api/v1/<resource>/<pk>/...
        "branch-detail": pairing.helper_id,
        "grade-detail": pairing.helper.grades.get().pk,
        "pairing-detail": pairing.pk,
        "theme-day-detail": theme_day.pk,
        "theme-day-confirm": theme_day.pk,
        "theme-day-return-": theme_day.pk,
        "n-list-detail": task_list,
        "n-task-report-detail": report.pk,
        "registration-detail": mine.registration.pk,
        "project-detail": mine.project.pk,
        "project-claim": mine.project.pk,
        "claim-detail": mine.claim.pk,
        "wish-detail": mine.wish.pk,
        "hour-detail": mine.hours.pk,
        "hour-reject": mine.hours.pk,
        "hour-verify": mine.hours.pk,
        "report-snapshot-detail": mine.snapshot.pk,
    }


def url(route: str, pk: int | None, pairing_pk: int) -> str:
    path = route.replace("(?P<pk>[^/.]+)", "<int:pk>").replace("^", "").replace("$", "")
    return "/" + re.sub(r"<int:(\w+)>", lambda m: str(pairing_pk if m.group(1) == "pairing_pk" else pk), path)


# Routes whose POST changes the session (logs out, switches the language): posted last.
SESSION_ROUTES = ("set_language", "logout")


def statuses(client, method: str, urls: dict[str, str]) -> dict[str, int]:
    send = client.get if method == "GET" else client.post
    order = sorted(urls, key=lambda name: name in SESSION_ROUTES)
    return {name: send(urls[name]).status_code for name in order}


def test_the_matrix_has_a_row_for_every_route_and_an_object_for_every_object_route(world):
    names = routes()
    assert set(names) == set(EXPECTED), "routes missing from EXPECTED, or gone from the project"
    objects = route_objects(world)
    with_object = {name for name, route in names.items() if "<int:" in route or "(?P<pk>" in route}
    assert with_object == set(objects)


def walk(client, urls: dict[str, str], user) -> dict[str, tuple[int, int]]:
    """(GET, POST) status of every route for ``user`` (None: anonymous), reads first."""
    if user is None:
        client.logout()
    else:
        client.force_login(user)
    got = statuses(client, "GET", urls)
    posted = statuses(client, "POST", urls)
    return {name: (got[name], posted[name]) for name in urls}


@pytest.mark.parametrize("column", COLUMNS)
def test_each_role_gets_the_recorded_status_on_every_route_and_outsiders_get_404(client, world, column, caplog):
    caplog.set_level("CRITICAL", logger="django")
    client.raise_request_exception = False
    names = routes()
    objects = route_objects(world)
    index = COLUMNS.index(column)
    owner = None if column == "anonymous" else world.owner(column)
    outsider = None if column == "anonymous" else world.outsider(column)
    urls = {name: url(route, objects.get(name), world.mine.pairing.pk) for name, route in names.items()}
    # The outsider walks first: their POSTs must change nothing the owner then reads.
    seen_by_outsider = walk(client, urls, outsider) if outsider else {}
    seen_by_owner = walk(client, urls, owner)

    wrong = []
    for name in sorted(names):
        expected = tuple(int(row.split()[index]) for row in EXPECTED.get(name, ("0 " * 6, "0 " * 6)))
        if seen_by_owner[name] != expected:
            wrong.append(f"{name}: {column} got {seen_by_owner[name]}, expected {expected}")
        if not outsider:
            continue
        for method, owner_status, outsider_status in zip(
            ("GET", "POST"), expected, seen_by_outsider[name], strict=True
        ):
            if name not in objects:
                allowed = {owner_status}  # the same page as the owner's, filled from their own scope
            elif owner_status in REFUSALS:
                allowed = {404, owner_status}  # a role or method refused before the look-up tells nothing
            else:
                allowed = {404}
            if outsider_status not in allowed:
                wrong.append(f"{name}: {column} outsider {method} got {outsider_status}, expected {allowed}")
    assert not wrong, "\n".join(wrong)
