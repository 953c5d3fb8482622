"""Leaders' dashboard, snapshot refresh with progress, thresholds, the assessment exports and the audit trail."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils import timezone
from django.utils.formats import date_format, localize
from django.utils.html import json_script
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pairing import scope
from pairing.choices import RegionLevel
from pairing.models import Region
from twinning import files
from twinning.memo import ProcessMemo
from twinning.params import id_or_none, query_date, query_id, query_text
from twinning.views import access_required

from .forms import AssessmentExportForm, AssessmentWeightsForm, ThresholdFormSet
from .models import Metric
from .periods import parse_quarter, recent_quarters
from .selectors import audit
from .selectors.assessment import assessment_exports, weights_for, weights_get
from .selectors.dashboard import (
    child_regions,
    city_of,
    dashboard_region,
    figures_stamp,
    report_runs,
    snapshot_get,
    thresholds,
)
from .services.assessment_exports import assessment_export_start, export_filename
from .services.assessment_weights import weights_save
from .services.runs import QueueUnavailable, report_run_start
from .services.thresholds import thresholds_save
from .workbook import WEIGHT_LABELS

dashboard_required = access_required(scope.sees_region)


def _cards(figures: dict, bands: dict) -> list[dict]:
    def card(metric, label, row, num_key, den_key="total"):
        rate = row.get("rate") if row else None
        return {
            "metric": metric,
            "label": label,
            "rate": rate,
            "num": row.get(num_key, 0) if row else 0,
            "den": row.get(den_key, 0) if row else 0,
            "colour": bands[metric].colour(rate),
        }

    volunteers = figures.get("volunteers") or {}
    hours = card(Metric.VOLUNTEERS, _("核实服务时长"), volunteers, "members_on_target", "members")
    quarter, verified = volunteers.get("quarter", ""), volunteers.get("verified_hours", 0)
    hours.update(
        hours=verified,
        quarter=quarter,
        # Values localised, as {% blocktranslate %} showed them before the page moved to Jinja2.
        hours_label=_("%(hours)s 小时") % {"hours": localize(verified)},
        members_label=_("%(quarter)s 党员达标 %(num)s / %(den)s")
        % {"quarter": quarter, "num": localize(hours["num"]), "den": localize(hours["den"])},
    )
    return [
        card(Metric.COVERAGE, _("结对覆盖率"), figures.get("coverage"), "paired"),
        card(Metric.OPTIMISATION, _("优化率"), figures.get("optimisation"), "optimised"),
        card(Metric.THEME_DAYS, _("本月主题党日达标率"), figures.get("theme_days"), "confirmed", "active"),
        card(Metric.N_TASKS, _("重点任务完成率"), figures.get("n_tasks"), "done", "due"),
        hours,
    ]


def _row_figures(figures: dict, bands: dict) -> dict:
    """The extra columns of a child region's row: compliance, N progress, volunteers."""
    theme_days, n_tasks = figures.get("theme_days") or {}, figures.get("n_tasks") or {}
    volunteers = figures.get("volunteers") or {}
    return {
        "theme_days": theme_days,
        "theme_days_colour": bands[Metric.THEME_DAYS].colour(theme_days.get("rate")),
        "n_tasks": n_tasks,
        "n_tasks_colour": bands[Metric.N_TASKS].colour(n_tasks.get("rate")),
        "volunteers": volunteers,
        "volunteers_colour": bands[Metric.VOLUNTEERS].colour(volunteers.get("rate")),
    }


# The dashboard's figures per snapshot, bands and language: the cards, rows and chart and the figures
# fragment drawn from them. A dashboard changes once per snapshot while leaders open it all day, so a
# page view reads only what the figures move with (figures_stamp) and draws the page around
# the kept fragment; the snapshot's JSON, the bands and the child regions are read when the stamp
# moves. Process memory (twinning/memo.py), not the cache: pages must keep working while Redis is
# down. The child regions (names to links) move no stamp, hence the expiry.
_figures_memo = ProcessMemo(size=64, ttl=300)


def _figures(region: Region, snapshot_id: int) -> dict:
    """The page's values drawn from a snapshot: read and rendered only when the figures' stamp moves."""
    snapshot = snapshot_get(pk=snapshot_id)
    bands = thresholds(city=city_of(region))
    children = child_regions(region=region)
    rows = []
    for name, figures in sorted(
        snapshot.children.items(), key=lambda kv: children[kv[0]].path if kv[0] in children else "~"
    ):
        child = children.get(name)
        coverage, optimisation = figures.get("coverage") or {}, figures.get("optimisation") or {}
        drill = child is not None and child.level == RegionLevel.COUNTY
        rows.append(
            {
                "name": name,
                "label": name if drill else _(name),  # 县直单位 is stored untranslated (gettext_noop)
                "region": {"pk": child.pk, "level": child.level} if child else None,
                "drill": drill,
                "coverage": coverage,
                "coverage_colour": bands[Metric.COVERAGE].colour(coverage.get("rate")),
                "optimisation": optimisation,
                "optimisation_colour": bands[Metric.OPTIMISATION].colour(optimisation.get("rate")),
                **_row_figures(figures, bands),
            }
        )
    by_month = (snapshot.figures.get("theme_days") or {}).get("by_month") or []
    by_quarter = snapshot.figures.get("hours_by_quarter") or []
    chart = {
        "names": [r["name"] for r in rows],
        "coverage": [r["coverage"].get("rate") for r in rows],
        "optimisation": [r["optimisation"].get("rate") for r in rows],
        "theme_days": {"labels": [m["month"] for m in by_month], "rates": [m["rate"] for m in by_month]},
        "hours": {"labels": [q["quarter"] for q in by_quarter], "values": [q["hours"] for q in by_quarter]},
    }
    cards = _cards(snapshot.figures, bands)
    context = {
        "level": region.level,
        "region_pk": region.pk,
        "year": snapshot.as_of.year,
        "cards": cards,
        "rows": rows,
        "chart_json": json_script(chart, "dashboard-data"),
    }
    as_of = _("数据截至 %(day)s（计算于 %(at)s）") % {
        "day": date_format(snapshot.as_of, "Y-m-d"),
        "at": date_format(timezone.localtime(snapshot.computed_at), "Y-m-d H:i"),
    }
    return {
        "snapshot": snapshot,
        "as_of": as_of,
        "cards": cards,
        "rows": rows,
        "chart": chart,
        "figures_html": mark_safe(render_to_string("reports/_dashboard_figures.html", context)),  # noqa: S308
    }


@dashboard_required
def dashboard(request):
    """Headline cards and charts of a region, read from its latest snapshot (no recomputation)."""
    region = dashboard_region(user=request.user, region_id=query_id(request, "region", label=_("区域")))
    snapshot_id, *stamp = figures_stamp(region=region)
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
    if snapshot_id:
        key = (snapshot_id, *stamp, get_language(), get_script_prefix())
        context.update(_figures_memo.get(key, lambda: _figures(region, snapshot_id)))
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
