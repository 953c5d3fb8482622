"""Pairing pages: list, detail, manual work, agreements, draws, and a secretary's own pairing.

Thin: fetch through a scoped selector, validate a form, call one service, report with messages.
Staff manage; leaders and secretaries read (write views answer them 403).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from twinning import files
from twinning.keyset import Keyset, cursors, keyset_page, page_query
from twinning.params import id_or_none
from twinning.rows import choice_labels, url_prefix
from twinning.views import apply_validation_error, manager_required

from .. import scope
from ..choices import PairingMethod, PairingStatus
from ..filters import filter_fields
from ..forms.pairings import (
    AgreementForm,
    DissolveForm,
    DrawForm,
    PairingCreateForm,
    PairingFilterForm,
    PeopleForm,
    RepairForm,
    SwapForm,
)
from ..models import Branch, Pairing
from ..selectors import coverage as coverage_selectors
from ..selectors import draws as draw_selectors
from ..selectors import pairings as pairing_selectors
from ..selectors import registry as registry_selectors
from ..services import draw as draw_services
from ..services import pairings as services
from .registry import _count_label

PAGE_SIZE = 50
# The first page of the pairing list reads up to this many keys to say how many pairings there are.
PAIRING_COUNT_CAP = 1000
# A draw's result shows this many pairs a page, and this many of its unpaired branches on each side.
DRAW_ROWS_SHOWN = 200


def _detail_forms(request, pairing: Pairing, bound: dict | None = None) -> dict:
    bound = bound or {}
    forms = {
        "dissolve_form": bound.get("dissolve") or DissolveForm(),
        "repair_form": bound.get("repair") or RepairForm(user=request.user, pairing=pairing),
        "swap_form": bound.get("swap") or SwapForm(),
        "people_form": bound.get("people")
        or PeopleForm(initial={f: getattr(pairing, f) for f in services.PEOPLE_FIELDS}),
        "agreement_form": bound.get("agreement") or AgreementForm(),
    }
    actions = {
        "dissolve_form": "pairing:pairing_dissolve",
        "repair_form": "pairing:pairing_repair",
        "swap_form": "pairing:pairing_swap",
        "people_form": "pairing:pairing_people",
        "agreement_form": "pairing:pairing_agreement_upload",
    }
    for name, url_name in actions.items():
        forms[name].helper.form_action = reverse(url_name, args=[pairing.pk])
    forms["agreement_form"].helper.form_enctype = "multipart/form-data"
    return forms


@login_required
def pairing_list(request):
    """Pairings in scope, filtered, one keyset page at a time; rows are named tuples of the columns
    shown (``pairing_selectors.pairing_rows``), drawn by Jinja2 without a method call per row."""
    user = request.user
    form = PairingFilterForm(request.GET or None, user=user)
    filters = form.cleaned_data if form.is_valid() else {}
    page = keyset_page(
        pairing_selectors.pairing_list(user=user, filters=filters),
        Keyset(*pairing_selectors.PAIRING_LIST_ORDER),
        size=PAGE_SIZE,
        count_cap=PAIRING_COUNT_CAP,
        rows_by_pk=True,
        load=pairing_selectors.pairing_rows,
        **cursors(request.GET),
    )
    context = {
        "filter_form": form,
        "filter_fields": filter_fields(
            form, region_options=registry_selectors.region_choices(user=user, names=("county",))
        ),
        "page": page,
        "count_label": _count_label(page, _PAIRING_COUNT_LABELS),
        "query": page_query(request.GET),
        "can_manage": scope.can_manage(user),
        # /pairings/<pk>/ without a reverse() per row (test_pairing_rows_link_to_their_pages)
        "pairing_url": url_prefix("pairing:pairing_detail"),
        "methods": choice_labels(PairingMethod.choices),
        "statuses": choice_labels(PairingStatus.choices),
        "active": PairingStatus.ACTIVE,
    }
    return render(request, "pairing/pairing_list.html", context)


_PAIRING_COUNT_LABELS = (
    lambda n: ngettext("共 %(counter)s 个结对", "共 %(counter)s 个结对", n) % {"counter": n},
    lambda cap: _("超过 %(cap)s 个结对，可用筛选缩小范围") % {"cap": cap},
)


def _render_detail(request, pairing: Pairing, bound: dict | None = None, status: int = 200):
    user = request.user
    can_manage = scope.can_manage(user)
    context = {
        "pairing": pairing,
        "can_manage": can_manage,
        "helper_phone": scope.phone_for(user, pairing.helper.secretary_phone, branch=pairing.helper),
        "partner_phone": scope.phone_for(user, pairing.partner.secretary_phone, branch=pairing.partner),
        "history": pairing_selectors.pairing_history(pairing=pairing),
    }
    if can_manage and pairing.is_active:
        context.update(_detail_forms(request, pairing, bound))
    return render(request, "pairing/pairing_detail.html", context, status=status)


@login_required
def pairing_detail(request, pk: int):
    pairing = pairing_selectors.pairing_get(user=request.user, pk=pk)
    return _render_detail(request, pairing)


@login_required
def pairing_agreement(request, pk: int):
    """The signed agreement, served only to users who may see the pairing (never from /media/)."""
    pairing = pairing_selectors.pairing_get(user=request.user, pk=pk)
    # The file's type (and so the name's extension) comes from the stored name.
    return files.file_response(
        pairing.agreement, download_name=f"联建协议-{pairing.helper.code}-{pairing.partner.code}"
    )


def _post_action(request, pk: int, form_name: str, form, call, success: str):
    pairing = pairing_selectors.pairing_to_change(user=request.user, pk=pk)
    if form.is_valid():
        try:
            result = call(pairing, form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, success)
            target = result if isinstance(result, Pairing) else pairing
            return redirect(target)
    return _render_detail(request, pairing, {form_name: form}, status=400)


@require_POST
@manager_required
def pairing_dissolve(request, pk: int):
    return _post_action(
        request,
        pk,
        "dissolve",
        DissolveForm(request.POST),
        lambda p, d: services.pairing_dissolve(pairing=p, acting_user=request.user, reason=d["reason"]),
        _("已解除结对。"),
    )


@require_POST
@manager_required
def pairing_repair(request, pk: int):
    pairing = pairing_selectors.pairing_to_change(user=request.user, pk=pk)
    return _post_action(
        request,
        pk,
        "repair",
        RepairForm(request.POST, user=request.user, pairing=pairing),
        lambda p, d: services.pairing_repair(
            pairing=p, helper=d["helper"], acting_user=request.user, reason=d["reason"], allow_second=d["allow_second"]
        ),
        _("已重新结对。"),
    )


@require_POST
@manager_required
def pairing_swap(request, pk: int):
    def call(pairing, data):
        other = (
            pairing_selectors.pairing_list(user=request.user)
            .filter(partner__code=data["other_partner"].strip(), status=PairingStatus.ACTIVE, campaign=pairing.campaign)
            .first()
        )
        if other is None:
            raise ValidationError({"other_partner": _("在您的管辖范围内没有找到该支部的当前结对。")})
        first, _second = services.pairing_swap(
            first=pairing, second=other, acting_user=request.user, reason=data["reason"]
        )
        return first

    return _post_action(request, pk, "swap", SwapForm(request.POST), call, _("已交换结对支部。"))


@require_POST
@manager_required
def pairing_people(request, pk: int):
    return _post_action(
        request,
        pk,
        "people",
        PeopleForm(request.POST),
        lambda p, d: services.pairing_people_update(pairing=p, acting_user=request.user, data=d),
        _("已保存。"),
    )


@require_POST
@manager_required
def pairing_agreement_upload(request, pk: int):
    return _post_action(
        request,
        pk,
        "agreement",
        AgreementForm(request.POST, request.FILES),
        lambda p, d: services.pairing_agreement_upload(pairing=p, acting_user=request.user, upload=d["agreement"]),
        _("已上传联建协议。"),
    )


@require_POST
@manager_required
def pairing_double_approve(request, pk: int):
    pairing = pairing_selectors.pairing_to_change(user=request.user, pk=pk)
    try:
        services.pairing_double_approve(pairing=pairing, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("已确认一帮二。"))
    return redirect(pairing)


@manager_required
def pairing_create(request):
    user = request.user
    partner = None
    partner_id = id_or_none(request.POST.get("partner") or request.GET.get("partner"))
    if partner_id:
        partner = get_object_or_404(coverage_selectors.uncovered_partners(user=user), pk=partner_id)
    form = PairingCreateForm(request.POST or None, user=user, partner=partner)
    if request.method == "POST" and form.is_valid():
        try:
            pairing = services.pairing_create(
                helper=form.cleaned_data["helper"],
                partner=form.cleaned_data["partner"],
                acting_user=user,
                allow_second=form.cleaned_data["allow_second"],
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已结对：%(pairing)s") % {"pairing": pairing})
            return redirect(pairing)
    return render(request, "pairing/pairing_form.html", {"form": form, "partner": partner})


@login_required
def my_pairing(request):
    """A secretary's own pairing: the partner, its secretary (phone masked) and the liaison officers."""
    user = request.user
    if not user.branch_id:
        raise PermissionDenied
    rows = []
    for pairing in pairing_selectors.pairings_of_own_branch(user=user):
        other = pairing.partner if pairing.helper_id == user.branch_id else pairing.helper
        rows.append(
            {"pairing": pairing, "other": other, "phone": scope.phone_for(user, other.secretary_phone, branch=other)}
        )
    return render(request, "pairing/my_pairing.html", {"rows": rows})


