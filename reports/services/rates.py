"""Percentages as the programme reports them."""

from __future__ import annotations


def truncated_rate(numerator: int, denominator: int) -> float | None:
    """numerator ÷ denominator as a percentage truncated (never rounded up) to two decimals.

    100.00 must mean complete coverage: 4,498 of 4,522 is 99.46, not 99.47. Integer
    arithmetic, so no float error can push a figure over the edge. None when there is
    nothing to divide by.
    """
    if not denominator:
        return None
    return (numerator * 10000 // denominator) / 100


def figure(numerator: int, denominator: int, *, num_key: str, den_key: str = "total") -> dict:
    return {num_key: numerator, den_key: denominator, "rate": truncated_rate(numerator, denominator)}
