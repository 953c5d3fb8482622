"""Landing and community pages of 双报到、双服务.

Out-of-scope objects are 404 (scoped ``get_object_or_404``); in scope but without the
right role is 403 (``volunteers.perms``, or the services raising ``PermissionDenied``).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render

from .. import perms, selectors
from .common import page_of


@login_required
def index(request):
    """Each role lands on its own volunteers page."""
    user = request.user
    if perms.runs_a_community(user):
        return redirect("volunteers:community_detail", pk=user.branch_id)
    if perms.is_member(user):
        return redirect("volunteers:my_record")
    if perms.runs_unit(user):
        return redirect("volunteers:unit_detail", pk=user.branch_id)
    if perms.oversees_region(user):
        return redirect("volunteers:community_list")
    return redirect("volunteers:demand_list")


@login_required
def community_list(request):
    user = request.user
    if not perms.may_list_communities(user):
        raise PermissionDenied
    quarter = selectors.Quarter.current()
    communities = selectors.communities_with_figures(user=user, quarter=quarter)
    context = {**page_of(request, communities, selectors.COMMUNITIES_BY_PLACE), "quarter": quarter}
    return render(request, "volunteers/community_list.html", context)


@login_required
def community_detail(request, pk: int):
    user = request.user
    community = selectors.community_get(user=user, pk=pk)
    quarter = selectors.Quarter.current()
    is_secretary = perms.runs_community(user, community)
    registrations = list(selectors.community_registrations(community=community, quarter=quarter))
    demands = selectors.demands_of_community(user=user, community=community)
    context = {
        "community": community,
        "quarter": quarter,
        "is_secretary": is_secretary,
        "figures": selectors.community_figures(community=community, quarter=quarter),
        "registrations": registrations,
        "projects": demands["projects"][:20],
        "wishes": demands["wishes"][:20],
        "whistles": demands["whistles"][:10],
        "pending_hours": selectors.hours_pending(user=user, community=community)[:50],
    }
    return render(request, "volunteers/community_detail.html", context)
