"""Coverage (结对覆盖率) per county and for the city level, with the uncovered partners and 一帮二 list."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from .. import scope, selectors_pairing
from ..choices import REGION_SCOPED_ROLES

UNCOVERED_SHOWN = 200


@login_required
def coverage(request):
    user = request.user
    if not (user.is_superuser or user.role in REGION_SCOPED_ROLES):
        raise PermissionDenied
    uncovered = selectors_pairing.uncovered_partners(user=user)
    context = {
        "coverage": selectors_pairing.coverage(user=user),
        "uncovered": list(uncovered[:UNCOVERED_SHOWN]),
        "uncovered_shown": UNCOVERED_SHOWN,
        "doubles": list(selectors_pairing.doubles(user=user)[:UNCOVERED_SHOWN]),
        "can_manage": scope.can_manage(user),
    }
    return render(request, "pairing/coverage.html", context)
