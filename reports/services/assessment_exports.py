"""An assessment export's lifecycle: started by staff, built by a Celery task into private storage,
then downloaded under its export filename."""

from __future__ import annotations

import os
import tempfile
import uuid

from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pairing.models import Region
from twinning.queue import enqueue_on_commit
from volunteers.selectors import Quarter

from ..models import AssessmentExport
from ..selectors.assessment import assessment_regions, weights_for
from ..selectors.dashboard import city_of
from ..workbook import workbook_write


def _may_export(user, region: Region) -> bool:
    return assessment_regions(user=user).filter(pk=region.pk).exists()


def assessment_export_start(*, region: Region, quarter: Quarter, acting_user) -> AssessmentExport:
    """Record an export and queue its build once the row is committed."""
    from ..tasks import build_assessment

    if not _may_export(acting_user, region):
        raise PermissionDenied(_("只有本区域组织部工作人员可以导出考核表。"))
    with transaction.atomic():
        export = AssessmentExport.objects.create(
            region=region,
            year=quarter.year,
            quarter=quarter.number,
            weights=weights_for(city_of(region)),
            requested_by=acting_user,
        )
        enqueue_on_commit(
            build_assessment,
            export_id=export.pk,
            on_unavailable=lambda message: AssessmentExport.objects.filter(pk=export.pk).update(
                status=AssessmentExport.Status.FAILED, error=message
            ),
        )
    return export


def assessment_export_build(*, export_id: int) -> AssessmentExport:
    """Build the workbook of an export. The scope is applied again from the ids: the requester
    must still be staff of a region containing the export's region. Written to a temporary
    file first and only then saved to private storage, so a failed build leaves nothing."""
    export = AssessmentExport.objects.select_related("region", "requested_by").get(pk=export_id)
    user = export.requested_by
    if user is None or not _may_export(user, export.region):
        AssessmentExport.objects.filter(pk=export.pk).update(
            status=AssessmentExport.Status.FAILED, error=_("发起人已无权导出该区域。")
        )
        raise PermissionDenied("requester may no longer export this region")
    AssessmentExport.objects.filter(pk=export.pk).update(status=AssessmentExport.Status.RUNNING, progress=0)

    def progress(done, total):
        AssessmentExport.objects.filter(pk=export.pk).update(progress=done, total=total)

    quarter = Quarter(export.year, export.quarter)
    fd, tmp = tempfile.mkstemp(suffix=".xlsx")
    os.close(fd)
    try:
        workbook_write(region=export.region, quarter=quarter, weights=export.weights, out=tmp, progress=progress)
        with open(tmp, "rb") as fh:
            name = default_storage.save(f"private/assessments/{uuid.uuid4().hex}.xlsx", File(fh))
    except Exception as exc:
        AssessmentExport.objects.filter(pk=export.pk).update(
            status=AssessmentExport.Status.FAILED, error=str(exc)[:2000]
        )
        raise
    finally:
        os.unlink(tmp)
    old = AssessmentExport.objects.get(pk=export.pk).file.name
    AssessmentExport.objects.filter(pk=export.pk).update(
        status=AssessmentExport.Status.DONE, file=name, finished_at=timezone.now()
    )
    if old and old != name:
        default_storage.delete(old)  # a redelivered task replaces its earlier file
    export.refresh_from_db()
    return export


def export_filename(export: AssessmentExport) -> str:
    return f"{export.region.name}{export.quarter_code}双考核表.xlsx"
