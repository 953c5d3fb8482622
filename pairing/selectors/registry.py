"""Reads of the registry. Every function starts from what the user may see."""

from __future__ import annotations

import functools

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.shortcuts import get_object_or_404
from django.utils import timezone

from twinning.memo import memoized

from .. import scope
from ..choices import HELPER_KINDS, PARTNER_KINDS, RegionLevel
from ..models import Branch, BranchGrade, OptimisationCampaign, OptimisationRecord, Region, Unit


def current_year() -> int:
    return timezone.localdate().year


def current_optimisation_campaign(*, city_id: int | None) -> OptimisationCampaign | None:
    if city_id is None:
        return None
    return OptimisationCampaign.objects.filter(city_id=city_id, is_current=True).first()


def optimisation_campaigns(*, city_id: int) -> tuple:
    """(pk, name, starts_on, is_current) of each of a city's optimisation campaigns: what decides how
    the optimisation form is drawn (pairing/forms/registry.py). Plain SQL: it is read on every branch
    page a manager opens, only to find that form already drawn."""
    table = connection.ops.quote_name(OptimisationCampaign._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, name, starts_on, is_current FROM {table} WHERE city_id = %s ORDER BY id",  # noqa: S608
            [city_id],
        )
        return tuple(cursor.fetchall())


def graded(*, year: int | None = None, grade: str | None = None) -> Exists:
    """ "Has a grade for ``year`` (this one by default), ``grade`` if given", for a branch list filter."""
    grades = BranchGrade.objects.filter(branch=OuterRef("pk"), year=year or current_year())
    return Exists(grades.filter(grade=grade) if grade else grades)


def branch_list(*, user, year: int | None = None) -> QuerySet[Branch]:
    """Branches in the user's scope, with this year's grade and the optimised flag annotated.

    The grade is a correlated subquery evaluated per row fetched; the list page fetches its 50 rows
    by primary key after paging their keys (twinning/keyset.py), and its grade filter tests EXISTS
    instead (``graded``), so it runs for no row not shown. ``is_optimised`` is the branch's flag.
    """
    year = year or current_year()
    grade = BranchGrade.objects.filter(branch=OuterRef("pk"), year=year).order_by().values("grade")[:1]
    return (
        Branch.objects.visible_to(user)
        .select_related("county", "township", "unit", "region")
        .annotate(current_grade=Subquery(grade), is_optimised=F("optimised"))
    )


def branch_rows(branches: QuerySet[Branch]) -> QuerySet:
    """The branch list's columns of ``branches`` (from ``branch_list``) as named tuples.

    The list shows columns, not branches: a model instance for each branch and each of its related
    rows (county, township, unit, village) was a fifth of the page's time at 50 rows.
    """
    return branches.annotate(county_name=F("county__name"), township_name=F("township__name")).values_list(
        "pk",
        "code",
        "name",
        "kind",
        "level",
        "city_id",
        "county_id",
        "township_id",
        "county_name",
        "township_name",
        "secretary_name",
        "secretary_phone",
        "member_count",
        "current_grade",
        "is_optimised",
        named=True,
    )


def branch_get(*, user, pk: int) -> Branch:
    """One branch in the user's scope; 404 outside it."""
    return get_object_or_404(branch_list(user=user), pk=pk)


def regions_visible(*, user) -> QuerySet[Region]:
    return Region.objects.visible_to(user)


def _regions_below_roots(depth: int) -> QuerySet:
    """Ids of the regions ``depth`` levels below a root (a city), found down the parent index.

    The tree has fixed levels (市 → 县/区 → 乡镇/街道 → 村/社区), so this only restates the level;
    but there is no index on level, and at province scale a level filter alone scans ~50,000
    villages (5 ms) where walking the parent index reads a few hundred rows (0.5 ms).
    """
    ids = Region.objects.filter(parent__isnull=True).values("pk")
    for _ in range(depth):
        ids = Region.objects.filter(parent_id__in=ids).values("pk")
    return ids


def counties_visible(*, user) -> QuerySet[Region]:
    return (
        regions_visible(user=user)
        .filter(level=RegionLevel.COUNTY, parent_id__in=_regions_below_roots(0))
        .order_by("path")
    )


def townships_visible(*, user) -> QuerySet[Region]:
    return (
        regions_visible(user=user)
        .filter(level=RegionLevel.TOWNSHIP, parent_id__in=_regions_below_roots(1))
        .select_related("parent")
        .order_by("path")
    )


