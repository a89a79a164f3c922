"""A program's tiers and tier policy: bounds checked before anything is written, and their JSON."""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from domain.ledger import MAX_POINTS
from domain.tiers import (
    DowngradePolicy,
    EvaluationMoment,
    Metric,
    Policy,
    TierDef,
    WindowKind,
)
from domain.validation import ErrorCode, ProblemCollector, clean_text

MAX_TIERS = 20
TIER_KEY_MAX = 32
NAME_MAX = 100
DESCRIPTION_MAX = 500
MAX_WINDOW_MONTHS = 36
MAX_GRACE_DAYS = 365
MAX_TIER_MULTIPLIER = Decimal(10)
MAX_SPEND_THRESHOLD = Decimal("1e12")
TIER_KEY_RULE = f"lowercase letters, digits and _, starting with a letter, at most {TIER_KEY_MAX}"
_TIER_KEY = re.compile(r"[a-z][a-z0-9_]*")
INVALID = ErrorCode.INVALID_TIERS


def is_tier_key(key: str) -> bool:
    return len(key) <= TIER_KEY_MAX and _TIER_KEY.fullmatch(key) is not None


def validate_tiers(
    tiers: Sequence[TierDef], policy: Policy, *, currency_exponent: int
) -> tuple[TierDef, ...]:
    """The tiers cleaned, or every problem at once: 1-20 tiers with unique keys, the first at
    threshold 0 and each next one strictly higher (points whole and 32-bit, money in the
    currency's precision), multipliers 1 to 10 in hundredths; a window of 1-36 months, a real
    evaluation day, 0-365 grace days."""
    problems = ProblemCollector()
    if not 1 <= len(tiers) <= MAX_TIERS:
        problems.add("tiers", f"Give 1 to {MAX_TIERS} tiers.", INVALID)
    cleaned: list[TierDef] = []
    seen: set[str] = set()
    previous: Decimal | None = None
    points = policy.metric is Metric.POINTS
    high = Decimal(MAX_POINTS) if points else MAX_SPEND_THRESHOLD
    scale = 0 if points else currency_exponent
    for index, tier in enumerate(tiers[:MAX_TIERS]):
        at = ("tiers", str(index))
        if not is_tier_key(tier.key):
            problems.add((*at, "key"), f"A tier key is {TIER_KEY_RULE} characters.", INVALID)
        elif tier.key in seen:
            problems.add((*at, "key"), f"Tier {tier.key!r} is given twice.", INVALID)
        seen.add(tier.key)
        name = clean_text(tier.name, max_length=NAME_MAX)
        if name is None:
            problems.add((*at, "name"), f"name must be 1-{NAME_MAX} characters.", INVALID)
        description = clean_text(tier.description, max_length=DESCRIPTION_MAX)
        if tier.description.strip() and description is None:
            problems.add(
                (*at, "description"), f"description is at most {DESCRIPTION_MAX}.", INVALID
            )
        threshold_ok = problems.decimal(
            (*at, "threshold"), tier.threshold, low=Decimal(0), high=high, scale=scale,
            label="threshold", code=INVALID,
        )  # fmt: skip
        problems.decimal(
            (*at, "multiplier"), tier.multiplier, low=Decimal(1), high=MAX_TIER_MULTIPLIER,
            scale=2, label="multiplier", code=INVALID,
        )  # fmt: skip
        # Order is judged between valid thresholds only (a NaN compares with nothing).
        if threshold_ok and index == 0 and tier.threshold != 0:
            problems.add((*at, "threshold"), "The first tier's threshold is 0.", INVALID)
        if threshold_ok and previous is not None and tier.threshold <= previous:
            problems.add((*at, "threshold"), "Thresholds must rise from tier to tier.", INVALID)
        previous = tier.threshold if threshold_ok else previous
        cleaned.append(
            TierDef(tier.key, name or "", description or "", tier.threshold, tier.multiplier)
        )
    if policy.window is WindowKind.ROLLING_MONTHS and not (
        1 <= policy.window_months <= MAX_WINDOW_MONTHS
    ):
        problems.add(("policy", "windowMonths"), f"1 to {MAX_WINDOW_MONTHS} months.", INVALID)
    if not 1 <= policy.evaluation_month <= 12 or not (
        1 <= policy.evaluation_day <= calendar.monthrange(2001, policy.evaluation_month)[1]
    ):
        problems.add(("policy", "evaluationDay"), "No such day of the year.", INVALID)
    if not 0 <= policy.grace_days <= MAX_GRACE_DAYS:
        problems.add(("policy", "graceDays"), f"0 to {MAX_GRACE_DAYS} days.", INVALID)
    problems.raise_if_any()
    return tuple(cleaned)


def policy_to_json(policy: Policy) -> dict[str, Any]:
    return asdict(policy)


def policy_from_json(data: dict[str, Any]) -> Policy:
    return Policy(
        metric=Metric(data["metric"]),
        window=WindowKind(data["window"]),
        window_months=int(data["window_months"]),
        evaluation=EvaluationMoment(data["evaluation"]),
        evaluation_month=int(data["evaluation_month"]),
        evaluation_day=int(data["evaluation_day"]),
        grace_days=int(data["grace_days"]),
        downgrade=DowngradePolicy(data["downgrade"]),
    )