# Draws -------------------------------------------------------------------------------------------


@manager_required
def draw_create(request):
    """Choose a county (or the city level) and a seed, preview, then confirm."""
    user = request.user
    form = DrawForm(request.POST or None, user=user)
    if not form.regions:
        raise PermissionDenied
    preview = None
    if request.method == "POST" and form.is_valid():
        region, seed = form.cleaned_data["region"], form.cleaned_data["seed"]
        try:
            if "confirm" in request.POST:
                draw = draw_services.draw_confirm(
                    region=region, seed=seed, fingerprint=request.POST.get("fingerprint", ""), acting_user=user
                )
                messages.success(
                    request, _("抽签已确认，生成 %(count)d 个结对。") % {"count": len(draw.result["pairs"])}
                )
                return redirect(draw)
            preview = draw_services.draw_preview(region=region, seed=seed, acting_user=user)
        except ValidationError as exc:
            apply_validation_error(form, exc)
    context = {"form": form, "preview": preview}
    if preview is not None:
        context["rows"] = _result_rows(preview.result.as_dict(), preview.inputs, preview.names)
    return render(request, "pairing/draw_form.html", context)


def _result_rows(result: dict, inputs: dict, names: dict[str, str] | None = None, *, page=None) -> dict:
    """What a draw's result shows: one page of its pairs and the first unpaired branches of each
    side, with the counts. A county's draw holds thousands of each (固始县: 8,103 pairs and 9,394
    unpaired helpers at province scale), which took seconds to render on one page.

    ``names`` maps codes to branch names; without it, the names of the rows shown are looked up.
    """
    from ..choices import Grade

    label = {g.value: g.label for g in Grade}
    # A list in memory, shown a numbered page at a time: Django's Paginator slices it (no query); the
    # keyset paginator is for querysets.
    pairs_page = Paginator(result["pairs"], DRAW_ROWS_SHOWN).get_page(page)
    helpers_left = result["unpaired_helpers"][:DRAW_ROWS_SHOWN]
    partners_left = result["unpaired_partners"][:DRAW_ROWS_SHOWN]
    if names is None:
        codes = {code for p in pairs_page for code in (p["helper"], p["partner"])}
        names = dict(
            Branch.objects.filter(code__in=codes | {*helpers_left, *partners_left}).values_list("code", "name")
        )
    pairs = [
        {
            "helper": p["helper"],
            "helper_name": names.get(p["helper"], ""),
            "helper_grade": label.get(p["helper_grade"], ""),
            "partner": p["partner"],
            "partner_name": names.get(p["partner"], ""),
            "partner_grade": label.get(p["partner_grade"], ""),
            "double": p["double"],
        }
        for p in pairs_page
    ]
    return {
        "pairs": pairs,
        "pairs_page": pairs_page,
        "pair_count": len(result["pairs"]),
        "shown": DRAW_ROWS_SHOWN,
        "unpaired_helpers": [(c, names.get(c, ""), label.get(inputs["helpers"].get(c), "")) for c in helpers_left],
        "unpaired_helper_count": len(result["unpaired_helpers"]),
        "unpaired_partners": [(c, names.get(c, ""), label.get(inputs["partners"].get(c), "")) for c in partners_left],
        "unpaired_partner_count": len(result["unpaired_partners"]),
    }


@login_required
def draw_list(request):
    """Draws in scope, newest first, one keyset page at a time."""
    page = keyset_page(
        draw_selectors.draw_list(user=request.user),
        Keyset(*draw_selectors.DRAW_LIST_ORDER),
        size=PAGE_SIZE,
        **cursors(request.GET),
    )
    context = {
        "page": page,
        "query": page_query(request.GET),
        "can_draw": bool(draw_selectors.draw_regions(user=request.user)),
    }
    return render(request, "pairing/draw_list.html", context)


@login_required
def draw_detail(request, pk: int):
    """A recorded draw: its inputs, result, and the verification re-run (一致/不一致)."""
    draw = draw_selectors.draw_get(user=request.user, pk=pk)
    context = {
        "draw": draw,
        "verified": draw_services.draw_verify(draw=draw),
        "rows": _result_rows(
            draw_selectors.draw_result_visible(user=request.user, draw=draw),
            draw.inputs,
            page=request.GET.get("page"),
        ),
        "paged": True,
        "helper_count": len(draw.inputs.get("helpers", {})),
        "partner_count": len(draw.inputs.get("partners", {})),
    }
    return render(request, "pairing/draw_detail.html", context)
