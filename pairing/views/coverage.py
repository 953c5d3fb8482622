"""Coverage (结对覆盖率) per county and for the city level, with the uncovered partners and 一帮二 list."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from twinning.memo import ProcessMemo

from .. import scope
from ..selectors import coverage as coverage_selectors

UNCOVERED_SHOWN = 200
# Counting every branch of a city takes a few hundred ms at province scale, and the figures only
# move when a pairing, a branch or the current campaigns change: computed once per change (and at
# most every five minutes) per region scope, per worker.
_figures = ProcessMemo(size=256, ttl=300)


def _coverage_figures(user) -> dict:
    return {
        "coverage": coverage_selectors.coverage(user=user),
        "uncovered": list(coverage_selectors.uncovered_partners(user=user)[:UNCOVERED_SHOWN]),
        "doubles": list(coverage_selectors.doubles(user=user)[:UNCOVERED_SHOWN]),
    }


@login_required
def coverage(request):
    user = request.user
    if not scope.sees_region(user):
        raise PermissionDenied
    # The figures depend on the user only through their scope (scope.branch_q).
    key = (scope.scope_key(user), coverage_selectors.coverage_stamp())
    context = {
        **_figures.get(key, lambda: _coverage_figures(user)),
        "uncovered_shown": UNCOVERED_SHOWN,
        "can_manage": scope.can_manage(user),
    }
    return render(request, "pairing/coverage.html", context)
