"""Tier rules: windows over monthly buckets, inclusive thresholds, progress, evaluation moments,
and what an evaluation decides about grace and downgrades."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from domain.tier_config import validate_tiers
from domain.tiers import (
    Amounts,
    ChangeReason,
    DowngradePolicy,
    EvaluationMoment,
    Metric,
    Policy,
    Standing,
    TierDef,
    WindowKind,
    earned,
    evaluate,
    next_moment,
    progress,
    qualifying,
    retain_by,
    window,
    window_ends_on,
)
from domain.validation import InvalidInput

TIERS = (
    TierDef("base", "Base", "", D(0), D(1)),
    TierDef("silver", "Silver", "", D(100), D("1.25")),
    TierDef("gold", "Gold", "", D(500), D("1.5")),
)
ROLLING = Policy(window_months=3, grace_days=10)
ENROLLED = date(2020, 6, 15)


def test_a_rolling_window_is_the_month_and_the_ones_before() -> None:
    assert window(ROLLING, date(2026, 2, 10)) == (date(2025, 12, 1), date(2026, 2, 1))
    assert window_ends_on(ROLLING, date(2026, 2, 10)) == date(2026, 2, 28)
    year = Policy(window=WindowKind.CALENDAR_YEAR)
    assert window(year, date(2026, 2, 10)) == (date(2026, 1, 1), date(2026, 12, 1))


def test_earnings_age_out_of_a_rolling_window() -> None:
    buckets = {date(2026, 1, 1): Amounts(80), date(2026, 3, 1): Amounts(30)}
    assert qualifying(ROLLING, buckets, date(2026, 3, 31)) == 110
    assert qualifying(ROLLING, buckets, date(2026, 4, 1)) == 30


def test_exactly_the_threshold_is_the_tier() -> None:
    assert [earned(TIERS, D(n)) for n in (0, 99, 100, 499, 500, 10**6)] == [0, 0, 1, 1, 2, 2]


def test_progress_is_exact_around_thresholds() -> None:
    below = progress(TIERS, 0, D(99))
    assert (below.next_index, below.to_next, below.percent) == (1, D(1), 99)
    at = progress(TIERS, 1, D(100))
    assert (at.next_index, at.to_next, at.percent) == (2, D(400), 20)
    top = progress(TIERS, 2, D(500))
    assert (top.next_index, top.to_next, top.percent) == (None, None, None)


def test_moments_fall_yearly_and_29_february_on_the_28th() -> None:
    fixed = Policy()
    assert next_moment(fixed, date(2026, 1, 1), ENROLLED) == date(2027, 1, 1)
    assert next_moment(fixed, date(2025, 12, 31), ENROLLED) == date(2026, 1, 1)
    anniversary = Policy(evaluation=EvaluationMoment.ANNIVERSARY)
    assert next_moment(anniversary, date(2026, 1, 1), ENROLLED) == date(2026, 6, 15)
    assert next_moment(anniversary, date(2026, 1, 1), date(2024, 2, 29)) == date(2026, 2, 28)


def gold(evaluate_on: date) -> Standing:
    return Standing(2, evaluate_on)


def test_below_the_threshold_at_the_moment_a_downgrade_waits_out_the_grace() -> None:
    buckets = {date(2025, 12, 1): Amounts(150)}
    moment = date(2026, 1, 1)
    pending = evaluate(TIERS, ROLLING, gold(moment), buckets, moment, ENROLLED)
    assert pending.reason is None
    assert pending.standing == Standing(
        2, date(2027, 1, 1), downgrade_on=date(2026, 1, 11), retain_since=date(2025, 10, 1)
    )
    assert retain_by(TIERS, ROLLING, pending.standing, buckets) == D(350)
    still = evaluate(TIERS, ROLLING, pending.standing, buckets, date(2026, 1, 10), ENROLLED)
    assert still.standing == pending.standing
    down = evaluate(TIERS, ROLLING, pending.standing, buckets, date(2026, 1, 11), ENROLLED)
    assert (down.standing, down.reason) == (Standing(1, date(2027, 1, 1)), ChangeReason.DOWNGRADE)


def test_to_earned_goes_straight_down_and_requalifying_cancels() -> None:
    policy = Policy(window_months=3, grace_days=0, downgrade=DowngradePolicy.TO_EARNED)
    moment = date(2026, 1, 1)
    down = evaluate(TIERS, policy, gold(moment), {}, moment, ENROLLED)
    assert (down.standing.tier, down.reason) == (0, ChangeReason.DOWNGRADE)
    pending = Standing(2, date(2027, 1, 1), date(2026, 1, 11), date(2025, 10, 1))
    kept = {date(2026, 1, 1): Amounts(500)}
    cancelled = evaluate(TIERS, ROLLING, pending, kept, date(2026, 1, 11), ENROLLED)
    assert (cancelled.standing, cancelled.reason) == (Standing(2, date(2027, 1, 1)), None)


def test_a_calendar_year_is_judged_on_the_year_that_ended() -> None:
    year = Policy(window=WindowKind.CALENDAR_YEAR, grace_days=0)
    buckets = {date(2025, 3, 1): Amounts(600)}
    kept = evaluate(TIERS, year, gold(date(2026, 1, 1)), buckets, date(2026, 1, 1), ENROLLED)
    assert (kept.standing, kept.reason) == (gold(date(2027, 1, 1)), None)


def test_an_assignment_holds_until_its_end() -> None:
    assigned = Standing(2, None, assigned=True, assigned_until=date(2026, 3, 1))
    held = evaluate(TIERS, ROLLING, assigned, {}, date(2026, 1, 1), ENROLLED)
    assert (held.standing.tier, held.reason) == (2, None)
    ended = evaluate(TIERS, ROLLING, assigned, {}, date(2026, 3, 1), ENROLLED)
    assert (ended.standing.tier, ended.reason) == (0, ChangeReason.ASSIGNMENT_ENDED)


def test_spend_thresholds_use_money() -> None:
    policy = Policy(metric=Metric.SPEND)
    buckets = {date(2026, 1, 1): Amounts(5, D("100.50"))}
    assert qualifying(policy, buckets, date(2026, 1, 2)) == D("100.50")


@pytest.mark.parametrize(
    ("tiers", "field"),
    [
        ((), "tiers"),
        ((TierDef("base", "B", "", D(1), D(1)),), "tiers.0.threshold"),
        ((*TIERS, TierDef("gold", "G", "", D(900), D(1))), "tiers.3.key"),
        ((TIERS[0], TierDef("x", "X", "", D(0), D(1))), "tiers.1.threshold"),
        ((TIERS[0], TierDef("x", "X", "", D("10.5"), D(1))), "tiers.1.threshold"),
        ((TIERS[0], TierDef("x", "X", "", D(10), D("10.01"))), "tiers.1.multiplier"),
        ((TierDef("Bad key", "B", "", D(0), D(1)),), "tiers.0.key"),
    ],
)
def test_invalid_tiers_are_refused_at_their_field(tiers: tuple[TierDef, ...], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        validate_tiers(tiers, Policy(), currency_exponent=2)
    assert field in [".".join(p.field) for p in refused.value.problems]


def test_policy_bounds() -> None:
    with pytest.raises(InvalidInput) as refused:
        validate_tiers(
            TIERS,
            Policy(window_months=0, evaluation_month=2, evaluation_day=29, grace_days=366),
            currency_exponent=2,
        )
    fields = {".".join(p.field) for p in refused.value.problems}
    assert fields == {"policy.windowMonths", "policy.evaluationDay", "policy.graceDays"}
