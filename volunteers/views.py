"""Pages of 双报到、双服务. Thin: fetch through a scoped selector, validate a form, call one service.

Out-of-scope objects are 404 (scoped ``get_object_or_404``); in scope but without the
right role is 403 (services raise ``PermissionDenied``).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pairing.choices import HELPER_KINDS, REGION_SCOPED_ROLES, Role
from twinning import files
from twinning.params import query_year
from twinning.views import apply_validation_error

from . import selectors, services
from .choices import MEMBER_QUARTER_TARGET_HOURS, HourStatus, OpenClosed, RegistrationStatus, WishStatus
from .forms import (
    AssignForm,
    HourEntryForm,
    MemberRegistrationForm,
    ProjectForm,
    ReasonForm,
    UnitRegistrationForm,
    WhistleForm,
    WishForm,
    WishFulfilForm,
)
from .models import Claim, Project, Registration, Whistle, WhistleResponse, Wish

PAGE_SIZE = 30


def _flash_error(request, exc: ValidationError) -> None:
    messages.error(request, "；".join(exc.messages))


# --- landing and community pages ---------------------------------------------------------------


@login_required
def index(request):
    """Each role lands on its own volunteers page."""
    user = request.user
    if user.role == Role.COMMUNITY_SECRETARY and user.branch_id:
        return redirect("volunteers:community_detail", pk=user.branch_id)
    if user.role == Role.MEMBER:
        return redirect("volunteers:my_record")
    if user.role == Role.SECRETARY and user.branch_id and user.branch.kind in HELPER_KINDS:
        return redirect("volunteers:unit_detail", pk=user.branch_id)
    if user.is_superuser or user.role in REGION_SCOPED_ROLES:
        return redirect("volunteers:community_list")
    return redirect("volunteers:demand_list")


@login_required
def community_list(request):
    user = request.user
    if not (user.is_superuser or user.role in REGION_SCOPED_ROLES or user.role == Role.COMMUNITY_SECRETARY):
        raise PermissionDenied
    quarter = selectors.Quarter.current()
    page = Paginator(selectors.communities_with_figures(user=user, quarter=quarter), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "volunteers/community_list.html", {"page": page, "quarter": quarter})


@login_required
def community_detail(request, pk: int):
    user = request.user
    community = selectors.community_get(user=user, pk=pk)
    quarter = selectors.Quarter.current()
    is_secretary = services.is_community_secretary(user, community)
    registrations = list(selectors.community_registrations(community=community, quarter=quarter))
    context = {
        "community": community,
        "quarter": quarter,
        "is_secretary": is_secretary,
        "figures": selectors.community_figures(community=community, quarter=quarter),
        "registrations": registrations,
        "projects": selectors.projects_visible(user=user).filter(community=community)[:20],
        "wishes": selectors.wishes_visible(user=user).filter(community=community)[:20],
        "whistles": selectors.whistles_visible(user=user).filter(community=community)[:10],
        "pending_hours": selectors.hours_visible(user=user)
        .filter(community=community, status=HourStatus.PENDING)
        .order_by("served_on", "starts_at")[:50],
    }
    return render(request, "volunteers/community_detail.html", context)


# --- registrations (报到) -----------------------------------------------------------------------


@login_required
def register_member(request):
    user = request.user
    if user.role != Role.MEMBER:
        raise PermissionDenied
    communities = selectors.communities_to_register(user=user)
    form = MemberRegistrationForm(request.POST or None, communities=communities)
    if request.method == "POST" and form.is_valid():
        try:
            services.registration_member_create(member=user, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("报到已提交，等待社区审核。"))
            return redirect("volunteers:my_record")
    history = selectors.registrations_visible(user=user).filter(member=user)
    return render(request, "volunteers/register.html", {"form": form, "history": history, "unit": False})


@login_required
def register_unit(request):
    user = request.user
    if user.role != Role.SECRETARY or not user.branch_id or user.branch.kind not in HELPER_KINDS:
        raise PermissionDenied
    form = UnitRegistrationForm(
        request.POST or None, request.FILES or None, communities=selectors.communities_to_register(user=user)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.registration_unit_create(acting_user=user, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("单位报到已提交，等待社区审核。"))
            return redirect("volunteers:unit_detail", pk=user.branch_id)
    history = selectors.registrations_visible(user=user).filter(branch_id=user.branch_id)
    return render(request, "volunteers/register.html", {"form": form, "history": history, "unit": True})


@require_POST
@login_required
def registration_decide(request, pk: int):
    registration = selectors.registration_get(user=request.user, pk=pk)
    accept = request.POST.get("decision") == "accept"
    form = ReasonForm(request.POST)
    form.is_valid()
    try:
        services.registration_decide(
            registration=registration,
            acting_user=request.user,
            accept=accept,
            reason=form.cleaned_data.get("reason", ""),
        )
    except ValidationError as exc:
        _flash_error(request, exc)
    else:
        messages.success(request, _("已通过报到。") if accept else _("已退回报到。"))
    return redirect("volunteers:community_detail", pk=registration.community_id)


@login_required
def registration_agreement(request, pk: int):
    """The co-building agreement, served only to whoever may see the registration."""
    registration = selectors.registration_get(user=request.user, pk=pk)
    return files.file_response(registration.agreement, download_name=_("共驻共建协议"))


# --- demand list and claims --------------------------------------------------------------------


@login_required
def demand_list(request):
    """需求清单: open projects, wishes and whistles of the communities the user may see."""
    user = request.user
    projects = selectors.projects_visible(user=user).filter(status=OpenClosed.OPEN).order_by("starts_on", "pk")
    page = Paginator(projects, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "wishes": selectors.wishes_visible(user=user).filter(status=WishStatus.OPEN)[:PAGE_SIZE],
        "whistles": selectors.whistles_visible(user=user).filter(status=OpenClosed.OPEN)[:10],
    }
    return render(request, "volunteers/demand_list.html", context)


def _community_for_writing(request, pk: int):
    community = selectors.community_get(user=request.user, pk=pk)
    if not services.is_community_secretary(request.user, community):
        raise PermissionDenied
    return community


@login_required
def project_create(request, community_pk: int):
    community = _community_for_writing(request, community_pk)
    form = ProjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.project_create(acting_user=request.user, community=community, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已发布服务项目。"))
            return redirect(project)
    return render(request, "volunteers/form.html", {"form": form, "title": _("发布服务项目"), "community": community})


@login_required
def project_detail(request, pk: int):
    user = request.user
    project = selectors.project_get(user=user, pk=pk)
    is_secretary = services.is_community_secretary(user, project.community)
    claims = list(selectors.project_claims(project=project))
    assign_form = None
    if is_secretary and project.status == OpenClosed.OPEN:
        taken = [c.registration_id for c in claims]
        candidates = (
            Registration.objects.filter(community=project.community, status=RegistrationStatus.ACCEPTED)
            .exclude(pk__in=taken)
            .select_related("branch", "member")
        )
        assign_form = AssignForm(registrations=candidates)
    own = services.registration_of(user=user, community_id=project.community_id)
    context = {
        "project": project,
        "claims": claims,
        "is_secretary": is_secretary,
        "assign_form": assign_form,
        "can_claim": own is not None
        and project.status == OpenClosed.OPEN
        and all(c.registration_id != own.pk for c in claims),
    }
    return render(request, "volunteers/project_detail.html", context)


@require_POST
@login_required
def project_claim(request, pk: int):
    project = selectors.project_get(user=request.user, pk=pk)
    try:
        services.claim_create(project=project, acting_user=request.user)
    except ValidationError as exc:
        _flash_error(request, exc)
    else:
        messages.success(request, _("认领成功。"))
    return redirect(project)


@require_POST
@login_required
def project_assign(request, pk: int):
    project = selectors.project_get(user=request.user, pk=pk)
    if not services.is_community_secretary(request.user, project.community):
        raise PermissionDenied
    form = AssignForm(
        request.POST,
        registrations=Registration.objects.filter(community=project.community, status=RegistrationStatus.ACCEPTED),
    )
    if form.is_valid():
        try:
            services.claim_create(
                project=project, acting_user=request.user, registration=form.cleaned_data["registration"]
            )
        except ValidationError as exc:
            _flash_error(request, exc)
        else:
            messages.success(request, _("已指定认领。"))
    else:
        messages.error(request, _("请选择已在本社区报到的单位或党员。"))
    return redirect(project)


@require_POST
@login_required
def project_close(request, pk: int):
    project = selectors.project_get(user=request.user, pk=pk)
    services.project_close(project=project, acting_user=request.user)
    messages.success(request, _("项目已结束认领。"))
    return redirect(project)


# --- micro-wishes ------------------------------------------------------------------------------


@login_required
def wish_create(request, community_pk: int):
    community = _community_for_writing(request, community_pk)
    form = WishForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            wish = services.wish_create(acting_user=request.user, community=community, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已录入微心愿。"))
            return redirect(wish)
    return render(request, "volunteers/form.html", {"form": form, "title": _("录入微心愿"), "community": community})


@login_required
def wish_detail(request, pk: int):
    user = request.user
    wish = selectors.wish_get(user=user, pk=pk)
    is_claimer = wish.claimed_by_id == user.pk
    context = {
        "wish": wish,
        "resident": selectors.resident_name_for(user=user, wish=wish),
        "is_secretary": services.is_community_secretary(user, wish.community),
        "can_claim": wish.status == WishStatus.OPEN
        and user.role == Role.MEMBER
        and services.registration_of(user=user, community_id=wish.community_id) is not None,
        "fulfil_form": WishFulfilForm() if is_claimer and wish.status == WishStatus.CLAIMED else None,
    }
    return render(request, "volunteers/wish_detail.html", context)


@require_POST
@login_required
def wish_claim(request, pk: int):
    wish = selectors.wish_get(user=request.user, pk=pk)
    try:
        services.wish_claim(wish=wish, member=request.user)
    except ValidationError as exc:
        _flash_error(request, exc)
    else:
        messages.success(request, _("已认领微心愿。"))
    return redirect(wish)


@login_required
def wish_fulfil(request, pk: int):
    wish = selectors.wish_get(user=request.user, pk=pk)
    if wish.claimed_by_id != request.user.pk:
        raise PermissionDenied
    form = WishFulfilForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.wish_fulfil(wish=wish, member=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已提交圆梦情况，等待社区确认。"))
            return redirect(wish)
    return render(
        request, "volunteers/form.html", {"form": form, "title": _("提交圆梦情况"), "community": wish.community}
    )


@require_POST
@login_required
def wish_confirm(request, pk: int):
    wish = selectors.wish_get(user=request.user, pk=pk)
    try:
        services.wish_confirm(wish=wish, acting_user=request.user)
    except ValidationError as exc:
        _flash_error(request, exc)
    else:
        messages.success(request, _("已确认圆梦。"))
    return redirect(wish)


@login_required
def wish_photo(request, pk: int):
    wish = selectors.wish_get(user=request.user, pk=pk)
    return files.file_response(wish.photo)


# --- whistles ----------------------------------------------------------------------------------


@login_required
def whistle_create(request, community_pk: int):
    community = _community_for_writing(request, community_pk)
    form = WhistleForm(request.POST or None, initial={"happens_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            whistle = services.whistle_create(acting_user=request.user, community=community, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已吹哨，已通知本社区报到的单位和党员。"))
            return redirect(whistle)
    return render(request, "volunteers/form.html", {"form": form, "title": _("社区吹哨"), "community": community})


@login_required
def whistle_detail(request, pk: int):
    user = request.user
    whistle = selectors.whistle_get(user=user, pk=pk)
    responses = list(selectors.whistle_responses(whistle=whistle))
    own = services.registration_of(user=user, community_id=whistle.community_id)
    context = {
        "whistle": whistle,
        "responses": responses,
        "is_secretary": services.is_community_secretary(user, whistle.community),
        "can_respond": own is not None
        and whistle.status == OpenClosed.OPEN
        and all(r.registration_id != own.pk for r in responses),
    }
    return render(request, "volunteers/whistle_detail.html", context)


@require_POST
@login_required
def whistle_respond(request, pk: int):
    whistle = selectors.whistle_get(user=request.user, pk=pk)
    try:
        services.whistle_respond(whistle=whistle, acting_user=request.user)
    except ValidationError as exc:
        _flash_error(request, exc)
    else:
        messages.success(request, _("已响应吹哨，请按时到岗。"))
    return redirect(whistle)


@require_POST
@login_required
def whistle_close(request, pk: int):
    whistle = selectors.whistle_get(user=request.user, pk=pk)
    services.whistle_close(whistle=whistle, acting_user=request.user)
    messages.success(request, _("吹哨事项已结束。"))
    return redirect(whistle)


# --- hours -------------------------------------------------------------------------------------


def _hour_targets(user) -> list[tuple[str, str]]:
    """What a member may log hours against: projects they or their unit claimed, wishes they
    claimed, whistles they or their unit answered."""
    own = Registration.objects.filter(member=user)
    if user.branch_id:
        own = Registration.objects.filter(member=user) | Registration.objects.filter(branch_id=user.branch_id)
    claims = Claim.objects.filter(registration__in=own).select_related("project").order_by("-project__starts_on")
    wishes = Wish.objects.filter(claimed_by=user).order_by("-claimed_at")
    responses = (
        WhistleResponse.objects.filter(registration__in=own).select_related("whistle").order_by("-whistle__happens_on")
    )
    choices = [(f"project:{c.project_id}", _("项目：%(t)s") % {"t": c.project.title}) for c in claims]
    choices += [(f"wish:{w.pk}", _("微心愿：%(t)s") % {"t": w.title}) for w in wishes]
    choices += [(f"whistle:{r.whistle_id}", _("吹哨：%(t)s") % {"t": r.whistle.title}) for r in responses]
    return list(dict(choices).items())


@login_required
def hours_create(request):
    user = request.user
    if user.role != Role.MEMBER:
        raise PermissionDenied
    targets = _hour_targets(user)
    initial = {"target": request.GET.get("target", "")}
    form = HourEntryForm(request.POST or None, targets=targets, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        kind, _sep, target_id = data.pop("target").partition(":")
        model = {"project": Project, "wish": Wish, "whistle": Whistle}[kind]
        target = model.objects.get(pk=int(target_id))
        try:
            services.hours_record(member=user, **{kind: target}, **data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, _("已提交志愿服务时长，等待社区审核。"))
            return redirect("volunteers:my_record")
    return render(request, "volunteers/form.html", {"form": form, "title": _("填报志愿服务时长")})


@require_POST
@login_required
def hours_decide(request, pk: int):
    entry = selectors.hours_get(user=request.user, pk=pk)
    verify = request.POST.get("decision") == "verify"
    form = ReasonForm(request.POST)
    form.is_valid()
    try:
        services.hours_decide(
            entry=entry, acting_user=request.user, verify=verify, reason=form.cleaned_data.get("reason", "")
        )
    except ValidationError as exc:
        _flash_error(request, exc)
    else:
        messages.success(request, _("已认定时长。") if verify else _("已退回时长。"))
    return redirect("volunteers:community_detail", pk=entry.community_id)


# --- member and unit pages ---------------------------------------------------------------------


@login_required
def my_record(request):
    if request.user.role != Role.MEMBER:
        raise PermissionDenied
    return member_detail(request, pk=request.user.pk)


@login_required
def member_detail(request, pk: int):
    user = request.user
    member = selectors.member_get(user=user, pk=pk)
    quarter = selectors.Quarter.current()
    # Others see the member's entries and registrations only at the communities in their scope.
    entries = selectors.hours_visible(user=user).filter(member=member)
    registrations = selectors.registrations_visible(user=user).filter(member=member)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "member": member,
        "is_self": member.pk == user.pk,
        "quarter": quarter,
        "summary": selectors.member_summary(member=member, quarter=quarter),
        "registrations": registrations,
        "page": page,
        "wishes": Wish.objects.filter(claimed_by=member).select_related("community")[:20]
        if member.pk == user.pk
        else [],
    }
    return render(request, "volunteers/member_detail.html", context)


@login_required
def member_certificate(request, pk: int):
    """A printable service certificate (服务证明) of a member's verified hours in a year."""
    member = selectors.member_get(user=request.user, pk=pk)
    year = query_year(request, label=_("年度"))
    rows = selectors.member_yearly_record(member=member, year=year)
    context = {
        "member": member,
        "year": year,
        "rows": rows,
        "total": round(sum(r["hours"] for r in rows), 1),
        "community": Registration.objects.filter(member=member, status=RegistrationStatus.ACCEPTED)
        .select_related("community")
        .first(),
        "today": timezone.localdate(),
    }
    return render(request, "volunteers/certificate.html", context)


@login_required
def unit_detail(request, pk: int):
    user = request.user
    branch = selectors.unit_get(user=user, pk=pk)
    quarter = selectors.Quarter.current()
    page = Paginator(selectors.unit_members(branch=branch, quarter=quarter), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {
        "branch": branch,
        "quarter": quarter,
        "targets": selectors.unit_targets(branch=branch, quarter=quarter),
        "page": page,
        "target_minutes": MEMBER_QUARTER_TARGET_HOURS * 60,
        "registrations": Registration.objects.filter(branch=branch).select_related("community"),
        "claims": Claim.objects.filter(registration__branch=branch)
        .select_related("project", "project__community")
        .order_by("-project__starts_on")[:20],
        "is_own": user.branch_id == branch.pk,
    }
    return render(request, "volunteers/unit_detail.html", context)
