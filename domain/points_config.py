"""A program's points configuration: how points are earned, held, expire and are clawed back."""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.ledger import MAX_POINTS
from domain.validation import ErrorCode, ProblemCollector

MAX_PENDING_DAYS = 365
EVENT_NAME_MAX = 64
MAX_EVENT_POINTS = 10_000_000
MAX_EXPIRY_DAYS = 3650  # ten years; beyond that choose NEVER
MAX_EXPIRY_MONTHS = 120
MAX_MULTIPLIER = Decimal(100)
MULTIPLIER_SCALE = 2
MAX_RATE = Decimal(10_000)
RATE_SCALE = 6
BONUS_TARGET_MAX = 128  # a SKU or category, as long as an order line's
EVENT_NAME_RULE = f"snake_case, at most {EVENT_NAME_MAX} characters"
_EVENT_NAME = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")


class Rounding(StrEnum):
    """How fractional points round, by magnitude: DOWN toward zero (never over-awards), UP away
    from zero, HALF_UP to the nearest with halves away from zero (the shop-till habit). Applied
    once to an award's exact value, and to what a member keeps of an order after a return."""

    DOWN = "DOWN"
    HALF_UP = "HALF_UP"
    UP = "UP"


class CapPeriod(StrEnum):
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"
    YEAR = "YEAR"


class ExpiryMode(StrEnum):
    NEVER = "NEVER"
    AFTER_DAYS = "AFTER_DAYS"
    AFTER_MONTHS = "AFTER_MONTHS"


class ClawbackPolicy(StrEnum):
    """What a return does when the member already spent the points it earned."""

    CLAMP_AND_RECORD_DEBT = "CLAMP_AND_RECORD_DEBT"
    ALLOW_NEGATIVE = "ALLOW_NEGATIVE"
    DENY = "DENY"


@dataclass(frozen=True, slots=True)
class Bonus:
    """Extra points for matching order lines: `multiplier` 2 earns double on them."""

    multiplier: Decimal
    sku: str | None = None
    category: str | None = None


@dataclass(frozen=True, slots=True)
class Cap:
    """At most `max_points` rule-computed points per member per calendar period."""

    period: CapPeriod
    max_points: int


@dataclass(frozen=True, slots=True)
class Expiry:
    mode: ExpiryMode = ExpiryMode.NEVER
    amount: int = 0
    round_to_month_end: bool = False

    def expires_at(self, earned_at: datetime, timezone: str) -> datetime | None:
        """When points earned at `earned_at` expire: the end of a local day, or never."""
        if self.mode is ExpiryMode.NEVER:
            return None
        zone = ZoneInfo(timezone)
        earned_on = earned_at.astimezone(zone).date()
        if self.mode is ExpiryMode.AFTER_DAYS:
            last_day = earned_on + timedelta(days=self.amount)
        else:
            last_day = _add_months(earned_on, self.amount)
        if self.round_to_month_end:
            last_day = last_day.replace(day=calendar.monthrange(last_day.year, last_day.month)[1])
        # Points are usable through their last day and gone at the next local midnight.
        return datetime.combine(last_day + timedelta(days=1), time(), tzinfo=zone)


@dataclass(frozen=True, slots=True)
class PointsConfig:
    """Everything a program decides about points. The defaults are a plain 1 point per unit."""

    earn_rate: Decimal = Decimal(1)
    rounding: Rounding = Rounding.DOWN
    bonuses: tuple[Bonus, ...] = ()
    events: dict[str, int] = field(default_factory=dict)
    cap: Cap | None = None
    pending_days: int = 0
    expiry: Expiry = Expiry()
    clawback: ClawbackPolicy = ClawbackPolicy.CLAMP_AND_RECORD_DEBT

    def multiplier_for(self, sku: str, category: str | None) -> Bonus | None:
        """The best bonus for a line: the highest multiplier among SKU and category matches."""
        matches = [
            b
            for b in self.bonuses
            if (b.sku is not None and b.sku == sku)
            or (b.category is not None and b.category == category)
        ]
        return max(matches, key=lambda b: b.multiplier, default=None)


def is_event_name(name: str) -> bool:
    return len(name) <= EVENT_NAME_MAX and _EVENT_NAME.fullmatch(name) is not None


