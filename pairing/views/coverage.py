"""Coverage (结对覆盖率) per county and for the city level, with the uncovered partners and 一帮二 list."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from .. import scope
from ..selectors import coverage as coverage_selectors


@login_required
def coverage(request):
    user = request.user
    if not scope.sees_region(user):
        raise PermissionDenied
    context = {
        **coverage_selectors.coverage_figures(user=user),
        "uncovered_shown": coverage_selectors.UNCOVERED_SHOWN,
        "can_manage": scope.can_manage(user),
    }
    return render(request, "pairing/coverage.html", context)
