"""The memo decorator: a selector's result is kept per key and stamp, and recomputed when either moves."""

from twinning.memo import clear_all, memoized


def test_a_memoized_selector_runs_again_only_when_its_key_or_stamp_moves():
    calls, stamps = [], {"now": 1}

    @memoized(key=lambda *, region: region, stamp=lambda: stamps["now"])
    def figures(*, region):
        calls.append(region)
        return [region, len(calls)]

    assert figures(region="a") == ["a", 1]
    assert figures(region="a") == ["a", 1]
    assert figures(region="b") == ["b", 2]
    stamps["now"] = 2
    assert figures(region="a") == ["a", 3]
    clear_all()
    assert figures(region="a") == ["a", 4]
    assert calls == ["a", "b", "a", "a"]


def test_a_stamp_that_takes_arguments_is_given_the_selectors():
    seen = []

    def stamp(*, region):
        seen.append(region)
        return 0

    @memoized(key=lambda *, region: region, stamp=stamp)
    def figures(*, region):
        return region.upper()

    assert figures(region="a") == "A" and figures(region="a") == "A"
    assert seen == ["a", "a"]
