"""Roster pages: template download, upload → preview → confirm/cancel → the import run, and export of the filtered list."""

from __future__ import annotations

import tempfile
import time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from twinning import files
from twinning.views import manager_required

from ..filters import BranchFilter
from ..forms.roster import RosterUploadForm
from ..roster import exports
from ..roster.imports import MAX_UPLOAD_BYTES
from ..selectors import registry as registry_selectors
from ..selectors import roster as roster_selectors
from ..services import roster as services

SESSION_KEY = "roster_uploads"
# Multipart overhead allowed on top of the file itself before the body is refused unread.
REQUEST_SLACK = 64 * 1024
ERROR_LIMIT = services.ERROR_LIMIT
RECENT_RUNS = 5


def _xlsx_response(fileobj, filename: str):
    fileobj.seek(0)
    return files.file_response(fileobj, download_name=filename)


@manager_required
def roster_template(request):
    counties = [r.name for r in registry_selectors.counties_visible(user=request.user)]
    target = tempfile.SpooledTemporaryFile(max_size=5 * 1024 * 1024)
    exports.roster_template(county_names=counties, target=target)
    return _xlsx_response(target, _("支部名册模板.xlsx"))


@login_required
def roster_export(request):
    """The branch list as the user filtered it, in the import format; phones masked as on the page."""
    user = request.user
    branch_filter = BranchFilter(request.GET or None, queryset=registry_selectors.branch_list(user=user), user=user)
    target = tempfile.SpooledTemporaryFile(max_size=10 * 1024 * 1024)
    exports.roster_export(branch_filter.qs.iterator(chunk_size=2000), user=user, target=target)
    filename = _("支部名册-%(date)s.xlsx") % {"date": timezone.localdate().strftime("%Y%m%d")}
    return _xlsx_response(target, filename)


def _pending(request) -> dict:
    return request.session.get(SESSION_KEY, {})


def _forget(request, token: str) -> None:
    """Drop a pending upload of this session and its file; other files (a confirmed run's) are not this session's."""
    pending = _pending(request)
    if token in pending:
        del pending[token]
        request.session[SESSION_KEY] = pending
        services.roster_upload_discard(token=token)


def _render_preview(request, result, *, filename: str, token: str | None):
    context = {
        "result": result,
        "filename": filename,
        "token": token,
        "errors": result.errors[:ERROR_LIMIT],
        "more_errors": max(0, len(result.errors) - ERROR_LIMIT),
        "more_creates": result.created - len(result.to_create),
        "more_updates": result.updated - len(result.to_update),
    }
    return render(request, "pairing/roster/preview.html", context)


def _render_upload(request, form, *, status: int = 200, **context):
    runs = roster_selectors.roster_imports(user=request.user)[:RECENT_RUNS]
    return render(request, "pairing/roster/upload.html", {"form": form, "runs": runs, **context}, status=status)


@manager_required
def roster_upload(request):
    """Upload a roster and see the preview; a clean file is kept for the confirmation."""
    if request.method != "POST":
        return _render_upload(request, RosterUploadForm())
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_UPLOAD_BYTES + REQUEST_SLACK:
        # Refuse by Content-Length without looking at the file (RequestLimitsMiddleware's global
        # limit is larger, so the body may already be parsed, but it is never validated or kept).
        message = _("文件超过 %(max)d MB 的上限，请分批导入。") % {"max": MAX_UPLOAD_BYTES // (1024 * 1024)}
        return _render_upload(request, RosterUploadForm(), status=413, upload_error=message)
    form = RosterUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_upload(request, form)
    upload = form.cleaned_data["file"]
    result = services.roster_import(fileobj=upload, acting_user=request.user, commit=False)
    token = None
    if result.ok:
        token = services.roster_upload_store(uploaded_file=upload)
        pending = _pending(request)
        pending[token] = {"user": request.user.pk, "name": upload.name, "at": time.time(), "rows": result.total}
        request.session[SESSION_KEY] = pending
    return _render_preview(request, result, filename=upload.name, token=token)


@require_POST
@manager_required
def roster_confirm(request):
    """Queue the import of the previewed file (validated again, then written all at once) and follow it."""
    token = request.POST.get("token", "")
    entry = _pending(request).get(token)
    path = services.roster_upload_path(token=token)
    expired = entry is None or time.time() - entry["at"] > services.UPLOAD_TTL.total_seconds()
    if expired or entry["user"] != request.user.pk or path is None or not path.is_file():
        _forget(request, token)
        messages.error(request, _("该导入已过期或无效，请重新上传名册。"))
        return redirect("pairing:roster_upload")
    # The upload now belongs to the run: out of the session, deleted by the run when it has run.
    pending = _pending(request)
    del pending[token]
    request.session[SESSION_KEY] = pending
    run = services.roster_import_start(
        token=token, filename=entry["name"], total=entry.get("rows", 0), acting_user=request.user
    )
    return redirect(run)


@manager_required
def roster_import_detail(request, pk: int):
    """A run's status while it runs (the page refreshes itself), then its counts or why nothing was imported."""
    run = get_object_or_404(roster_selectors.roster_imports(user=request.user), pk=pk)
    if request.headers.get("accept", "").startswith("application/json"):
        return JsonResponse({"status": run.status, "percent": run.percent, "error": run.error})
    summary = _("名册已导入：新建 %(created)d 个，更新 %(updated)d 个，未变 %(unchanged)d 个。") % {
        "created": run.created_count,
        "updated": run.updated_count,
        "unchanged": run.unchanged_count,
    }
    context = {
        "run": run,
        "summary": summary,
        "errors": [{"row": r, "column": c, "message": m} for r, c, m in run.errors],
        "more_errors": max(0, run.error_count - len(run.errors)),
    }
    return render(request, "pairing/roster/run.html", context)


@require_POST
@manager_required
def roster_cancel(request):
    _forget(request, request.POST.get("token", ""))
    messages.info(request, _("已取消导入，未做任何修改。"))
    return redirect("pairing:branch_list")
