"""Branch registry pages. Thin: fetch through a selector, validate a form, call one service."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from twinning.keyset import Keyset, cursors, keyset_page, page_query
from twinning.params import query_choice
from twinning.rows import choice_labels, url_prefix
from twinning.views import apply_validation_error, manager_required

from .. import scope
from ..choices import BranchKind, Grade, OptimisationAction, PairingMethod, PairingStatus, UnitLevel
from ..filters import BranchFilter, filter_fields
from ..forms.registry import BranchForm, GradeBulkForm, OptimisationForm, optimisation_form_fields
from ..selectors import pairings as pairing_selectors
from ..selectors import registry as registry_selectors
from ..services import registry as services

# The orders the branch list offers, each a keyset over an index (code is unique, name is indexed).
# Sorting by grade, county or member count would sort every branch in scope on every page.
BRANCH_SORTS = {
    "code": Keyset("code"),
    "-code": Keyset("-code"),
    "name": Keyset("name", "id"),
    "-name": Keyset("-name", "-id"),
}
# The first page reads up to this many keys, so it can say "N branches" when N is small.
BRANCH_COUNT_CAP = 1000
GRADE_BADGE = {Grade.GOOD: "success", Grade.MEDIUM: "warning", Grade.WEAK: "danger"}


def _sort_links(params, sort: str) -> dict[str, dict]:
    """For each sortable column: the link that sorts by it (toggling when it is the current order)."""
    query = page_query(params, drop=("sort",))
    links = {}
    for column in ("code", "name"):
        current = "asc" if sort == column else "desc" if sort == f"-{column}" else ""
        target = f"-{column}" if current == "asc" else column
        links[column] = {"href": f"?{query}&sort={target}" if query else f"?sort={target}", "current": current}
    return links


@login_required
def branch_list(request):
    """The registry in scope, filtered, one keyset page at a time (docs/pairing.md, "Lists").

    The rows are named tuples of the columns shown (``registry_selectors.branch_rows``) and the template is
    Jinja2's: no model instance, method call or URL reversal per row.
    """
    user = request.user
    # Bound only when a filter is given: a cursor or a sort alone needs no form validated.
    filtering = any(name in BranchFilter.base_filters for name in request.GET)
    branch_filter = BranchFilter(
        request.GET if filtering else None, queryset=registry_selectors.branch_list(user=user), user=user
    )
    sort = query_choice(request, "sort", list(BRANCH_SORTS), label=_("排序"), default="code")
    page = keyset_page(
        branch_filter.qs,
        BRANCH_SORTS[sort],
        size=settings.BRANCH_LIST_PAGE_SIZE,
        count_cap=BRANCH_COUNT_CAP,
        rows_by_pk=True,
        load=registry_selectors.branch_rows,
        **cursors(request.GET),
    )
    can_manage = scope.can_manage(user)
    show_filters = scope.sees_region(user)
    context = {
        "filter": branch_filter,
        "filter_fields": filter_fields(branch_filter.form, region_options=branch_filter.region_options())
        if show_filters
        else [],
        "page": page,
        "count_label": _count_label(page, _BRANCH_COUNT_LABELS),
        "query": page_query(request.GET),
        "sort": sort,
        "sort_links": _sort_links(request.GET, sort),
        "can_manage": can_manage,
        "show_filters": show_filters,
        # What the bulk grading form shows, without building the form (its branch field's queryset)
        "grade_year": registry_selectors.current_year(),
        "grade_choices": GradeBulkForm.base_fields["grade"].choices,
        # /branches/<pk>/ without a reverse() per row (test_branch_rows_link_to_their_pages)
        "branch_url": url_prefix("pairing:branch_detail"),
        "phone": lambda row: scope.phone_for(user, row.secretary_phone, branch=row),
        "kinds": choice_labels(BranchKind.choices),
        "levels": choice_labels(UnitLevel.choices),
        "grades": {value: (str(label), GRADE_BADGE.get(value, "secondary")) for value, label in Grade.choices},
    }
    return render(request, "pairing/branch_list.html", context)


_BRANCH_COUNT_LABELS = (
    lambda n: ngettext("共 %(counter)s 个支部", "共 %(counter)s 个支部", n) % {"counter": n},
    lambda cap: _("超过 %(cap)s 个支部，可用筛选缩小范围") % {"cap": cap},
)


def _count_label(page, labels) -> str:
    """ "N rows" on a counted first page, "more than N" when it stopped counting; "" on later pages."""
    if not page.counted:
        return ""
    counted, more = labels
    return counted(page.total) if page.total is not None else more(page.count_cap)


@login_required
def branch_detail(request, pk: int):
    """A branch, its pairings, grades, optimisation records and (for staff) its changes; drawn by Jinja2."""
    user = request.user
    found = registry_selectors.branch_page(user=user, pk=pk)
    branch = found["branch"]
    can_manage = scope.can_manage(user)
    context = {
        **found,
        "phone": scope.phone_for(user, branch.secretary_phone, branch=branch),
        "current_grade_label": Grade(branch.current_grade).label if branch.current_grade else "",
        "pairings": pairing_selectors.branch_pairing_rows(user=user, branch=branch),
        "pairing_url": url_prefix("pairing:pairing_detail"),
        "methods": choice_labels(PairingMethod.choices),
        "grade_labels": choice_labels(Grade.choices),
        "actions": choice_labels(OptimisationAction.choices),
        "active": PairingStatus.ACTIVE,
        "history": registry_selectors.branch_history(branch=branch) if can_manage else None,
        "can_manage": can_manage,
        "optimisation_form": optimisation_form_fields(branch=branch) if can_manage else None,
    }
    return render(request, "pairing/branch_detail.html", context)


@manager_required
def branch_create(request):
    form = BranchForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            branch = services.branch_create(acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已登记支部：%(name)s") % {"name": branch.name})
            return redirect(branch)
    return render(request, "pairing/branch_form.html", {"form": form, "branch": None})


@manager_required
def branch_update(request, pk: int):
    branch = registry_selectors.branch_get(user=request.user, pk=pk)
    form = BranchForm(request.POST or None, instance=branch, user=request.user)
    if request.method == "POST" and form.is_valid():
        # ModelForm validation writes into the instance; reload so the service sees before → after.
        original = registry_selectors.branch_get(user=request.user, pk=pk)
        try:
            services.branch_update(branch=original, acting_user=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已保存修改。"))
            return redirect(original)
    return render(request, "pairing/branch_form.html", {"form": form, "branch": branch})


@require_POST
@manager_required
def branch_grade_bulk(request):
    form = GradeBulkForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            count = services.grades_assign(
                branches=form.cleaned_data["branches"],
                year=form.cleaned_data["year"],
                grade=form.cleaned_data["grade"],
                acting_user=request.user,
            )
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, _("已评定 %(count)d 个支部的等次。") % {"count": count})
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    next_url = request.POST.get("next", "")
    # A path of this site only: redirect() would take a bare word ("0") for a URL name, and fail.
    if not next_url.startswith("/") or not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}
    ):
        next_url = reverse("pairing:branch_list")
    return redirect(next_url)


@require_POST
@manager_required
def branch_optimisation_add(request, pk: int):
    branch = registry_selectors.branch_get(user=request.user, pk=pk)
    form = OptimisationForm(request.POST, branch=branch)
    if form.is_valid():
        try:
            services.optimisation_record(branch=branch, acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, _("已添加优化记录。"))
            return redirect(branch)
    else:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}：{error}" if label else error)
    return redirect(branch)
