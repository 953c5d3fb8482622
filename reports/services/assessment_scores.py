"""The quarterly assessment's scoring: how a row of figures is scored and which targets it misses.

Pure functions of a row (a dict of ``selectors.assessment.FIGURE_KEYS``) and the city's weights.
"""

from __future__ import annotations

from fractions import Fraction

from volunteers.choices import UNIT_QUARTER_TARGET_ACTIVITIES, UNIT_YEAR_TARGET_PROJECTS

from .rates import truncated_rate


def _component_ratios(row: dict, *, volunteer: bool) -> dict[str, Fraction | None]:
    def ratio(num, den):
        return min(Fraction(num, den), Fraction(1)) if den else None

    ratios = {
        "w_paired": ratio(row["paired"], row["branches"]),
        "w_theme_days": ratio(row["td_confirmed"], row["td_due"]),
        "w_n_tasks": ratio(row["n_done"], row["n_due"]),
        "w_projects": None,
        "w_activities": None,
        "w_members": ratio(row["members_on_target"], row["members"]),
    }
    if volunteer:
        ratios["w_projects"] = ratio(row["year_projects"] or 0, UNIT_YEAR_TARGET_PROJECTS)
        ratios["w_activities"] = ratio(row["quarter_activities"] or 0, UNIT_QUARTER_TARGET_ACTIVITIES)
    return ratios


def score(row: dict, weights: dict[str, int], *, volunteer: bool = True) -> float | None:
    """Σ weight × ratio ÷ Σ weight over the components that apply (a denominator > 0), × 100,
    truncated to two decimals (exact fractions, so 77.5 is never 77.49). None when nothing applies."""
    ratios = _component_ratios(row, volunteer=volunteer)
    applicable = {k: r for k, r in ratios.items() if r is not None and weights.get(k)}
    total_weight = sum(weights[k] for k in applicable)
    if not total_weight:
        return None
    value = sum(weights[k] * r for k, r in applicable.items()) / total_weight
    return truncated_rate(value.numerator, value.denominator)


def misses(row: dict, *, volunteer: bool = True) -> set[str]:
    """The figures whose target is missed (coloured red in the workbook)."""
    missed = set()
    if row["paired"] < row["branches"]:
        missed.add("paired")
    if row["td_confirmed"] < row["td_due"]:
        missed.add("td_confirmed")
    if row["n_done"] < row["n_due"]:
        missed.add("n_done")
    if volunteer and row["year_projects"] < UNIT_YEAR_TARGET_PROJECTS:
        missed.add("year_projects")
    if volunteer and row["quarter_activities"] < UNIT_QUARTER_TARGET_ACTIVITIES:
        missed.add("quarter_activities")
    if row["members_on_target"] < row["members"]:
        missed.add("members_on_target")
    return missed
