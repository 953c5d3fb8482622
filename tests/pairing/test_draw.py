"""The pure draw algorithm: ordering, reproducibility, leftovers, ungraded branches, speed."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pairing.choices import GRADE_STRENGTH, Grade
from pairing.draw_algorithm import DrawResult, UngradedError, run_draw

G, M, W = Grade.GOOD.value, Grade.MEDIUM.value, Grade.WEAK.value
STRENGTH = {g.value: s for g, s in GRADE_STRENGTH.items()}


def test_draw_gives_weakest_partner_to_strongest_helper():
    result = run_draw(helpers={"H1": W, "H2": G, "H3": M}, partners={"P1": G, "P2": W, "P3": M}, seed=1)
    assert [(p.helper, p.partner) for p in result.pairs] == [("H2", "P2"), ("H3", "P3"), ("H1", "P1")]
    assert not any(p.double for p in result.pairs)
    assert result.unpaired_helpers == [] and result.unpaired_partners == []


def test_same_inputs_and_seed_give_same_pairs_whatever_the_input_order():
    helpers = {f"H{i:03d}": random.Random(i).choice([G, M, W]) for i in range(60)}
    partners = {f"P{i:03d}": random.Random(-i).choice([G, M, W]) for i in range(60)}
    first = run_draw(helpers=helpers, partners=partners, seed=2022)
    shuffled = dict(reversed(list(helpers.items())))
    again = run_draw(helpers=shuffled, partners=dict(sorted(partners.items(), reverse=True)), seed=2022)
    assert first == again
    assert DrawResult.from_dict(first.as_dict()) == first


def test_seed_decides_the_order_inside_a_grade():
    helpers = {f"H{i}": G for i in range(20)}
    partners = {f"P{i}": W for i in range(20)}
    results = {
        tuple((p.helper, p.partner) for p in run_draw(helpers=helpers, partners=partners, seed=s).pairs)
        for s in range(5)
    }
    assert len(results) > 1


def test_leftover_partners_go_one_each_to_the_strongest_helpers_as_doubles():
    helpers = {"H1": M, "H2": G, "H3": W}
    partners = {f"P{i}": g for i, g in enumerate([W, W, M, M, G, G, G, G])}
    result = run_draw(helpers=helpers, partners=partners, seed=7)
    singles = [p for p in result.pairs if not p.double]
    doubles = [p for p in result.pairs if p.double]
    assert [p.helper for p in singles] == ["H2", "H1", "H3"]
    # Three leftovers can go one each; two more partners than twice the helpers stay unpaired.
    assert [p.helper for p in doubles] == ["H2", "H1", "H3"]
    assert len(result.unpaired_partners) == 2
    paired_partners = [p.partner for p in result.pairs]
    assert len(set(paired_partners)) == len(paired_partners)
    assert set(paired_partners) | set(result.unpaired_partners) == set(partners)


def test_one_leftover_partner_goes_to_a_strongest_helper():
    helpers = {"H1": G, "H2": G, "H3": W}
    partners = {"P1": W, "P2": W, "P3": M, "P4": G}
    for seed in range(10):
        doubles = [p for p in run_draw(helpers=helpers, partners=partners, seed=seed).pairs if p.double]
        assert len(doubles) == 1 and doubles[0].helper in {"H1", "H2"} and doubles[0].partner == "P4"


def test_leftover_helpers_are_listed_unpaired_weakest_last():
    result = run_draw(helpers={"H1": W, "H2": G, "H3": M, "H4": W}, partners={"P1": M}, seed=3)
    assert [(p.helper, p.partner) for p in result.pairs] == [("H2", "P1")]
    assert result.unpaired_helpers[0] == "H3" and set(result.unpaired_helpers[1:]) == {"H1", "H4"}
    assert result.unpaired_partners == []


def test_ungraded_branches_are_an_error_that_names_them():
    with pytest.raises(UngradedError) as exc:
        run_draw(helpers={"H1": G, "H2": None}, partners={"P1": W, "P9": ""}, seed=1)
    assert exc.value.codes == ["H2", "P9"]


grade = st.sampled_from([G, M, W])


@settings(max_examples=200, deadline=None)
@given(
    helpers=st.dictionaries(st.text("ABCDEF0123", min_size=1, max_size=4).map(lambda s: "H" + s), grade, max_size=40),
    partners=st.dictionaries(st.text("ABCDEF0123", min_size=1, max_size=4).map(lambda s: "P" + s), grade, max_size=60),
    seed=st.integers(min_value=0, max_value=2**40),
)
def test_no_two_pairs_could_swap_partners_to_give_a_stronger_helper_a_weaker_partner(helpers, partners, seed):
    result = run_draw(helpers=helpers, partners=partners, seed=seed)
    singles = [p for p in result.pairs if not p.double]
    for a in singles:
        for b in singles:
            if STRENGTH[a.helper_grade] > STRENGTH[b.helper_grade]:
                assert STRENGTH[a.partner_grade] <= STRENGTH[b.partner_grade]
    # Every branch is accounted for exactly once (a helper at most twice, a second time only as 一帮二).
    assert sorted([p.partner for p in result.pairs] + result.unpaired_partners) == sorted(partners)
    assert len(singles) == min(len(helpers), len(partners))
    assert sorted({p.helper for p in singles} | set(result.unpaired_helpers)) == sorted(helpers)
    doubled = [p.helper for p in result.pairs if p.double]
    assert len(doubled) == len(set(doubled)) and set(doubled) <= {p.helper for p in singles}
    # 一帮二 goes to the strongest helpers first.
    if doubled:
        weakest_doubled = min(STRENGTH[helpers[h]] for h in doubled)
        assert all(STRENGTH[helpers[h]] <= weakest_doubled for h in {p.helper for p in singles} - set(doubled))
    # Reproducible.
    assert run_draw(helpers=helpers, partners=partners, seed=seed) == result


def test_a_draw_of_2000_by_2000_pairs_every_helper():
    """At scale (its speed is the bench's draw row, docs/performance.md, not a timer here)."""
    rng = random.Random(0)
    helpers = {f"H{i:05d}": rng.choice([G, M, W]) for i in range(2000)}
    partners = {f"P{i:05d}": rng.choice([G, M, W]) for i in range(2000)}
    result = run_draw(helpers=helpers, partners=partners, seed=99)
    assert len(result.pairs) == 2000
    assert {p.helper for p in result.pairs} == set(helpers)
