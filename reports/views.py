"""Leaders' dashboard, snapshot refresh with progress, thresholds, the assessment exports and the audit trail."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pairing import scope
from pairing.choices import RegionLevel
from pairing.models import Region
from twinning import files
from twinning.params import id_or_none, query_date, query_id, query_text
from twinning.views import access_required

from .forms import AssessmentExportForm, AssessmentWeightsForm, ThresholdFormSet
from .periods import parse_quarter, recent_quarters
from .selectors import audit
from .selectors.assessment import assessment_exports, weights_for, weights_get
from .selectors.dashboard import (
    city_of,
    dashboard_figures,
    dashboard_region,
    report_runs,
    thresholds,
)
from .services.assessment_exports import assessment_export_start, export_filename
from .services.assessment_weights import weights_save
from .services.runs import QueueUnavailable, report_run_start
from .services.thresholds import thresholds_save
from .workbook import WEIGHT_LABELS

dashboard_required = access_required(scope.sees_region)


@dashboard_required
def dashboard(request):
    """Headline cards and charts of a region, read from its latest snapshot (no recomputation)."""
    region = dashboard_region(user=request.user, region_id=query_id(request, "region", label=_("区域")))
    context = {
        "region": region,
        "heading": _("%(name)s · 统计看板") % {"name": region.name},
        "snapshot": None,
        "cards": [],
        "rows": [],
        "chart": {},
        "can_manage": scope.can_manage(request.user),
        "parent": region.parent if region.level == RegionLevel.COUNTY and request.user.region_id != region.pk else None,
    }
    context.update(dashboard_figures(region=region) or {})
    return render(request, "reports/dashboard.html", context)


@require_POST
@dashboard_required
def refresh(request):
    region = dashboard_region(user=request.user)
    try:
        run = report_run_start(region=region, as_of=timezone.localdate(), acting_user=request.user)
    except QueueUnavailable as exc:
        messages.error(request, str(exc))
        return redirect("reports:dashboard")
    return redirect("reports:run_detail", pk=run.pk)


@dashboard_required
def run_detail(request, pk: int):
    run = get_object_or_404(report_runs(user=request.user), pk=pk)
    if request.headers.get("accept", "").startswith("application/json"):
        return JsonResponse({"status": run.status, "percent": run.percent, "error": run.error})
    return render(request, "reports/run_detail.html", {"run": run})


def _own_city(request) -> Region:
    """The city whose settings (the bands, the weights) the user sets: they hold for the whole city,
    so only the city's own staff set them."""
    region = dashboard_region(user=request.user)
    if not scope.can_manage(request.user) or region.level != RegionLevel.CITY:
        raise PermissionDenied
    return region


@dashboard_required
def threshold_edit(request):
    city = _own_city(request)
    initial = [
        {"metric": t.metric, "green_from": t.green_from, "amber_from": t.amber_from}
        for t in thresholds(city=city).values()
    ]
    formset = ThresholdFormSet(request.POST or None, initial=initial)
    if request.method == "POST" and formset.is_valid():
        thresholds_save(city=city, rows=[form.cleaned_data for form in formset], acting_user=request.user)
        messages.success(request, _("预警阈值已保存。"))
        return redirect("reports:dashboard")
    return render(request, "reports/thresholds.html", {"formset": formset, "city": city})


@dashboard_required
def assessment_index(request):
    """Staff pick a quarter and start an export of their region (or a county inside it)."""
    if not scope.can_manage(request.user):
        raise PermissionDenied
    region_id = query_id(request, "region", label=_("区域")) or id_or_none(request.POST.get("region"))
    region = dashboard_region(user=request.user, region_id=region_id)
    quarters = recent_quarters(today=timezone.localdate())
    previous = quarters[1]  # the quarter just ended is the usual one to assess
    form = AssessmentExportForm(
        request.POST or None, quarters=quarters, initial={"quarter": f"{previous.year}Q{previous.number}"}
    )
    if request.method == "POST" and form.is_valid():
        try:
            export = assessment_export_start(
                region=region, quarter=parse_quarter(form.cleaned_data["quarter"]), acting_user=request.user
            )
        except QueueUnavailable as exc:
            messages.error(request, str(exc))
            return redirect(request.get_full_path())
        return redirect("reports:assessment_detail", pk=export.pk)
    context = {
        "form": form,
        "region": region,
        "exports": assessment_exports(user=request.user)[:10],
        "weights": weights_for(city_of(region)),
        "weight_labels": WEIGHT_LABELS,
    }
    return render(request, "reports/assessment.html", context)


@dashboard_required
def assessment_detail(request, pk: int):
    export = get_object_or_404(assessment_exports(user=request.user), pk=pk)
    if request.headers.get("accept", "").startswith("application/json"):
        return JsonResponse({"status": export.status, "percent": export.percent, "error": export.error})
    return render(request, "reports/assessment_detail.html", {"export": export})


@dashboard_required
def assessment_download(request, pk: int):
    """The workbook, through the scope rule; the file is never under a public URL."""
    export = get_object_or_404(assessment_exports(user=request.user), pk=pk, status="done")
    return files.file_response(export.file, download_name=export_filename(export))


@dashboard_required
def assessment_weights(request):
    """The city's staff set the scoring weights (recorded with each export)."""
    city = _own_city(request)
    form = AssessmentWeightsForm(request.POST or None, instance=weights_get(city=city))
    if request.method == "POST" and form.is_valid():
        weights_save(city=city, data=form.cleaned_data, acting_user=request.user)
        messages.success(request, _("考核权重已保存，之后的导出将按新权重计分。"))
        return redirect("reports:assessment")
    return render(request, "reports/assessment_weights.html", {"form": form, "city": city})


@login_required
def audit_list(request):
    """Staff (and superusers) read the audit trail of their region."""
    if not scope.can_manage(request.user):
        raise PermissionDenied
    get = request.GET
    keys = [k for k in get.getlist("source") if k in audit.SOURCE_BY_KEY]
    entries = audit.audit_entries(
        user=request.user,
        source_keys=keys or None,
        actor=query_text(request, "actor", label=_("操作人")),
        object_id=query_id(request, "object", label=_("对象编号")),
        since=query_date(request, "since", label=_("起")),
        until=query_date(request, "until", label=_("止")),
        before=audit.audit_cursor_parse(get.get("before", "")),
    )
    next_before = audit.audit_cursor_format(entries[-1]["key"]) if len(entries) == audit.PAGE_SIZE else None
    query = get.copy()
    query.pop("before", None)
    context = {
        "entries": entries,
        "sources": audit.SOURCES,
        "selected": set(keys),
        "filters": get,
        "next_before": next_before,
        "query": query.urlencode(),
    }
    return render(request, "reports/audit.html", context)
