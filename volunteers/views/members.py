"""A member's record and certificate, a unit's standing."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from twinning.params import query_year

from .. import perms, selectors
from ..choices import MEMBER_QUARTER_TARGET_HOURS
from .common import page_of


@login_required
def my_record(request):
    if not perms.is_member(request.user):
        raise PermissionDenied
    return member_detail(request, pk=request.user.pk)


@login_required
def member_detail(request, pk: int):
    user = request.user
    member = selectors.member_get(user=user, pk=pk)
    quarter = selectors.Quarter.current()
    is_self = member.pk == user.pk
    context = {
        "member": member,
        "is_self": is_self,
        "quarter": quarter,
        "summary": selectors.member_summary(member=member, quarter=quarter),
        "registrations": selectors.member_registrations(user=user, member=member),
        **page_of(request, selectors.member_hours(user=user, member=member), selectors.HOURS_NEWEST_FIRST),
        "wishes": selectors.wishes_claimed_by(member=member)[:20] if is_self else [],
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
        "community": selectors.member_home_registration(member=member),
        "today": timezone.localdate(),
    }
    return render(request, "volunteers/certificate.html", context)


@login_required
def unit_detail(request, pk: int):
    user = request.user
    branch = selectors.unit_get(user=user, pk=pk)
    quarter = selectors.Quarter.current()
    context = {
        "branch": branch,
        "quarter": quarter,
        "targets": selectors.unit_targets(branch=branch, quarter=quarter),
        **page_of(request, selectors.unit_members(branch=branch, quarter=quarter), selectors.BY_STANDING),
        "target_minutes": MEMBER_QUARTER_TARGET_HOURS * 60,
        "registrations": selectors.unit_registrations(branch=branch),
        "claims": selectors.unit_claims(branch=branch)[:20],
        "is_own": user.branch_id == branch.pk,
    }
    return render(request, "volunteers/unit_detail.html", context)
