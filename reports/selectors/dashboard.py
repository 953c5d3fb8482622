"""The dashboard's reads: the regions it shows, its figures (memoised per snapshot and bands), and the
report runs."""

from __future__ import annotations

from numbers import Number

from django.db import connection
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import floatformat
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.formats import date_format, localize
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from pairing import scope
from pairing.choices import RegionLevel
from pairing.models import Region
from twinning.memo import memoized

from ..choices import Metric
from ..models import ReportRun, Snapshot, Threshold


def dashboard_regions(*, user) -> QuerySet[Region]:
    """The regions a dashboard (and an assessment export) may be of: a city or county inside the
    user's region."""
    return Region.objects.visible_to(user).filter(level__in=[RegionLevel.CITY, RegionLevel.COUNTY])


def dashboard_region(*, user, region_id: int | None = None) -> Region:
    """The region a dashboard shows: the user's own, or a city/county inside it (404 outside)."""
    # The dashboard shows a county's city (bands, the way up).
    regions = dashboard_regions(user=user).select_related("parent")
    if region_id is None:
        if user.region_id:
            return user.region
        return get_object_or_404(regions.filter(level=RegionLevel.CITY).order_by("path")[:1])
    return get_object_or_404(regions, pk=region_id)


def figures_stamp(*, region: Region) -> tuple:
    """What a dashboard's figures move with, in one cheap query (index lookups only): the latest
    snapshot of the region (id and computing time; None without a snapshot; a re-run for the same
    date keeps the id and moves the time) and the city's bands (every save moves ``updated_at``)."""
    snapshots, bands = Snapshot._meta.db_table, Threshold._meta.db_table
    latest = f"FROM {snapshots} WHERE region_id = %s ORDER BY as_of DESC LIMIT 1"
    city_id = region.pk if region.level == RegionLevel.CITY else region.parent_id
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT id {latest}), (SELECT computed_at {latest}),"
            f" (SELECT MAX(updated_at) FROM {bands} WHERE city_id = %s), (SELECT COUNT(*) FROM {bands} WHERE city_id = %s)",
            [region.pk, region.pk, city_id, city_id],
        )
        return tuple(cursor.fetchone())


def child_regions(*, region: Region) -> dict[str, Region]:
    return {r.name: r for r in Region.objects.filter(parent=region).order_by("path")}


def city_of(region: Region) -> Region:
    """A city itself, or a county's city."""
    return region if region.level == RegionLevel.CITY else region.parent


def thresholds(*, city: Region) -> dict[str, Threshold]:
    """Every metric's bands; unsaved defaults (95 % / 80 %) where staff set none."""
    saved = {t.metric: t for t in Threshold.objects.filter(city=city)}
    return {m: saved.get(m) or Threshold(city=city, metric=m) for m in Metric.values}


def _percent(rate) -> str:
    """A rate as the dashboard shows it: "66.67%", or "—" without one (localised: the memo is per language)."""
    return f"{floatformat(rate, 2)}%" if isinstance(rate, Number) else "—"


def _pair(done, of, sep: str = "/") -> str:
    return f"{done or 0}{sep}{of or 0}"


def _cards(figures: dict, bands: dict) -> list[dict]:
    def card(metric, label, row, num_key, den_key="total"):
        rate = row.get("rate") if row else None
        num, den = (row.get(num_key, 0), row.get(den_key, 0)) if row else (0, 0)
        return {
            "metric": metric,
            "label": label,
            "rate": rate,
            "num": num,
            "den": den,
            "colour": bands[metric].colour(rate),
            "rate_label": _percent(rate),
            "count_label": f"{num} / {den}",
        }

    volunteers = figures.get("volunteers") or {}
    hours = card(Metric.VOLUNTEERS, _("核实服务时长"), volunteers, "members_on_target", "members")
    quarter, verified = volunteers.get("quarter", ""), volunteers.get("verified_hours", 0)
    hours.update(
        hours=verified,
        quarter=quarter,
        # Values localised, as {% blocktranslate %} showed them before the page moved to Jinja2.
        hours_label=_("%(hours)s 小时") % {"hours": localize(verified)},
        members_label=_("%(quarter)s 党员达标 %(num)s / %(den)s")
        % {"quarter": quarter, "num": localize(hours["num"]), "den": localize(hours["den"])},
    )
    return [
        card(Metric.COVERAGE, _("结对覆盖率"), figures.get("coverage"), "paired"),
        card(Metric.OPTIMISATION, _("优化率"), figures.get("optimisation"), "optimised"),
        card(Metric.THEME_DAYS, _("本月主题党日达标率"), figures.get("theme_days"), "confirmed", "active"),
        card(Metric.N_TASKS, _("重点任务完成率"), figures.get("n_tasks"), "done", "due"),
        hours,
    ]


def _row_figures(figures: dict, bands: dict) -> dict:
    """The extra columns of a child region's row: compliance, N progress, volunteers."""
    theme_days, n_tasks = figures.get("theme_days") or {}, figures.get("n_tasks") or {}
    volunteers = figures.get("volunteers") or {}
    return {
        "theme_days": theme_days,
        "theme_days_colour": bands[Metric.THEME_DAYS].colour(theme_days.get("rate")),
        "theme_days_rate": _percent(theme_days.get("rate")),
        "theme_days_count": _pair(theme_days.get("confirmed"), theme_days.get("active")),
        "n_tasks": n_tasks,
        "n_tasks_colour": bands[Metric.N_TASKS].colour(n_tasks.get("rate")),
        "n_tasks_rate": _percent(n_tasks.get("rate")),
        "n_tasks_count": _pair(n_tasks.get("done"), n_tasks.get("due")),
        "volunteers": volunteers,
        "volunteers_colour": bands[Metric.VOLUNTEERS].colour(volunteers.get("rate")),
        "volunteers_hours": volunteers.get("verified_hours") or 0,
        "volunteers_count": _pair(volunteers.get("members_on_target"), volunteers.get("members")),
    }


