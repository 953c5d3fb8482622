"""The confirmation of a previewed roster: the upload kept until it is confirmed, and the import run
(``RosterImport``) that a Celery task carries out (``pairing.tasks.import_roster``)."""

from __future__ import annotations

import datetime
import logging
import uuid
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from twinning.queue import enqueue_on_commit

from ...models import RosterImport
from .commit import roster_import
from .context import import_scope
from .preview import RosterResult

logger = logging.getLogger(__name__)

# Uploads waiting between the preview and the confirmation. They live in a private
# directory under MEDIA_ROOT that no URL serves (shared by the web and worker containers),
# named by a random token that the uploader's session holds. A confirmation hands the token
# to a RosterImport run; the file is deleted on cancel, once its run has run, or after
# UPLOAD_TTL when neither happened.

UPLOAD_DIR = "roster_uploads"
UPLOAD_TTL = datetime.timedelta(hours=1)
ACTIVE = (RosterImport.Status.QUEUED, RosterImport.Status.RUNNING)  # runs waiting for, or in, a worker
ERROR_LIMIT = 500  # rows at fault kept on a failed run


def _upload_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / UPLOAD_DIR


def roster_upload_path(*, token: str) -> Path | None:
    """The stored upload for a token, or None for a malformed token."""
    if len(token) != 32 or not all(ch in "0123456789abcdef" for ch in token):
        return None
    return _upload_dir() / f"{token}.xlsx"


def roster_upload_store(*, uploaded_file) -> str:
    """Keep a validated upload for the confirmation step; returns its token."""
    roster_uploads_purge()
    directory = _upload_dir()
    directory.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex
    uploaded_file.seek(0)
    with roster_upload_path(token=token).open("xb") as target:
        for chunk in uploaded_file.chunks():
            target.write(chunk)
    return token


def roster_upload_discard(*, token: str) -> None:
    path = roster_upload_path(token=token)
    if path is not None:
        path.unlink(missing_ok=True)


def roster_uploads_purge() -> int:
    """Delete stored uploads older than UPLOAD_TTL (abandoned previews); returns how many.

    Uploads of runs still waiting for a worker are kept, however old.
    """
    directory = _upload_dir()
    if not directory.is_dir():
        return 0
    cutoff = timezone.now().timestamp() - UPLOAD_TTL.total_seconds()
    waiting = set(RosterImport.objects.filter(status__in=ACTIVE).exclude(upload="").values_list("upload", flat=True))
    removed = 0
    for path in directory.glob("*.xlsx"):
        try:
            if path.stem not in waiting and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            pass
    return removed


# The confirmation: a RosterImport run, imported by a Celery task (pairing.tasks.import_roster).


def roster_import_start(*, token: str, filename: str, total: int, acting_user) -> RosterImport:
    """Hand a previewed upload to a run and queue its import once the run row is committed.

    When the queue cannot take the job the run fails at once, saying so, and the upload is deleted.
    """
    from ...tasks import import_roster

    city, county_scope = import_scope(acting_user, None)
    with transaction.atomic():
        run = RosterImport.objects.create(
            region=county_scope or city,
            requested_by=acting_user,
            filename=filename[:255],
            upload=token,
            total=total,
        )
        enqueue_on_commit(
            import_roster,
            run_id=run.pk,
            language=translation.get_language(),
            on_unavailable=lambda message: _finish(run, status=RosterImport.Status.FAILED, error=message),
            raise_unavailable=False,
        )
    run.refresh_from_db()
    return run


def roster_import_run(*, run_id: int) -> RosterImport:
    """Import a run's upload as its requester (the task's body), then delete the upload.

    The outcome is recorded on the run: the counts, or the reason nothing was imported and the
    rows at fault. A run that has already finished (a redelivered task) is left as it is; one
    interrupted mid-way (a worker lost) is run again: its write was one transaction.
    """
    run = RosterImport.objects.select_related("requested_by").get(pk=run_id)
    if run.status not in ACTIVE:
        return run
    path = roster_upload_path(token=run.upload)
    if run.requested_by is None or path is None or not path.is_file():
        return _finish(run, status=RosterImport.Status.FAILED, error=_("该导入已过期或无效，请重新上传名册。"))
    RosterImport.objects.filter(pk=run.pk).update(status=RosterImport.Status.RUNNING, progress=0)

    def progress(rows: int) -> None:
        RosterImport.objects.filter(pk=run.pk).update(progress=rows)

    try:
        with path.open("rb") as fileobj:
            result = roster_import(fileobj=fileobj, acting_user=run.requested_by, commit=True, progress=progress)
    except PermissionDenied as exc:
        return _finish(run, status=RosterImport.Status.FAILED, error=str(exc) or _("您没有权限执行此操作。"))
    except Exception:
        logger.exception("roster import %s failed", run.pk)
        return _finish(run, status=RosterImport.Status.FAILED, error=_("导入时出错，未导入任何数据。请稍后重试。"))
    if not result.ok:
        return _finish(
            run,
            status=RosterImport.Status.FAILED,
            error=_("数据在预览后发生了变化，未导入任何数据。请修改后重新上传。"),
            errors=result.errors,
        )
    return _finish(run, status=RosterImport.Status.DONE, result=result)


def _finish(run: RosterImport, *, status: str, error: str = "", errors=(), result: RosterResult | None = None):
    """Record the outcome and delete the upload: it is never needed again."""
    roster_upload_discard(token=run.upload)
    fields = {
        "status": status,
        "upload": "",
        "error": error,
        "errors": [[e.row, e.column, e.message] for e in errors[:ERROR_LIMIT]],
        "error_count": len(errors),
        "finished_at": timezone.now(),
    }
    if result is not None:
        fields |= {
            "progress": result.total,
            "created_count": result.created,
            "updated_count": result.updated,
            "unchanged_count": result.unchanged,
        }
    RosterImport.objects.filter(pk=run.pk).update(**fields)
    run.refresh_from_db()
    return run
