"""Redeeming rewards as pure rules: whether a member may have one now and at what price, limit
windows, goal-gradient suggestions, codes, and the program's rewards settings."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain.earning import cap_period_start
from domain.points_config import CapPeriod
from domain.rewards import LimitPeriod, MemberLimit
from domain.validation import ErrorCode, InvalidInput, Problem, ProblemCollector

# Crockford's base32 without the letters people misread (I, L, O, U): 12 characters are 60 bits,
# so a guess hits one of a million live codes with odds of one in a million million.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12
# Partner-supplied codes: what checkouts accept, and nothing that would need escaping anywhere.
_POOL_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{3,63}", re.ASCII)
MAX_IMPORT = 1000

DEFAULT_HOLD_MINUTES = 15
MAX_HOLD_MINUTES = 7 * 24 * 60
DEFAULT_WITHIN_REACH_PERCENT = 25
MAX_SUGGESTIONS = 20


class RedemptionStatus(StrEnum):
    HELD = "HELD"  # points and stock reserved until the hold expires
    CONFIRMED = "CONFIRMED"  # points spent, stock taken, code given
    CANCELLED = "CANCELLED"  # points and stock returned
    EXPIRED = "EXPIRED"  # a hold that ran out: points and stock returned


LIVE = (RedemptionStatus.HELD, RedemptionStatus.CONFIRMED)


@dataclass(frozen=True, slots=True)
class RewardsSettings:
    hold_minutes: int = DEFAULT_HOLD_MINUTES
    within_reach_percent: int = DEFAULT_WITHIN_REACH_PERCENT


def validate_settings(settings: RewardsSettings) -> RewardsSettings:
    problems = ProblemCollector()
    code = ErrorCode.INVALID_REWARDS_CONFIG
    if not 1 <= settings.hold_minutes <= MAX_HOLD_MINUTES:
        problems.add("holdMinutes", f"holdMinutes must be 1 to {MAX_HOLD_MINUTES}.", code)
    if not 1 <= settings.within_reach_percent <= 100:
        problems.add("withinReachPercent", "withinReachPercent must be 1 to 100.", code)
    problems.raise_if_any()
    return settings


def refuse(field: str, message: str, code: ErrorCode) -> InvalidInput:
    return InvalidInput(Problem((field,), message, code))


def check_available(
    active: bool, available_from: datetime | None, available_until: datetime | None, now: datetime
) -> None:
    """NOT_AVAILABLE unless the reward is active and `now` is inside its window [from, until)."""
    if not active:
        raise refuse("rewardId", "This reward is not offered any more.", ErrorCode.NOT_AVAILABLE)
    if available_from is not None and now < available_from:
        raise refuse("rewardId", "This reward is not available yet.", ErrorCode.NOT_AVAILABLE)
    if available_until is not None and now >= available_until:
        raise refuse("rewardId", "This reward is no longer available.", ErrorCode.NOT_AVAILABLE)


def check_tier(gate: Sequence[str], tier: str | None) -> None:
    """An empty gate admits everyone; else only members of the tiers it names."""
    if gate and tier not in gate:
        raise refuse(
            "rewardId",
            f"This reward is for members of the tiers {', '.join(gate)}.",
            ErrorCode.TIER_REQUIRED,
        )


def price_for(points_cost: int, tier_prices: Mapping[str, int], tier: str | None) -> int:
    """The member's tier price if the reward names one, else its points cost."""
    return tier_prices.get(tier, points_cost) if tier is not None else points_cost


def limit_window_start(period: LimitPeriod, now: datetime, timezone: str) -> datetime | None:
    """Where the member's current limit period began, in the program's zone; None: ever."""
    if period is LimitPeriod.LIFETIME:
        return None
    return cap_period_start(CapPeriod(period.value), now, timezone)


def window_starts(now: datetime, timezone: str) -> dict[LimitPeriod, datetime | None]:
    return {period: limit_window_start(period, now, timezone) for period in LimitPeriod}


def check_limit(limit: MemberLimit | None, redeemed_in_window: int) -> None:
    if limit is not None and redeemed_in_window >= limit.count:
        per = "in all" if limit.period is LimitPeriod.LIFETIME else f"per {limit.period.lower()}"
        raise refuse(
            "rewardId",
            f"This reward can be redeemed {limit.count} time(s) {per}; the limit is reached.",
            ErrorCode.LIMIT_REACHED,
        )


@dataclass(frozen=True, slots=True)
class Candidate:
    """A reward the member could redeem but for points: available, in stock, its tier admitted."""

    reward_id: int
    name: str
    price: int


@dataclass(frozen=True, slots=True)
class Suggestion:
    reward_id: int
    price: int
    points_needed: int
    progress_percent: int  # how much of the price the member has, rounded down
    explanation: str


def within_reach(
    candidates: Iterable[Candidate], available: int, percent: int, limit: int
) -> list[Suggestion]:
    """Rewards not yet affordable whose missing points are at most `percent` of the member's
    spendable points, nearest first (fewest points missing, then cheapest, then oldest): the
    goal-gradient effect says people speed up as a goal comes near, so the nearest go first."""
    room = max(available, 0) * percent // 100
    near = [c for c in candidates if 0 < c.price - available <= room]
    near.sort(key=lambda c: (c.price - available, c.price, c.reward_id))
    return [_suggest(c, available, percent) for c in near[:limit]]


def _suggest(candidate: Candidate, available: int, percent: int) -> Suggestion:
    needed = candidate.price - available
    progress = available * 100 // candidate.price
    why = (
        f"{needed} more points for {candidate.name}: you have {available} of its "
        f"{candidate.price} points ({progress}%), and what is missing is within {percent}% "
        "of your balance."
    )
    return Suggestion(candidate.reward_id, candidate.price, needed, progress, why)


def generate_code() -> str:
    """An unguessable code from the OS's secure random source."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def validate_pool_codes(codes: Sequence[str]) -> list[str]:
    """Codes to import, each exactly as the partner wrote it; every problem reported."""
    problems = ProblemCollector()
    if not 1 <= len(codes) <= MAX_IMPORT:
        problems.add("codes", f"Send 1 to {MAX_IMPORT} codes at a time.", ErrorCode.INVALID_CODE)
    seen: set[str] = set()
    for index, code in enumerate(codes):
        if _POOL_CODE.fullmatch(code) is None:
            problems.add(
                ("codes", str(index)),
                "A code is 4-64 letters, digits, '-' or '_', starting with a letter or digit.",
                ErrorCode.INVALID_CODE,
            )
        elif code in seen:
            problems.add(
                ("codes", str(index)), "This code is listed twice.", ErrorCode.INVALID_CODE
            )
        seen.add(code)
    problems.raise_if_any()
    return list(codes)
