"""Activity pages. Thin: fetch through a selector (404 outside scope), validate a form, call one service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.renderers import Jinja2 as Jinja2Widgets
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pairing import scope
from twinning import files
from twinning.keyset import Page, cursors, keyset_page, page_query
from twinning.params import id_or_none, query_choice, query_id, query_year
from twinning.rows import choice_labels, url_prefix
from twinning.views import apply_validation_error, manager_required

from . import perms, selectors, services
from .choices import ThemeDayStatus
from .forms import (
    JointActivityForm,
    KeyTaskItemFormSet,
    KeyTaskListForm,
    KeyTaskReportForm,
    ReturnForm,
    ThemeDayForm,
)
from .templatetags.activities_tags import compliance_cells

PAGE_SIZE = 50
GRID_PAGE_SIZE = 100
# The theme-day form's widgets drawn by Django's Jinja2 widget templates (the same markup as its
# Django templates): drawing its eight widgets with Django's engine was a sixth of the form page.
WIDGETS = Jinja2Widgets()


def _secretary_of(user, pairing):
    """403 unless the user is a secretary of one side of this (already scope-checked) pairing."""
    try:
        return services.secretary_side(user=user, pairing=pairing)
    except PermissionDenied:
        raise PermissionDenied from None


def _paged(context: dict, request) -> dict:
    """A list page's context plus the query string its page links keep (the filters, no cursor)."""
    return {**context, "query": page_query(request.GET)}


def _serve(field_file, name: str = ""):
    # A stored photo or attachment never changes: the browser may keep it for an hour.
    return files.file_response(field_file, download_name=name, max_age=3600)


# --- overview and theme days -----------------------------------------------------------------


@login_required
def index(request):
    user = request.user
    status = query_choice(request, "status", ThemeDayStatus.choices, label=_("状态"))
    pairings = selectors.branch_pairings(user=user)
    page = selectors.theme_day_page(
        user=user,
        pairings=pairings,
        status=status,
        size=PAGE_SIZE,
        **cursors(request.GET),
    )
    statuses = [(value, str(label)) for value, label in ThemeDayStatus.choices]
    context = {
        "page": page,
        "status": status or "",
        "statuses": statuses,
        "status_labels": dict(statuses),
        "detail_url": url_prefix("activities:theme_day_detail"),
        "my_pairings": selectors.my_pairing_rows(user=user, pairings=pairings) if perms.is_secretary(user) else [],
        "to_confirm": selectors.theme_days_to_confirm_rows(user=user, pairings=pairings),
        "is_secretary": perms.is_secretary(user),
        "can_see_grid": perms.can_see_compliance(user),
    }
    return render(request, "activities/index.html", _paged(context, request))


@login_required
def theme_day_create(request, pairing_pk: int):
    pairing = selectors.pairing_get_for_record(user=request.user, pk=pairing_pk)
    _secretary_of(request.user, pairing)
    form = ThemeDayForm(request.POST or None, request.FILES or None, pairing=pairing, renderer=WIDGETS)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            theme_day = services.theme_day_record(
                pairing=pairing,
                acting_user=request.user,
                held_on=data["held_on"],
                theme=data["theme"],
                place=data["place"],
                summary=data["summary"],
                helper_attendance=data["helper_attendance"],
                partner_attendance=data["partner_attendance"],
                photos=data["photos"],
                attachments=data["attachments"],
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("主题党日已记录，等待结对方确认。"))
            return redirect(theme_day)
    return render(request, "activities/theme_day_form.html", {"form": form, "pairing": pairing, "theme_day": None})


@login_required
def theme_day_detail(request, pk: int):
    user = request.user
    theme_day = selectors.theme_day_get_for_page(user=user, pk=pk)
    photos, attachments = selectors.theme_day_files(theme_day=theme_day)
    context = {
        "theme_day": theme_day,
        "photos": photos,
        "attachments": attachments,
        "can_edit": perms.theme_day_can_edit(user, theme_day),
        "can_review": perms.theme_day_can_review(user, theme_day),
        "history": selectors.theme_day_history(theme_day=theme_day),
        "status_labels": choice_labels(ThemeDayStatus.choices),
    }
    return render(request, "activities/theme_day_detail.html", context)


