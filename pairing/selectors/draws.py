"""Reads of draws (抽签): where the user may draw, the draws they may see, and the rows of a result
they may read."""

from __future__ import annotations

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from .. import scope
from ..choices import RegionLevel
from ..models import Branch, Draw, Pairing, Region

# Newest first, as a keyset order (twinning/keyset.py); the primary key breaks ties.
DRAW_LIST_ORDER = ("-created_at", "-id")


def draw_regions(*, user) -> list[Region]:
    """Where the user may run a draw: their county, or their city (city level) and its counties."""
    if user.is_superuser:
        cities = list(Region.objects.filter(level=RegionLevel.CITY).order_by("path"))
        counties = list(Region.objects.filter(level=RegionLevel.COUNTY).order_by("path"))
        return cities + counties
    if not scope.can_manage(user):
        return []
    region = user.region
    if region.level == RegionLevel.CITY:
        return [region, *Region.objects.filter(parent=region, level=RegionLevel.COUNTY).order_by("path")]
    if region.level == RegionLevel.COUNTY:
        return [region]
    return []


def _draws_visible(*, user) -> QuerySet[Draw]:
    return Draw.objects.visible_to(user).select_related("region", "campaign", "created_by")


def draw_list(*, user) -> QuerySet[Draw]:
    """Draws whose county (or city) the user may see, newest first, with their pairing count.

    Without their inputs and results: a county's draw records every branch that took part
    (hundreds of kilobytes of JSON at province scale), which the list never shows.
    """
    pairings = Pairing.objects.filter(draw=OuterRef("pk")).order_by().values("draw").annotate(n=Count("pk")).values("n")
    return (
        _draws_visible(user=user)
        .defer("inputs", "result")
        .annotate(pairing_count=Coalesce(Subquery(pairings), 0))
        .order_by(*DRAW_LIST_ORDER)
    )


def draw_get(*, user, pk: int) -> Draw:
    return get_object_or_404(_draws_visible(user=user), pk=pk)


def draw_result_visible(*, user, draw: Draw) -> dict:
    """The rows of a draw's result the user may see: staff and leaders (whose region holds the draw)
    every row; a secretary, member or community secretary, whose scope is their branch, only the
    rows naming their own branch (its pair, or the branch left unpaired)."""
    result = draw.result
    if scope.sees_region(user):
        return result
    own = set(Branch.objects.filter(pk=user.branch_id).values_list("code", flat=True)) if user.branch_id else set()
    return result | {
        "pairs": [p for p in result["pairs"] if p["helper"] in own or p["partner"] in own],
        "unpaired_helpers": [code for code in result["unpaired_helpers"] if code in own],
        "unpaired_partners": [code for code in result["unpaired_partners"] if code in own],
    }
