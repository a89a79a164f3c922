"""An experiment's results as statistics: each arm's conversion rate against the holdout's.

Pure: counts in, figures out. The difference of two conversion rates gets Newcombe's hybrid
score interval (Newcombe 1998, method 10: from each rate's Wilson interval), which keeps its
coverage for small samples and rates near 0 or 1 where the textbook Wald interval does not.
An arm is SIGNIFICANT when the 95 % interval excludes 0 and both groups have at least
MIN_MEMBERS members (below that, even an interval that excludes 0 is NOT_YET_SIGNIFICANT: the
normal approximations behind it are not to be trusted on a handful of members); NO_HOLDOUT
when nobody was held out to compare with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from scipy.stats import norm

CONFIDENCE = 0.95
MIN_MEMBERS = 30
_Z = float(norm.ppf(1 - (1 - CONFIDENCE) / 2))


class Significance(StrEnum):
    SIGNIFICANT = "SIGNIFICANT"
    NOT_YET_SIGNIFICANT = "NOT_YET_SIGNIFICANT"
    NO_HOLDOUT = "NO_HOLDOUT"


@dataclass(frozen=True, slots=True)
class Interval:
    low: float
    high: float

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


@dataclass(frozen=True, slots=True)
class Comparison:
    """An arm against the holdout: the difference of conversion rates (arm minus holdout)."""

    difference: float | None
    interval: Interval | None
    significance: Significance


def conversion_rate(conversions: int, members: int) -> float | None:
    """None for an arm nobody is in yet (not 0: there is nothing to rate)."""
    _check(conversions, members)
    return conversions / members if members else None


def wilson(conversions: int, members: int, z: float = _Z) -> Interval:
    """The Wilson score interval of one rate (the whole [0, 1] for no members)."""
    _check(conversions, members)
    if members == 0:
        return Interval(0.0, 1.0)
    p = conversions / members
    denominator = 1 + z * z / members
    centre = (p + z * z / (2 * members)) / denominator
    spread = z * math.sqrt(p * (1 - p) / members + z * z / (4 * members * members)) / denominator
    return Interval(max(0.0, centre - spread), min(1.0, centre + spread))


def difference_interval(
    arm_conversions: int, arm_members: int, holdout_conversions: int, holdout_members: int
) -> Interval:
    """Newcombe's interval for (arm rate - holdout rate); both groups need members."""
    if arm_members == 0 or holdout_members == 0:
        raise ValueError("both groups need members")
    p1, p2 = arm_conversions / arm_members, holdout_conversions / holdout_members
    first, second = (
        wilson(arm_conversions, arm_members),
        wilson(holdout_conversions, holdout_members),
    )
    d = p1 - p2
    low = d - math.sqrt((p1 - first.low) ** 2 + (second.high - p2) ** 2)
    high = d + math.sqrt((first.high - p1) ** 2 + (p2 - second.low) ** 2)
    return Interval(max(-1.0, low), min(1.0, high))


def compare(
    arm_conversions: int, arm_members: int, holdout_conversions: int, holdout_members: int
) -> Comparison:
    """The arm against the holdout, with its state."""
    _check(arm_conversions, arm_members)
    _check(holdout_conversions, holdout_members)
    if holdout_members == 0:
        return Comparison(None, None, Significance.NO_HOLDOUT)
    if arm_members == 0:
        return Comparison(None, None, Significance.NOT_YET_SIGNIFICANT)
    difference = arm_conversions / arm_members - holdout_conversions / holdout_members
    interval = difference_interval(
        arm_conversions, arm_members, holdout_conversions, holdout_members
    )
    enough = min(arm_members, holdout_members) >= MIN_MEMBERS
    significant = enough and not interval.contains(0.0)
    state = Significance.SIGNIFICANT if significant else Significance.NOT_YET_SIGNIFICANT
    return Comparison(difference, interval, state)


def _check(conversions: int, members: int) -> None:
    if not 0 <= conversions <= members:
        raise ValueError(f"{conversions} conversions among {members} members")