def validate_points_config(
    config: PointsConfig, *, listed_events: Sequence[tuple[str, int]] | None = None
) -> PointsConfig:
    """Check a configuration as a whole; raises InvalidInput listing every problem, each at its
    input path (a bonus's at ('bonuses', index, field)).

    `listed_events` are the events as the client listed them, when they came as a list: a dict
    keeps one entry per name, so a duplicate would silently win and every later index would
    shift. It must hold the same events as `config.events`."""
    events = list(config.events.items()) if listed_events is None else list(listed_events)
    if dict(events) != config.events:
        raise ValueError("listed_events are not the configuration's events")
    problems = ProblemCollector()
    invalid = ErrorCode.INVALID_POINTS_CONFIG
    problems.decimal(
        "earnRate",
        config.earn_rate,
        low=Decimal(0),
        high=MAX_RATE,
        scale=RATE_SCALE,
        label="earnRate",
        code=invalid,
    )
    targets: set[tuple[str, str]] = set()
    for index, bonus in enumerate(config.bonuses):
        at = ("bonuses", str(index))
        if (bonus.sku is None) == (bonus.category is None):
            problems.add(at, "Each bonus names exactly one of sku or category.", invalid)
        for kind, target in (("sku", bonus.sku), ("category", bonus.category)):
            if target is not None:
                problems.reference(
                    (*at, kind), target, max_length=BONUS_TARGET_MAX, label=kind, code=invalid
                )
                # Two bonuses for one target would leave which applies to chance of order.
                if (kind, target) in targets:
                    problems.add(
                        (*at, kind),
                        f"Another bonus already applies to {kind} {target!r}.",
                        ErrorCode.DUPLICATE_RULE,
                    )
                targets.add((kind, target))
        problems.decimal(
            (*at, "multiplier"),
            bonus.multiplier,
            low=Decimal(1),
            high=MAX_MULTIPLIER,
            scale=MULTIPLIER_SCALE,
            label="A bonus multiplier",
            code=invalid,
        )
    names: set[str] = set()
    for index, (name, points) in enumerate(events):
        if not is_event_name(name):
            problems.add(
                ("events", str(index), "name"), f"Event names are {EVENT_NAME_RULE}.", invalid
            )
        elif name in names:
            problems.add(
                ("events", str(index), "name"),
                f"Event {name!r} is listed more than once.",
                ErrorCode.DUPLICATE_RULE,
            )
        names.add(name)
        if not 0 < points <= MAX_EVENT_POINTS:
            problems.add(
                ("events", str(index), "points"),
                f"An event earns 1 to {MAX_EVENT_POINTS} points.",
                invalid,
            )
    if config.cap is not None and not 0 < config.cap.max_points <= MAX_POINTS:
        problems.add(
            "cap",
            f"A cap must allow 1 to {MAX_POINTS} points.",
            ErrorCode.INVALID_POINTS_CONFIG,
        )
    if not 0 <= config.pending_days <= MAX_PENDING_DAYS:
        problems.add(
            "pendingDays",
            f"pendingDays must be 0 to {MAX_PENDING_DAYS}.",
            ErrorCode.INVALID_POINTS_CONFIG,
        )
    expiry = config.expiry
    longest = MAX_EXPIRY_MONTHS if expiry.mode is ExpiryMode.AFTER_MONTHS else MAX_EXPIRY_DAYS
    if expiry.mode is not ExpiryMode.NEVER and not 0 < expiry.amount <= longest:
        problems.add(
            "expiry",
            f"Expiry needs 1 to {longest} {'months' if longest == MAX_EXPIRY_MONTHS else 'days'}.",
            ErrorCode.INVALID_POINTS_CONFIG,
        )
    shortest_days = expiry.amount * (28 if expiry.mode is ExpiryMode.AFTER_MONTHS else 1)
    if expiry.mode is not ExpiryMode.NEVER and 0 < shortest_days <= config.pending_days:
        # Points would expire while still pending: the member could never use them.
        problems.add(
            "expiry",
            "Points must not expire before their pending window ends.",
            ErrorCode.INVALID_POINTS_CONFIG,
        )
    problems.raise_if_any()
    return config


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
