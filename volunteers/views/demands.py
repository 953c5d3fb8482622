"""The demand list (需求清单) and service projects: publish, claim (认领), assign, close."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import perms, selectors, services
from ..choices import OpenClosed
from ..forms import AssignForm, ProjectForm
from .common import PAGE_SIZE, button_pressed, community_item_form, page_of


@login_required
def demand_list(request):
    """需求清单: open projects, wishes and whistles of the communities the user may see."""
    user = request.user
    demands = selectors.demands_open(user=user)
    context = {
        **page_of(request, demands["projects"], selectors.PROJECTS_BY_START),
        "wishes": demands["wishes"][:PAGE_SIZE],
        "whistles": demands["whistles"][:10],
    }
    return render(request, "volunteers/demand_list.html", context)


@login_required
def project_create(request, community_pk: int):
    return community_item_form(
        request,
        community_pk,
        form_class=ProjectForm,
        create=services.project_create,
        title=_("发布服务项目"),
        success=_("已发布服务项目。"),
    )


@login_required
def project_detail(request, pk: int):
    user = request.user
    project = selectors.project_get(user=user, pk=pk)
    is_secretary = perms.runs_community(user, project.community)
    claims = list(selectors.project_claims(project=project))
    assign_form = None
    if is_secretary and project.status == OpenClosed.OPEN:
        candidates = selectors.registrations_unclaimed(project=project, claims=claims)
        assign_form = AssignForm(registrations=candidates)
    context = {
        "project": project,
        "claims": claims,
        "is_secretary": is_secretary,
        "assign_form": assign_form,
        "can_claim": perms.may_take_part(user, project, taken=claims),
    }
    return render(request, "volunteers/project_detail.html", context)


@require_POST
@login_required
def project_claim(request, pk: int):
    project = selectors.project_get(user=request.user, pk=pk)
    button_pressed(
        request, lambda: services.claim_create(project=project, acting_user=request.user), success=_("认领成功。")
    )
    return redirect(project)


@require_POST
@login_required
def project_assign(request, pk: int):
    project = selectors.project_get(user=request.user, pk=pk)
    if not perms.runs_community(request.user, project.community):
        raise PermissionDenied
    form = AssignForm(request.POST, registrations=selectors.registrations_accepted(community=project.community))
    if form.is_valid():
        button_pressed(
            request,
            lambda: services.claim_create(
                project=project, acting_user=request.user, registration=form.cleaned_data["registration"]
            ),
            success=_("已指定认领。"),
        )
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
