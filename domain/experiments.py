"""A/B experiments: which arm a member is in, decided by a stable hash, never stored first.

Pure: no I/O. A campaign that runs as an experiment has arms with integer weights and a holdout
share (members who get nothing, so the campaign's effect can be measured against them). The arm
of a member is a function of the campaign and the member alone: every worker, every retry and
every replica computes the same arm, so an assignment never flips and needs no lock.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from domain.validation import ErrorCode, ProblemCollector

HOLDOUT = "holdout"
# A campaign that is not an experiment has this one arm (and may still hold members out).
DEFAULT_ARM = "default"
MAX_ARMS = 10
MAX_WEIGHT = 1000
MAX_HOLDOUT_PERCENT = 50
_ARM_KEY = re.compile(r"[a-z][a-z0-9_-]{0,31}", re.ASCII)
_SCALE = 2**64


@dataclass(frozen=True, slots=True)
class Arm:
    key: str
    weight: int


def position(campaign_id: int, member_id: int) -> float:
    """The member's uniform position in [0, 1) for this campaign: the first 64 bits of a SHA-256,
    so positions of one member in two campaigns are independent."""
    digest = hashlib.sha256(f"campaign:{campaign_id}:member:{member_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / _SCALE


def assign(campaign_id: int, member_id: int, arms: Sequence[Arm], holdout_percent: int) -> str:
    """The arm key, or HOLDOUT. The first `holdout_percent` of positions are held out; the rest
    is split among the arms in proportion to their weights (no arms: DEFAULT_ARM)."""
    at = position(campaign_id, member_id)
    holdout = holdout_percent / 100
    if at < holdout:
        return HOLDOUT
    if not arms:
        return DEFAULT_ARM
    total = sum(arm.weight for arm in arms)
    # Where the member falls among the arms, rescaled from what the holdout left.
    target = (at - holdout) / (1 - holdout) * total
    reached = 0
    for arm in arms:
        reached += arm.weight
        if target < reached:
            return arm.key
    return arms[-1].key  # float rounding at the very top


def validate_arms(
    problems: ProblemCollector, arms: Sequence[Arm], holdout_percent: int, *, code: ErrorCode
) -> None:
    """At most MAX_ARMS distinct keys (`[a-z][a-z0-9_-]`, up to 32, never `holdout` or
    `default`), weights 1..MAX_WEIGHT, a holdout share 0..MAX_HOLDOUT_PERCENT percent."""
    if not 0 <= holdout_percent <= MAX_HOLDOUT_PERCENT:
        problems.add("holdoutPercent", f"holdoutPercent must be 0 to {MAX_HOLDOUT_PERCENT}.", code)
    if len(arms) > MAX_ARMS:
        problems.add("arms", f"At most {MAX_ARMS} arms.", code)
        return
    if len(arms) == 1:
        problems.add("arms", "An experiment needs at least two arms (or none).", code)
    seen: set[str] = set()
    for index, arm in enumerate(arms):
        at = ("arms", str(index))
        if not _ARM_KEY.fullmatch(arm.key) or arm.key in (HOLDOUT, DEFAULT_ARM):
            problems.add(
                (*at, "key"),
                "An arm key is 1-32 of a-z, 0-9, _ and -, starting with a letter,"
                f" and not {HOLDOUT!r} or {DEFAULT_ARM!r}.",
                code,
            )
        elif arm.key in seen:
            problems.add((*at, "key"), f"Arm {arm.key!r} is given twice.", code)
        seen.add(arm.key)
        if not 1 <= arm.weight <= MAX_WEIGHT:
            problems.add((*at, "weight"), f"weight must be 1 to {MAX_WEIGHT}.", code)
