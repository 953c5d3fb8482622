"""Confirming a roster queues a run: the task imports it, records the outcome, and deletes the upload."""

from __future__ import annotations

import pytest
from django.urls import reverse
from kombu.exceptions import OperationalError

from pairing.models import Branch, Region, RosterImport
from pairing.services.roster import commit, runs
from pairing.tasks import import_roster
from pairing.views.roster import SESSION_KEY
from tests.factories import BranchFactory, UserFactory

from .roster_support import roster_regions, row  # noqa: F401
from .test_roster_views import CONFIRM, UPLOAD, login, stored_uploads, upload

pytestmark = pytest.mark.django_db


def detail(run) -> str:
    return reverse("pairing:roster_import_detail", args=[run.pk])


def confirm(client, capture, *, execute=True):
    """Confirm the previewed upload; with ``execute`` the queued task runs (Celery is eager in tests)."""
    (token,) = client.session[SESSION_KEY]  # the one previewed upload
    with capture(execute=execute):
        response = client.post(CONFIRM, {"token": token})
    assert response.status_code == 302
    return RosterImport.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))


def test_the_run_imports_in_a_task_and_the_page_shows_the_counts(
    client,
    roster_regions,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    login(client, roster_regions.staff_county)
    upload(client, [row("C0001"), row("C0002", township="新集镇")])

    run = confirm(client, django_capture_on_commit_callbacks)

    assert (run.status, run.created_count, run.updated_count, run.unchanged_count) == ("done", 2, 0, 0)
    assert (run.progress, run.total, run.percent, run.upload) == (2, 2, 100, "")
    assert (
        run.region == roster_regions.shangcheng and run.requested_by == roster_regions.staff_county and run.finished_at
    )
    assert {h.history_user for h in Branch.history.all()} == {roster_regions.staff_county}
    assert stored_uploads() == []
    html = client.get(detail(run)).content.decode()
    assert "名册已导入：新建 2 个，更新 0 个，未变 0 个。" in html and "已完成" in html
    polled = client.get(detail(run), HTTP_ACCEPT="application/json").json()
    assert polled == {"status": "done", "percent": 100, "error": ""}
    assert detail(run) in client.get(UPLOAD).content.decode(), "the upload page lists recent runs"


def test_a_queued_run_keeps_its_upload_and_its_page_refreshes(
    client,
    roster_regions,  # noqa: F811
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    login(client, roster_regions.staff_county)
    upload(client, [row("C0001")])

    run = confirm(client, django_capture_on_commit_callbacks, execute=False)

    assert run.status == "queued" and len(stored_uploads()) == 1 and not Branch.objects.exists()
    monkeypatch.setattr(runs, "UPLOAD_TTL", -runs.UPLOAD_TTL)  # every upload is "old"
    assert runs.roster_uploads_purge() == 0, "a waiting run's upload is not an abandoned preview"
    html = client.get(detail(run)).content.decode()
    assert 'http-equiv="refresh"' in html and "排队中" in html

    assert import_roster.delay(run.pk).get() == "done"

    assert Branch.objects.filter(code="C0001").exists() and stored_uploads() == []


def test_a_failing_import_leaves_nothing_written_and_says_so(
    client,
    roster_regions,  # noqa: F811
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    # Branches, the new township and grades are written before the optimisation records fail.
    monkeypatch.setattr(commit, "_write_optimisations", fail)
    login(client, roster_regions.staff_county)
    upload(client, [row("C0001", township="新集镇", grade="好"), row("C0002")])
    regions = Region.objects.count()

    run = confirm(client, django_capture_on_commit_callbacks)

    assert run.status == "failed" and run.error == "导入时出错，未导入任何数据。请稍后重试。"
    assert not Branch.objects.exists() and not Branch.history.exists() and Region.objects.count() == regions
    assert stored_uploads() == [] and run.upload == ""
    html = client.get(detail(run)).content.decode()
    assert "导入时出错，未导入任何数据。请稍后重试。" in html and "重新上传" in html


def test_an_unreachable_queue_fails_the_run_at_once(
    client,
    roster_regions,  # noqa: F811
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    def broker_down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(import_roster, "apply_async", broker_down)
    login(client, roster_regions.staff_county)
    upload(client, [row("C0001")])

    run = confirm(client, django_capture_on_commit_callbacks)

    assert run.status == "failed" and run.error == "任务队列暂时不可用，请稍后再试。"
    assert stored_uploads() == [] and not Branch.objects.exists()


def test_a_redelivered_task_does_not_import_twice_and_an_interrupted_one_runs_again(
    client,
    roster_regions,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    login(client, roster_regions.staff_county)
    upload(client, [row("C0001")])
    run = confirm(client, django_capture_on_commit_callbacks, execute=False)
    RosterImport.objects.filter(pk=run.pk).update(status="running", progress=1)  # a worker lost mid-way

    assert runs.roster_import_run(run_id=run.pk).status == "done"
    assert runs.roster_import_run(run_id=run.pk).status == "done"

    assert Branch.objects.count() == 1 and Branch.history.count() == 1


def test_it_rejects_outsider_following_someone_elses_run(
    client,
    roster_regions,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    login(client, roster_regions.staff_county)
    upload(client, [row("C0001")])
    run = confirm(client, django_capture_on_commit_callbacks)
    colleague = UserFactory.staff(region=roster_regions.shangcheng)
    other_county = UserFactory.staff(region=roster_regions.pingqiao)
    secretary = UserFactory.secretary(branch=BranchFactory(county=roster_regions.shangcheng))

    assert login(client, other_county).get(detail(run)).status_code == 404
    assert login(client, other_county).get(detail(run), HTTP_ACCEPT="application/json").status_code == 404
    assert detail(run) not in login(client, other_county).get(UPLOAD).content.decode()
    assert login(client, secretary).get(detail(run)).status_code == 403
    assert login(client, roster_regions.leader).get(detail(run)).status_code == 403
    assert login(client, colleague).get(detail(run)).status_code == 200
    assert login(client, roster_regions.staff_city).get(detail(run)).status_code == 200


def test_a_run_whose_upload_is_gone_fails_with_a_clear_message(
    client,
    roster_regions,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    login(client, roster_regions.staff_county)
    upload(client, [row("C0001")])
    run = confirm(client, django_capture_on_commit_callbacks, execute=False)
    runs.roster_upload_discard(token=run.upload)

    run = runs.roster_import_run(run_id=run.pk)

    assert run.status == "failed" and run.error == "该导入已过期或无效，请重新上传名册。"
    assert not Branch.objects.exists()


def test_cancelling_after_confirming_does_not_take_the_runs_upload(
    client,
    roster_regions,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    login(client, roster_regions.staff_county)
    upload(client, [row("C0001")])
    run = confirm(client, django_capture_on_commit_callbacks, execute=False)

    client.post(reverse("pairing:roster_cancel"), {"token": run.upload})  # the preview page, reached by "back"

    assert runs.roster_import_run(run_id=run.pk).status == "done"
    assert Branch.objects.filter(code="C0001").exists()
