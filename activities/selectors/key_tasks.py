"""Reads of the N list (N 项重点任务): lists, the pairings that report on them, progress."""

from __future__ import annotations

from django.db.models import Count, FilteredRelation, Q, QuerySet
from django.shortcuts import get_object_or_404

from pairing import scope
from pairing.choices import PairingStatus, RegionLevel
from pairing.models import Pairing, Region
from pairing.selectors.pairings import pairings_visible
from pairing.selectors.registry import regions_visible
from twinning.keyset import Keyset, Page, keyset_page

from ..choices import TaskProgress
from ..models import KeyTask, KeyTaskEvidence, KeyTaskList, KeyTaskReport
from .pairings import pairing_page, sees_every_pairing_in


def _task_lists(lists: QuerySet[KeyTaskList]) -> QuerySet[KeyTaskList]:
    return lists.select_related("region", "published_by").annotate(task_count=Count("tasks"))


def task_list_list(*, user) -> QuerySet[KeyTaskList]:
    return _task_lists(KeyTaskList.objects.visible_to(user))


# The index's order: the newest half year first, then by region.
NEWEST_HALF_FIRST = Keyset("-year", "-half", "region__path", "pk")


def task_list_index(*, user, size: int, after: str | None = None, before: str | None = None) -> Page:
    """A page of ``task_list_list`` as the index lists them: the newest half year first, then by region."""
    return keyset_page(task_list_list(user=user), NEWEST_HALF_FIRST, size=size, after=after, before=before)


def task_list_regions(*, user) -> QuerySet[Region]:
    """The regions the user may publish a list for: the cities and counties in their scope."""
    return regions_visible(user=user).filter(level__in=[RegionLevel.CITY, RegionLevel.COUNTY]).order_by("path")


def task_list_get(*, user, pk: int) -> KeyTaskList:
    return get_object_or_404(task_list_list(user=user), pk=pk)


def task_list_to_change(*, user, pk: int) -> KeyTaskList:
    """A list the user may change (``manageable_by``: carry it over); 404 outside it."""
    return get_object_or_404(_task_lists(KeyTaskList.objects.manageable_by(user)), pk=pk)


def task_list_pairings(*, task_list: KeyTaskList, user) -> QuerySet[Pairing]:
    """The active pairings that report on a list: in the list's region and in the user's scope."""
    return (
        pairings_visible(user=user)
        .filter(scope.region_pairing_q(task_list.region), status=PairingStatus.ACTIVE)
        .order_by("helper__code", "pk")
    )


def task_list_includes(*, task_list: KeyTaskList, user, pairing: Pairing) -> bool:
    """Whether ``pairing`` is one of ``task_list_pairings``: a pairing that reports on the list."""
    return task_list_pairings(task_list=task_list, user=user).filter(pk=pairing.pk).exists()


def task_list_page(
    *, task_list: KeyTaskList, user, size: int, after: str | None = None, before: str | None = None
) -> Page:
    """A page of ``task_list_pairings``, read from the list's region's side (see ``pairing_page``)."""
    where = Q(status=PairingStatus.ACTIVE)
    return pairing_page(user=user, where=where, region=task_list.region, size=size, after=after, before=before)


def task_list_pairing_ids(*, task_list: KeyTaskList, user) -> QuerySet:
    """The ids of ``task_list_pairings``, as a subquery for the list's totals.

    Someone who sees every pairing of the list's region (staff or a leader of it or above) gets
    the region's active pairings without the scope joins: one side's branch table each, joined
    once, instead of both branches of every pairing probed for the scope and the region.
    """
    region = task_list.region
    field = {RegionLevel.CITY: "city", RegionLevel.COUNTY: "county"}.get(region.level)
    if field is None or not sees_every_pairing_in(user, region):
        return task_list_pairings(task_list=task_list, user=user).order_by().values("pk")
    active = Pairing.objects.filter(status=PairingStatus.ACTIVE).order_by()
    return (
        active.filter(**{f"helper__{field}": region})
        .values("pk")
        .union(active.filter(**{f"partner__{field}": region}).values("pk"))
    )


def task_get(*, user, pk: int) -> KeyTask:
    return get_object_or_404(KeyTask.objects.filter(scope.region_q(user, "task_list__region__")), pk=pk)


def task_progress_by_item(*, task_list: KeyTaskList, pairings: QuerySet) -> list[dict]:
    """Per item: how many of the pairings reported it done / in progress / not started.

    ``pairings`` is a queryset of pairings or of their ids (``task_list_pairing_ids``). One query
    for the items, and one that reads the pairings once: their number and their reports on the
    list, counted by item and status.
    """
    tasks = list(task_list.tasks.select_related("carried_from__task_list"))
    reported = FilteredRelation("task_reports", condition=Q(task_reports__task_id__in=[t.pk for t in tasks]))
    counts = {"total": Count("pk", distinct=True)}
    for t in tasks:
        for status in (TaskProgress.DONE, TaskProgress.IN_PROGRESS):
            counts[f"{status}_{t.pk}"] = Count("reported", filter=Q(reported__task_id=t.pk, reported__status=status))
    figures = (
        Pairing.objects.filter(pk__in=pairings.values("pk")).annotate(reported=reported).aggregate(**counts)
        if tasks
        else {"total": 0}
    )
    total = figures["total"]
    items = []
    for t in tasks:
        done, in_progress = figures[f"{TaskProgress.DONE}_{t.pk}"], figures[f"{TaskProgress.IN_PROGRESS}_{t.pk}"]
        items.append(
            {
                "task": t,
                "done": done,
                "in_progress": in_progress,
                "not_started": max(total - done - in_progress, 0),
                "total": total,
                "percent": round(100 * done / total) if total else 0,
            }
        )
    return items


def task_progress_by_pairing(*, task_list: KeyTaskList, pairings) -> tuple[list[KeyTask], list[dict]]:
    """A matrix: for each pairing of the page, its report (or None) on each item (one query)."""
    tasks = list(task_list.tasks.all())
    pairings = list(pairings)
    reports = {
        (r.task_id, r.pairing_id): r
        for r in KeyTaskReport.objects.filter(task__task_list=task_list, pairing_id__in=[p.pk for p in pairings])
    }
    rows = [{"pairing": p, "reports": [reports.get((t.pk, p.pk)) for t in tasks]} for p in pairings]
    return tasks, rows


def reports_for_pairing(*, task_list: KeyTaskList, pairing: Pairing) -> list[dict]:
    tasks = list(task_list.tasks.all())
    reports = {
        r.task_id: r
        for r in KeyTaskReport.objects.filter(task__task_list=task_list, pairing=pairing).prefetch_related("photos")
    }
    return [{"task": t, "report": reports.get(t.pk)} for t in tasks]


def task_evidence_get(*, user, pk: int) -> KeyTaskEvidence:
    return get_object_or_404(KeyTaskEvidence.objects.filter(scope.pairing_q(user, "report__pairing__")), pk=pk)
