"""Theme-day compliance, N-task progress and volunteer figures on hand-built data (see conftest)."""

import io
import json

import pytest
from django.core.management import call_command

from reports.services.snapshots import region_figures

from .conftest import AS_OF

pytestmark = pytest.mark.django_db


def test_theme_day_compliance_per_month(small_world):
    own, children = region_figures(region=small_world.city, as_of=AS_OF)
    months = [(m["month"], m["active"], m["confirmed"], m["rate"]) for m in own["theme_days"]["by_month"]]
    # p5 in 商城县 is active in every month with no theme day
    assert months == [("2022-01", 3, 2, 66.66), ("2022-02", 4, 1, 25.0), ("2022-03", 3, 1, 33.33)]
    a = children["平桥区"]["theme_days"]
    assert [(m["active"], m["confirmed"], m["rate"]) for m in a["by_month"]] == [
        (2, 2, 100.0),
        (3, 1, 33.33),
        (2, 1, 50.0),
    ]
    assert (a["active"], a["confirmed"], a["rate"]) == (2, 1, 50.0)  # this month
    assert children["商城县"]["theme_days"]["rate"] == 0.0


def test_theme_days_of_a_county_by_township(small_world):
    own, children = region_figures(region=small_world.a, as_of=AS_OF)
    assert own["theme_days"]["rate"] == 50.0
    assert sum(c["theme_days"]["active"] for c in children.values() if "theme_days" in c) == 2


def test_n_task_progress_per_list_and_county(small_world):
    own, children = region_figures(region=small_world.city, as_of=AS_OF)
    assert (own["n_tasks"]["done"], own["n_tasks"]["due"], own["n_tasks"]["rate"]) == (4, 8, 50.0)
    assert own["n_tasks"]["lists"]["信阳市2022上半年"] == {"done": 3, "due": 6, "rate": 50.0}
    assert own["n_tasks"]["lists"]["平桥区2022上半年"] == {"done": 1, "due": 2, "rate": 50.0}
    a, b = children["平桥区"]["n_tasks"], children["商城县"]["n_tasks"]
    assert (a["done"], a["due"], a["rate"]) == (4, 6, 66.66)
    assert (b["done"], b["due"], b["rate"]) == (0, 2, 0.0)
    county_own, _ = region_figures(region=small_world.a, as_of=AS_OF)
    assert (county_own["n_tasks"]["done"], county_own["n_tasks"]["due"]) == (4, 6)


def test_volunteer_figures_for_the_quarter(small_world):
    own, children = region_figures(region=small_world.city, as_of=AS_OF)
    expected = {
        "quarter": "2022Q1",
        "units": 2,
        "units_year_on_target": 1,
        "units_quarter_on_target": 2,
        "members": 2,
        "members_on_target": 1,
        "projects": 3,
        "projects_claimed": 2,
        "verified_hours": 15.0,
        "rate": 50.0,
    }
    assert own["volunteers"] == expected
    assert children["平桥区"]["volunteers"] == expected
    assert own["hours_by_quarter"] == [{"quarter": "2022Q1", "hours": 15.0}]
    county_own, county_children = region_figures(region=small_world.a, as_of=AS_OF)
    assert county_own["volunteers"] == expected
    assert county_children["羊山街道"]["volunteers"]["verified_hours"] == 15.0


def test_volunteer_hours_by_quarter_of_the_year(small_world):
    import datetime

    own, _ = region_figures(region=small_world.city, as_of=datetime.date(2022, 4, 30))
    assert own["hours_by_quarter"] == [{"quarter": "2022Q1", "hours": 15.0}, {"quarter": "2022Q2", "hours": 2.0}]
    assert own["volunteers"]["verified_hours"] == 2.0 and own["volunteers"]["members_on_target"] == 0


def test_build_reports_json_has_every_figure(small_world):
    out = io.StringIO()
    call_command("build_reports", "--as-of", AS_OF.isoformat(), "--json", stdout=out)
    payload = json.loads(out.getvalue())
    assert set(payload) == {"as_of", "optimisation", "coverage", "theme_days", "n_tasks", "volunteers"}
    assert payload["theme_days"]["by_county"]["平桥区"]["rate"] == 50.0
    assert payload["n_tasks"]["city"]["rate"] == 50.0
    assert payload["n_tasks"]["by_county"]["商城县"]["due"] == 2
    assert payload["volunteers"]["city"]["verified_hours"] == 15.0
    assert payload["volunteers"]["by_quarter"] == [{"quarter": "2022Q1", "hours": 15.0}]
