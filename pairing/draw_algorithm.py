"""The strong-helps-weak draw (以强带弱、随机方式固定结对), as a pure function: no database.

Helpers are ordered strongest first and partners weakest first, in random order inside
each grade; the i-th helper takes the i-th partner. Because both lists are sorted by
grade, no two pairs could swap partners to give a stronger helper a weaker partner.

When partners outnumber helpers, the leftover partners go one each to the strongest
helpers (again random inside a grade: the helper order above) as a second pairing,
"一帮二", for staff to review. When helpers outnumber partners, the leftover helpers
are listed as unpaired. A helper takes at most two partners, so partners beyond twice
the helpers stay unpaired too.

The result depends only on the inputs and the seed: inputs are sorted by code before
the seeded generator shuffles them, so the order they arrive in does not matter.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field

from .choices import GRADE_STRENGTH, Grade

STRONGEST_FIRST = sorted(Grade, key=lambda g: -GRADE_STRENGTH[g])
WEAKEST_FIRST = list(reversed(STRONGEST_FIRST))


class UngradedError(ValueError):
    """Some branches of the draw have no grade for the year; ``codes`` names them."""

    def __init__(self, codes: Iterable[str]):
        self.codes = sorted(codes)
        super().__init__(", ".join(self.codes))


@dataclass(frozen=True)
class Pair:
    helper: str
    helper_grade: str
    partner: str
    partner_grade: str
    double: bool = False


@dataclass(frozen=True)
class DrawResult:
    pairs: list[Pair] = field(default_factory=list)
    unpaired_helpers: list[str] = field(default_factory=list)
    unpaired_partners: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        """Plain data (grade values, not labels) as stored in ``Draw.result``."""
        return {
            "pairs": [asdict(p) for p in self.pairs],
            "unpaired_helpers": list(self.unpaired_helpers),
            "unpaired_partners": list(self.unpaired_partners),
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> DrawResult:
        return cls(
            pairs=[Pair(**p) for p in data.get("pairs", [])],
            unpaired_helpers=list(data.get("unpaired_helpers", [])),
            unpaired_partners=list(data.get("unpaired_partners", [])),
        )


def _ordered(entries: Mapping[str, str], grades: list[str], rng: random.Random) -> list[tuple[str, str]]:
    ordered = []
    for grade in grades:
        group = sorted(code for code, g in entries.items() if g == grade)
        rng.shuffle(group)
        ordered.extend((code, grade) for code in group)
    return ordered


def run_draw(*, helpers: Mapping[str, str | None], partners: Mapping[str, str | None], seed: int) -> DrawResult:
    """Draw pairs. ``helpers`` and ``partners`` map branch codes to grade values (``Grade``).

    Raises :class:`UngradedError` naming every branch without a grade (or with an unknown one).
    """
    known = set(Grade.values)
    ungraded = [code for code, g in {**helpers, **partners}.items() if g not in known]
    if ungraded:
        raise UngradedError(ungraded)
    rng = random.Random(seed)
    ordered_helpers = _ordered(helpers, STRONGEST_FIRST, rng)
    ordered_partners = _ordered(partners, WEAKEST_FIRST, rng)

    pairs = [
        Pair(helper=h, helper_grade=hg, partner=p, partner_grade=pg)
        for (h, hg), (p, pg) in zip(ordered_helpers, ordered_partners, strict=False)
    ]
    n = len(pairs)
    leftovers = ordered_partners[n:]
    doubles = [
        Pair(helper=h, helper_grade=hg, partner=p, partner_grade=pg, double=True)
        for (h, hg), (p, pg) in zip(ordered_helpers, leftovers, strict=False)
    ]
    return DrawResult(
        pairs=pairs + doubles,
        unpaired_helpers=[h for h, _ in ordered_helpers[n:]],
        unpaired_partners=[p for p, _ in leftovers[len(doubles) :]],
    )
