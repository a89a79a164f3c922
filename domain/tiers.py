"""Tier rules as pure arithmetic: qualification windows over monthly buckets, the tier a total
earns, progress toward the next one, evaluation moments and what an evaluation decides.

Qualifying amounts are kept per calendar month in the program's time zone (a bucket is the first
day of its month), so a rolling window of N months is the current month and the N-1 before it,
and earnings age out at month ends. Thresholds are inclusive: exactly the threshold is the tier.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum


class Metric(StrEnum):
    POINTS = "POINTS"  # points earned by orders and events (not manual grants)
    SPEND = "SPEND"  # money of orders, in the program's currency


class WindowKind(StrEnum):
    ROLLING_MONTHS = "ROLLING_MONTHS"
    CALENDAR_YEAR = "CALENDAR_YEAR"


class EvaluationMoment(StrEnum):
    FIXED_DATE = "FIXED_DATE"  # every year on the policy's month and day
    ANNIVERSARY = "ANNIVERSARY"  # every year on the day the member enrolled


class DowngradePolicy(StrEnum):
    ONE_STEP = "ONE_STEP"
    TO_EARNED = "TO_EARNED"


class ChangeReason(StrEnum):
    QUALIFIED = "QUALIFIED"  # a write's qualifying amount crossed a threshold
    EVALUATION = "EVALUATION"  # an evaluation applied thresholds changed since
    DOWNGRADE = "DOWNGRADE"  # the grace period ended below the tier's threshold
    ASSIGNED = "ASSIGNED"  # an admin's assignment
    ASSIGNMENT_ENDED = "ASSIGNMENT_ENDED"


@dataclass(frozen=True, slots=True)
class TierDef:
    key: str
    name: str
    description: str
    threshold: Decimal
    multiplier: Decimal


@dataclass(frozen=True, slots=True)
class Policy:
    metric: Metric = Metric.POINTS
    window: WindowKind = WindowKind.ROLLING_MONTHS
    window_months: int = 12
    evaluation: EvaluationMoment = EvaluationMoment.FIXED_DATE
    evaluation_month: int = 1
    evaluation_day: int = 1
    grace_days: int = 30
    downgrade: DowngradePolicy = DowngradePolicy.ONE_STEP


@dataclass(frozen=True, slots=True)
class Amounts:
    """One month's qualifying amounts, or a sum of them."""

    points: int = 0
    spend: Decimal = Decimal(0)

    def __add__(self, other: Amounts) -> Amounts:
        return Amounts(self.points + other.points, self.spend + other.spend)

    def of(self, metric: Metric) -> Decimal:
        return Decimal(self.points) if metric is Metric.POINTS else self.spend


Buckets = Mapping[date, Amounts]  # first day of the month -> its amounts


def plain(amount: Decimal) -> Decimal:
    """An amount as people write it: no trailing zeros of the database's scale, no exponent."""
    return (
        amount.quantize(Decimal(1)) if amount == amount.to_integral_value() else amount.normalize()
    )