@login_required
def theme_day_update(request, pk: int):
    theme_day = selectors.theme_day_get(user=request.user, pk=pk)
    if not perms.theme_day_can_edit(request.user, theme_day):
        raise PermissionDenied
    initial = {f: getattr(theme_day, f) for f in services.THEME_DAY_FIELDS}
    form = ThemeDayForm(
        request.POST or None, request.FILES or None, pairing=theme_day.pairing, initial=initial, renderer=WIDGETS
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        photos, attachments = data.pop("photos"), data.pop("attachments")
        try:
            theme_day = services.theme_day_update(
                theme_day=theme_day, acting_user=request.user, data=data, photos=photos, attachments=attachments
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已保存修改，需结对方重新确认。"))
            return redirect(theme_day)
    return render(
        request, "activities/theme_day_form.html", {"form": form, "pairing": theme_day.pairing, "theme_day": theme_day}
    )


@require_POST
@login_required
def theme_day_confirm(request, pk: int):
    theme_day = selectors.theme_day_get(user=request.user, pk=pk)
    _secretary_of(request.user, theme_day.pairing)
    try:
        services.theme_day_confirm(theme_day=theme_day, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("已确认该主题党日。"))
    return redirect(theme_day)


@require_POST
@login_required
def theme_day_return(request, pk: int):
    theme_day = selectors.theme_day_get(user=request.user, pk=pk)
    _secretary_of(request.user, theme_day.pairing)
    form = ReturnForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写退回原因。"))
        return redirect(theme_day)
    try:
        services.theme_day_return(theme_day=theme_day, acting_user=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("已退回，记录方修改后需重新确认。"))
    return redirect(theme_day)


@login_required
def theme_day_photo(request, pk: int, variant: str = "display"):
    photo = selectors.theme_day_photo_get(user=request.user, pk=pk)
    if variant == "original":
        return _serve(photo.original, photo.original_name)
    # The page copy is made after the upload; until it exists, the original stands in.
    return _serve(photo.display or photo.original)


@login_required
def theme_day_attachment(request, pk: int):
    attachment = selectors.theme_day_attachment_get(user=request.user, pk=pk)
    return _serve(attachment.file, attachment.original_name)


# --- other joint activities ------------------------------------------------------------------


@login_required
def joint_activity_list(request):
    activities = selectors.joint_activity_list(user=request.user)
    page = keyset_page(activities, selectors.NEWEST_FIRST, size=PAGE_SIZE, **cursors(request.GET))
    my_pairings = selectors.my_pairings(user=request.user) if perms.is_secretary(request.user) else []
    context = {"page": page, "my_pairings": my_pairings}
    return render(request, "activities/joint_activity_list.html", _paged(context, request))


@login_required
def joint_activity_create(request, pairing_pk: int):
    pairing = selectors.activity_pairing_get(user=request.user, pk=pairing_pk)
    _secretary_of(request.user, pairing)
    form = JointActivityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.joint_activity_record(pairing=pairing, acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已记录联建活动。"))
            return redirect("activities:joint_activity_list")
    return render(request, "activities/joint_activity_form.html", {"form": form, "pairing": pairing})


# --- compliance ------------------------------------------------------------------------------


@login_required
def compliance(request):
    user = request.user
    today = timezone.localdate()
    year = query_year(request, label=_("年度"))
    counties = selectors.compliance_counties(user=user)
    county_id = query_id(request, "county", label=_("县区")) if counties is not None else None
    county = next((c for c in counties if c.pk == county_id), None) if county_id else None
    if county_id and county is None:  # not a county the user sees: nothing, rather than all
        page = Page([])
    else:
        page = selectors.compliance_page(
            user=user, year=year, county=county, size=GRID_PAGE_SIZE, county_visible=True, **cursors(request.GET)
        )
    months, rows = selectors.compliance_rows(pairings=page.rows, year=year, today=today)
    context = {
        "year": year,
        "heading": _("%(year)s年主题党日月度达标情况") % {"year": year},
        "years": list(range(today.year, today.year - 5, -1)),
        "counties": counties,
        "county_id": county_id,
        "page": page,
        "months": months,
        "rows": rows,
        "cells": compliance_cells,
    }
    return render(request, "activities/compliance.html", _paged(context, request))


# --- the N list ------------------------------------------------------------------------------


@login_required
def task_list_index(request):
    page = selectors.task_list_index(user=request.user, size=PAGE_SIZE, **cursors(request.GET))
    return render(
        request,
        "activities/task_list_index.html",
        _paged({"page": page, "can_manage": scope.can_manage(request.user)}, request),
    )


@manager_required
def task_list_create(request):
    form = KeyTaskListForm(request.POST or None, regions=selectors.task_list_regions(user=request.user))
    formset = KeyTaskItemFormSet(request.POST or None, prefix="items")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            task_list = services.key_task_list_publish(
                acting_user=request.user, tasks=[f for f in formset.cleaned_data if f], **form.cleaned_data
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已发布重点任务清单。"))
            return redirect(task_list)
    return render(request, "activities/task_list_form.html", {"form": form, "formset": formset})


@login_required
def task_list_detail(request, pk: int):
    user = request.user
    task_list = selectors.task_list_get(user=user, pk=pk)
    page = selectors.task_list_page(task_list=task_list, user=user, size=GRID_PAGE_SIZE, **cursors(request.GET))
    tasks, rows = selectors.task_progress_by_pairing(task_list=task_list, pairings=page.rows)
    context = {
        "task_list": task_list,
        "items": selectors.task_progress_by_item(
            task_list=task_list, pairings=selectors.task_list_pairing_ids(task_list=task_list, user=user)
        ),
        "tasks": tasks,
        "rows": rows,
        "page": page,
        "can_manage": scope.can_manage(user),
        "my_pairings": [p for p in page.rows if perms.is_secretary_of(user, p)],
    }
    return render(request, "activities/task_list_detail.html", _paged(context, request))


@require_POST
@manager_required
def task_list_carry_over(request, pk: int):
    task_list = selectors.task_list_to_change(user=request.user, pk=pk)
    pairings = selectors.task_list_pairing_ids(task_list=task_list, user=request.user)
    target, count = services.key_task_list_carry_over(task_list=task_list, acting_user=request.user, pairings=pairings)
    messages.success(
        request, _("已将 %(n)d 项未完成任务转入%(period)s。") % {"n": count, "period": target.period_label}
    )
    return redirect(target)


@login_required
def task_report(request, pk: int, pairing_pk: int):
    """A pairing's secretary reports on every item of a list, one small form per item."""
    user = request.user
    task_list = selectors.task_list_get(user=user, pk=pk)
    pairing = selectors.activity_pairing_get(user=user, pk=pairing_pk)
    if not selectors.task_list_includes(task_list=task_list, user=user, pairing=pairing):
        raise Http404
    can_report = perms.is_secretary_of(user, pairing)
    entries = selectors.reports_for_pairing(task_list=task_list, pairing=pairing)
    forms_by_task = {}
    for entry in entries:
        report = entry["report"]
        initial = {"status": report.status, "note": report.note} if report else {"status": "not_started"}
        entry["form"] = KeyTaskReportForm(initial=initial, prefix=f"t{entry['task'].pk}")
        forms_by_task[entry["task"].pk] = entry
    if request.method == "POST":
        if not can_report:
            raise PermissionDenied
        task_id = id_or_none(request.POST.get("task"))
        entry = forms_by_task.get(task_id)
        if entry is None:
            raise Http404
        form = KeyTaskReportForm(request.POST, request.FILES, prefix=f"t{task_id}")
        entry["form"] = form
        if form.is_valid():
            try:
                services.key_task_report_save(
                    task=entry["task"], pairing=pairing, acting_user=user, **form.cleaned_data
                )
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(request, _("已保存“%(task)s”的进展。") % {"task": entry["task"].title})
                return redirect("activities:task_report", pk=task_list.pk, pairing_pk=pairing.pk)
    context = {"task_list": task_list, "pairing": pairing, "entries": entries, "can_report": can_report}
    return render(request, "activities/task_report.html", context)


@login_required
def task_evidence(request, pk: int, variant: str = "display"):
    photo = selectors.task_evidence_get(user=request.user, pk=pk)
    if variant == "original":
        return _serve(photo.original, photo.original_name)
    return _serve(photo.display or photo.original)