def regions_stamp() -> int:
    """The newest region's id: one read of the primary key index, and no ORM query to compile."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {connection.ops.quote_name(Region._meta.db_table)}")  # noqa: S608
        return cursor.fetchone()[0] or 0


# The regions a filter form offers, read once per scope, county chosen and stamp. The stamp is the
# newest region's id, so a region added (a township by a roster import, or in the admin) shows at
# once; a region renamed in the admin shows within the memo's minute.
@memoized(
    key=lambda *, user, names, county=None: (scope.scope_key(user), names, county),
    stamp=regions_stamp,
    size=512,
    ttl=60,
)
def region_choices(*, user, names: tuple[str, ...], county: int | None = None) -> dict[str, tuple]:
    """(pk, name) rows of the regions a list's filter form offers, for each of ``names`` ("county",
    "township"; the townships of ``county`` when one is chosen). Read as pairs, the label
    ``Region.__str__`` gives: iterating the field built a model instance per option (~200 townships,
    with their counties)."""
    readers = {
        "county": lambda: counties_visible(user=user),
        "township": lambda: townships_visible(user=user).filter(**({} if county is None else {"parent_id": county})),
    }
    return {name: tuple(readers[name]().values_list("pk", "name")) for name in names}


def units_visible(*, user) -> QuerySet[Unit]:
    """Units a user may attach a branch to: those of their city, limited to their county if they have one."""
    return Unit.objects.visible_to(user)


def branch_page(*, user, pk: int) -> dict:
    """A branch in the user's scope (404 outside it) with the names of its regions and unit, its grades
    and optimisation records (named tuples), and this year's grade read off its grades rather than
    annotated.

    The page lists every grade anyway; the list's grade annotation was one more subquery to compile
    for a figure already in hand.
    """
    branch = get_object_or_404(
        Branch.objects.visible_to(user).annotate(
            county_name=F("county__name"),
            township_name=F("township__name"),
            region_name=F("region__name"),
            unit_name=F("unit__name"),
        ),
        pk=pk,
    )
    grades = list(
        BranchGrade.objects.filter(branch_id=branch.pk)
        .order_by("-year")
        .values_list("year", "grade", "graded_by__display_name", "graded_by__username", named=True)
    )
    optimisations = list(
        OptimisationRecord.objects.filter(branch_id=branch.pk)
        .order_by("-done_on")
        .values_list("action", "done_on", "note", "campaign__name", named=True)
    )
    year = current_year()
    branch.current_grade = next((g.grade for g in grades if g.year == year), None)
    branch.is_optimised = branch.optimised
    return {"branch": branch, "grades": grades, "optimisations": optimisations}


@functools.cache
def _branch_history_fields() -> tuple[type, list]:
    """The historical branch model and the fields ``diff_against`` compares, by name. Once: each
    ``Branch.history`` builds a manager class (inspecting every queryset method, 0.4 ms)."""
    historical = Branch.history.model
    return historical, sorted((f for f in historical.tracked_fields if f.editable), key=lambda f: f.name)


def branch_history(*, branch: Branch, limit: int = 50) -> list[dict]:
    """The latest changes to a branch, each with its field changes (before → after), as
    ``{"record": {"history_date", "history_user", "history_type"}, "changes": [{"field", "old", "new"}]}``.

    Read as values and compared here as ``diff_against`` compares (the tracked editable fields by
    name, foreign keys as ids): a historical instance and its user per record was the costliest
    query of the branch page.
    """
    historical, fields = _branch_history_fields()
    rows = list(
        historical.objects.filter(id=branch.pk)
        .order_by("-history_date", "-history_id")
        .values_list(
            "history_date",
            "history_type",
            "history_user__display_name",
            "history_user__username",
            *(f.attname for f in fields),
        )[: limit + 1]
    )
    types = dict(historical._meta.get_field("history_type").flatchoices)
    entries = []
    for newer, older in zip(rows, [*rows[1:], None], strict=False):
        changes = []
        if older is not None:
            changes = [
                {"field": field.verbose_name, "old": old, "new": new}
                for field, old, new in zip(fields, older[4:], newer[4:], strict=True)
                if old != new
            ]
        user = newer[2] or newer[3]  # User.__str__: the display name, else the username
        record = {"history_date": newer[0], "history_user": user, "history_type": types.get(newer[1], newer[1])}
        entries.append({"record": record, "changes": changes})
    return entries[:limit]


def scope_summary(*, user, year: int | None = None) -> dict:
    """Headline counts of the user's scope for the home page, in one aggregate query."""
    year = year or current_year()
    graded = Exists(BranchGrade.objects.filter(branch=OuterRef("pk"), year=year))
    optimised = Exists(OptimisationRecord.objects.filter(branch=OuterRef("pk"), campaign__is_current=True))
    return Branch.objects.visible_to(user).aggregate(
        total=Count("pk"),
        helpers=Count("pk", filter=Q(kind__in=HELPER_KINDS)),
        partners=Count("pk", filter=Q(kind__in=PARTNER_KINDS)),
        graded=Count("pk", filter=Q(graded)),
        optimised=Count("pk", filter=Q(optimised)),
    )