def month_of(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def window(policy: Policy, today: date) -> tuple[date, date]:
    """The first and last month counting on `today`."""
    if policy.window is WindowKind.CALENDAR_YEAR:
        return date(today.year, 1, 1), date(today.year, 12, 1)
    last = month_of(today)
    return add_months(last, 1 - policy.window_months), last


def window_ends_on(policy: Policy, today: date) -> date:
    """The last day before (some of) what counts today stops counting."""
    _, last = window(policy, today)
    return date(last.year, last.month, calendar.monthrange(last.year, last.month)[1])


def oldest_month(policy: Policy, today: date) -> date:
    """The oldest bucket any rule may read today: an evaluation moment is at most a year ago."""
    return window(policy, today - timedelta(days=366))[0]


def total(buckets: Buckets, first: date, last: date | None = None) -> Amounts:
    # A plain loop: the evaluation job sums a few months for each of many members.
    points, spend = 0, Decimal(0)
    for month, amounts in buckets.items():
        if first <= month and (last is None or month <= last):
            points += amounts.points
            spend += amounts.spend
    return Amounts(points, spend)


def qualifying(policy: Policy, buckets: Buckets, today: date) -> Decimal:
    return total(buckets, *window(policy, today)).of(policy.metric)


def earned(tiers: Sequence[TierDef], amount: Decimal) -> int:
    """The index of the highest tier whose threshold `amount` reaches (the first has 0)."""
    return max(i for i, tier in enumerate(tiers) if tier.threshold <= amount)


@dataclass(frozen=True, slots=True)
class Progress:
    qualifying: Decimal
    next_index: int | None
    to_next: Decimal | None
    percent: int | None  # of the next tier's threshold, floored: 100 only once it is reached


def progress(tiers: Sequence[TierDef], current: int, amount: Decimal) -> Progress:
    if current + 1 >= len(tiers):
        return Progress(amount, None, None, None)
    threshold = tiers[current + 1].threshold
    share = (amount * 100 / threshold).to_integral_value(ROUND_FLOOR)
    return Progress(amount, current + 1, max(threshold - amount, Decimal(0)), min(int(share), 100))


def next_moment(policy: Policy, after: date, enrolled_on: date) -> date:
    """The first evaluation moment strictly after `after` (29 February falls on the 28th in
    other years)."""
    month, day = (
        (policy.evaluation_month, policy.evaluation_day)
        if policy.evaluation is EvaluationMoment.FIXED_DATE
        else (enrolled_on.month, enrolled_on.day)
    )
    for year in (after.year, after.year + 1):
        moment = date(year, month, min(day, calendar.monthrange(year, month)[1]))
        if moment > after:
            return moment
    raise AssertionError("a yearly moment falls within a year")


@dataclass(frozen=True, slots=True)
class Standing:
    """A member's stored tier state, as the evaluation reads and writes it."""

    tier: int
    evaluate_on: date | None
    downgrade_on: date | None = None
    retain_since: date | None = None
    assigned: bool = False
    assigned_until: date | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    standing: Standing
    reason: ChangeReason | None  # set when the tier changed


def evaluate(
    tiers: Sequence[TierDef],
    policy: Policy,
    was: Standing,
    buckets: Buckets,
    today: date,
    enrolled_on: date,
    *,
    reevaluating: bool = False,
) -> Decision:
    """What the evaluation job does for one member today: ends a due assignment, applies a
    downgrade whose grace ended (unless the member requalified meanwhile), and at an
    evaluation moment compares what counted until the day before with the thresholds: a member
    below its tier's gets a pending downgrade after `grace_days`, one above moves up."""
    now, reason = was, None
    if now.assigned and now.assigned_until is not None and now.assigned_until <= today:
        tier = earned(tiers, qualifying(policy, buckets, today))
        now, reason = Standing(tier, next_moment(policy, today, enrolled_on)), None
        if tier != was.tier:
            reason = ChangeReason.ASSIGNMENT_ENDED
        return Decision(now, reason)
    if now.assigned:
        return Decision(replace(now, evaluate_on=next_moment(policy, today, enrolled_on)), None)
    evaluate_on = now.evaluate_on or next_moment(policy, today - timedelta(days=1), enrolled_on)
    if reevaluating or evaluate_on <= today:
        # A moment judges what counted until the day before; an admin's re-evaluation, today.
        judged = today if reevaluating else evaluate_on - timedelta(days=1)
        first, last = window(policy, judged)
        tier = earned(tiers, total(buckets, first, last).of(policy.metric))
        following = next_moment(policy, today, enrolled_on) if evaluate_on <= today else evaluate_on
        if tier > now.tier:
            now, reason = Standing(tier, following), ChangeReason.EVALUATION
        elif tier == now.tier:
            now = Standing(now.tier, following)
        elif now.downgrade_on is None:
            grace_end = (today if reevaluating else evaluate_on) + timedelta(days=policy.grace_days)
            now = replace(now, evaluate_on=following, downgrade_on=grace_end, retain_since=first)
        else:
            now = replace(now, evaluate_on=following)
    else:
        now = replace(now, evaluate_on=evaluate_on)
    if now.downgrade_on is not None and now.downgrade_on <= today:
        assert now.retain_since is not None
        kept = total(buckets, now.retain_since).of(policy.metric)
        target = earned(tiers, kept)
        if target >= now.tier:
            now = replace(now, downgrade_on=None, retain_since=None)
        else:
            if policy.downgrade is DowngradePolicy.ONE_STEP:
                target = now.tier - 1
            now, reason = Standing(target, now.evaluate_on), ChangeReason.DOWNGRADE
    return Decision(now, reason if now.tier != was.tier else None)


def retain_by(tiers: Sequence[TierDef], policy: Policy, was: Standing, buckets: Buckets) -> Decimal:
    """What the member must still earn, during a pending downgrade, to keep its tier."""
    if was.retain_since is None:
        return Decimal(0)
    kept = total(buckets, was.retain_since).of(policy.metric)
    return max(tiers[was.tier].threshold - kept, Decimal(0))


def on_earning(
    tiers: Sequence[TierDef],
    policy: Policy,
    was: Standing,
    buckets: Buckets,
    today: date,
    enrolled_on: date,
) -> Decision | None:
    """What a write that added qualifying amounts changes at once: a higher tier when the
    window's total reaches its threshold (ending any assignment below it), or the end of a
    pending downgrade once the member earned its tier back. Never a downgrade."""
    tier = earned(tiers, qualifying(policy, buckets, today))
    evaluate_on = was.evaluate_on or next_moment(policy, today, enrolled_on)
    if tier > was.tier:
        return Decision(Standing(tier, evaluate_on), ChangeReason.QUALIFIED)
    if was.downgrade_on is not None and retain_by(tiers, policy, was, buckets) == 0:
        return Decision(replace(was, downgrade_on=None, retain_since=None), None)
    return None