def _row_links(child: Region | None, *, year: int, links: dict[str, str]) -> dict:
    """A child region's links: its own dashboard (a county), its branches not yet optimised, its
    theme days (a county). Built here once per memo, not reversed for each cell of each view."""
    if child is None:
        return {"link": "", "branches_link": "", "compliance_link": ""}
    county = child.level == RegionLevel.COUNTY
    area = "county" if county else "township"
    return {
        "link": f"?region={child.pk}" if county else "",
        "branches_link": f"{links['branch_list']}?{area}={child.pk}&optimised=no",
        "compliance_link": f"{links['compliance']}?county={child.pk}&year={year}" if county else "",
    }


def _rows(snapshot: Snapshot, children: dict[str, Region], bands: dict, links: dict[str, str]) -> list[dict]:
    """A row per child region of the snapshot, in the tree's order (the regions gone last), with
    what its cells show: rates and counts as text, colours and links."""
    rows = []
    for name, figures in sorted(
        snapshot.children.items(), key=lambda kv: children[kv[0]].path if kv[0] in children else "~"
    ):
        child = children.get(name)
        coverage, optimisation = figures.get("coverage") or {}, figures.get("optimisation") or {}
        drill = child is not None and child.level == RegionLevel.COUNTY
        rows.append(
            {
                "name": name,
                "label": name if drill else _(name),  # 县直单位 is stored untranslated (gettext_noop)
                "region": {"pk": child.pk, "level": child.level} if child else None,
                "drill": drill,
                "coverage": coverage,
                "coverage_colour": bands[Metric.COVERAGE].colour(coverage.get("rate")),
                "coverage_rate": _percent(coverage.get("rate")),
                "coverage_count": _pair(coverage.get("paired"), coverage.get("total"), " / "),
                "optimisation": optimisation,
                "optimisation_colour": bands[Metric.OPTIMISATION].colour(optimisation.get("rate")),
                "optimisation_rate": _percent(optimisation.get("rate")),
                "optimisation_count": _pair(optimisation.get("optimised"), optimisation.get("total"), " / "),
                **_row_figures(figures, bands),
                **_row_links(child, year=snapshot.as_of.year, links=links),
            }
        )
    return rows


def _links() -> dict[str, str]:
    """The pages the figures link to (the memo is per script prefix)."""
    names = {
        "branch_list": "pairing:branch_list",
        "compliance": "activities:compliance",
        "task_lists": "activities:task_list_index",
        "communities": "volunteers:community_list",
        "coverage": "pairing:coverage",
    }
    return {key: reverse(name) for key, name in names.items()}


# A dashboard changes once per snapshot while leaders open it all day, so a page view reads only what
# the figures move with (figures_stamp); the snapshot's JSON, the bands and the child regions are
# read when the stamp moves. The child regions (names to links) move no stamp, hence the expiry.
# The memo holds data only, ready to show: the rates and counts as text in the current language and
# the links under the current script prefix (both in the key), so that the page draws the figures
# at each request without a filter or a url() per cell (docs/performance.md).
@memoized(key=lambda *, region: (region.pk, get_language(), get_script_prefix()), stamp=figures_stamp, size=64, ttl=300)
def dashboard_figures(*, region: Region) -> dict | None:
    """The cards, rows and chart of a region's latest snapshot, with the labels, rates, counts and
    links as the page shows them in the current language; None before its first snapshot."""
    snapshot = Snapshot.objects.filter(region=region).order_by("-as_of").first()
    if snapshot is None:
        return None
    bands = thresholds(city=city_of(region))
    links = _links()
    rows = _rows(snapshot, child_regions(region=region), bands, links)
    by_month = (snapshot.figures.get("theme_days") or {}).get("by_month") or []
    by_quarter = snapshot.figures.get("hours_by_quarter") or []
    chart = {
        "names": [r["name"] for r in rows],
        "coverage": [r["coverage"].get("rate") for r in rows],
        "optimisation": [r["optimisation"].get("rate") for r in rows],
        "theme_days": {"labels": [m["month"] for m in by_month], "rates": [m["rate"] for m in by_month]},
        "hours": {"labels": [q["quarter"] for q in by_quarter], "values": [q["hours"] for q in by_quarter]},
    }
    as_of = _("数据截至 %(day)s（计算于 %(at)s）") % {
        "day": date_format(snapshot.as_of, "Y-m-d"),
        "at": date_format(timezone.localtime(snapshot.computed_at), "Y-m-d H:i"),
    }
    return {
        "level": region.level,
        "region_pk": region.pk,
        "year": snapshot.as_of.year,
        "cards": _cards(snapshot.figures, bands),
        "rows": rows,
        "chart": chart,
        "links": links,
        "snapshot": snapshot,
        "as_of": as_of,
    }


def report_runs(*, user) -> QuerySet[ReportRun]:
    """Runs of a region inside the user's (a city's run covers the city; a county's, the county), and the
    runs the user started."""
    whole_city = Q(county__isnull=True) & scope.region_q(user, prefix="city__")
    return ReportRun.objects.filter(
        whole_city | scope.region_q(user, prefix="county__") | Q(requested_by_id=user.pk)
    ).select_related("city", "county", "requested_by")
