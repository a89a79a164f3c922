"""Earning rules: order and event points with explanations, caps, clawback and order validation."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from domain.earning import (
    Computation,
    Order,
    OrderLine,
    cap_period_start,
    capped,
    event_points,
    order_points,
    round_points,
)
from domain.ledger import ExplanationLine
from domain.points_config import Bonus, Cap, CapPeriod, PointsConfig, Rounding
from domain.validation import ErrorCode, InvalidInput

pytestmark = pytest.mark.unit

D = Decimal
DOWN, HALF_UP, UP = Rounding.DOWN, Rounding.HALF_UP, Rounding.UP


def order(total: str, *lines: OrderLine, currency: str = "EUR") -> Order:
    return Order("o-1", D(total), currency, lines)


def line(sku: str, quantity: int, price: str, category: str | None = None) -> OrderLine:
    return OrderLine(sku, category, quantity, D(price))


Steps = list[tuple[str, int]]


def steps(computation: Computation) -> Steps:
    return [(item.code, item.points) for item in computation.lines]


def problems(caught: pytest.ExceptionInfo[InvalidInput]) -> list[tuple[tuple[str, ...], ErrorCode]]:
    return [(problem.field, problem.code) for problem in caught.value.problems]


@pytest.mark.parametrize(
    ("total", "rounding", "points", "explained"),
    [
        ("42.50", DOWN, 42, [("BASE", 42)]),
        ("42.50", HALF_UP, 43, [("BASE", 43)]),
        ("42.20", DOWN, 42, [("BASE", 42)]),
        ("42.20", UP, 43, [("BASE", 43)]),
        ("0", UP, 0, [("BASE", 0)]),
    ],
)
def test_base_points_rounded_once(
    total: str, rounding: Rounding, points: int, explained: Steps
) -> None:
    computation = order_points(order(total), PointsConfig(rounding=rounding))
    assert (computation.points, steps(computation)) == (points, explained)
    assert computation.lines[0].label == f"1 per EUR 1 on EUR {D(total).quantize(D('0.01'))}"


def test_bonuses_by_sku_and_category_the_highest_wins() -> None:
    bonuses = (Bonus(D(2), sku="A"), Bonus(D(3), category="shoes"), Bonus(D(1), sku="C"))
    shoe_a, hats_a = line("A", 1, "10", "shoes"), line("A", 2, "10", "hats")
    lines = (shoe_a, hats_a, line("B", 1, "10", "shoes"), line("C", 1, "10"))
    computation = order_points(order("50", *lines), PointsConfig(bonuses=bonuses))
    # base 50; A in shoes x3 (+20); 2 x A x2 (+20); B in shoes x3 (+20); C x1 earns nothing extra
    assert steps(computation) == [("BASE", 50), ("BONUS", 20), ("BONUS", 20), ("BONUS", 20)]
    assert computation.points == 110
    assert [item.label for item in computation.lines[1:]] == [
        "x3 on category shoes (1 x A)",
        "x2 on SKU A (2 x A)",
        "x3 on category shoes (1 x B)",
    ]


@pytest.mark.parametrize(("total", "bonus"), [("50", 50), ("100", 100), ("130", 100)])
def test_bonuses_scale_with_the_share_actually_paid(total: str, bonus: int) -> None:
    config = PointsConfig(bonuses=(Bonus(D(2), sku="A"),))
    computation = order_points(order(total, line("A", 2, "50")), config)  # lines worth 100
    assert steps(computation) == [("BASE", int(D(total))), ("BONUS", bonus)]


def test_tier_multiplier_applies_to_base_and_bonuses() -> None:
    config = PointsConfig(earn_rate=D(2), bonuses=(Bonus(D(2), sku="A"),))
    computation = order_points(order("10", line("A", 1, "10")), config, tier_multiplier=D("1.5"))
    assert steps(computation) == [("BASE", 20), ("BONUS", 20), ("TIER", 20)]
    assert computation.lines[2].label == "Tier multiplier x1.5"
    assert "TIER" not in dict(steps(order_points(order("10"), config, tier_multiplier=D(1))))


skus = st.sampled_from(["A", "B", "C"])
categories = st.sampled_from([None, "x", "y"])
money = st.decimals(min_value=0, max_value=5000, places=2)
order_lines = st.lists(st.builds(OrderLine, skus, categories, st.integers(1, 5), money), max_size=4)
orders = st.builds(Order, st.just("o"), money, st.just("EUR"), order_lines.map(tuple))
multipliers = st.decimals(min_value=1, max_value=10, places=1)
by_category = st.builds(Bonus, multipliers, category=st.sampled_from(["x", "y"]))
bonuses = st.lists(st.builds(Bonus, multipliers, sku=skus) | by_category, max_size=3).map(tuple)
rates = st.decimals(min_value=0, max_value=50, places=3)
configs = st.builds(PointsConfig, rates, st.sampled_from(list(Rounding)), bonuses)
tiers = st.decimals(min_value=1, max_value=3, places=2)


@given(orders, configs, tiers)
@settings(max_examples=300, deadline=None, database=None)
def test_lines_always_add_up_to_the_points(o: Order, config: PointsConfig, tier: Decimal) -> None:
    computation = order_points(o, config, tier_multiplier=tier)
    assert sum(item.points for item in computation.lines) == computation.points >= 0
    variants = [replace(config, rounding=rounding) for rounding in Rounding]  # DOWN, HALF_UP, UP
    by_rounding = [order_points(o, variant, tier_multiplier=tier).points for variant in variants]
    assert by_rounding[0] <= by_rounding[1] <= by_rounding[2] <= by_rounding[0] + 1


def exact_points(o: Order, config: PointsConfig, tier: Decimal) -> int:  # in exact fractions
    rate, total = Fraction(config.earn_rate), Fraction(o.total)
    value = sum((Fraction(item.value) for item in o.lines), Fraction(0))
    exact, share = total * rate, min(Fraction(1), total / value) if value else Fraction(0)
    for item in o.lines:
        bonus = config.multiplier_for(item.sku, item.category)
        if bonus is not None:
            exact += Fraction(item.value) * share * rate * (Fraction(bonus.multiplier) - 1)
    exact *= Fraction(tier)
    half_up = math.floor(exact + Fraction(1, 2))
    return {DOWN: math.floor(exact), UP: math.ceil(exact)}.get(config.rounding, half_up)


@example(order("5.00", line("A", 1, "19.00")), PointsConfig(bonuses=(Bonus(D(2), sku="A"),)), D(1))
@given(orders, configs, tiers)
@settings(max_examples=100, deadline=None, database=None)
def test_points_equal_the_exact_rule(o: Order, config: PointsConfig, tier: Decimal) -> None:
    assert order_points(o, config, tier_multiplier=tier).points == exact_points(o, config, tier)


# Whole amounts, rates and multipliers on discounted orders: the exact points are often whole,
# so any rounded intermediate (a third of a line, say) shows as a point lost or gained.
wholes = st.integers(0, 12).map(Decimal)
whole_lines = st.builds(OrderLine, st.sampled_from(["A", "B"]), st.none(), st.just(1), wholes)
whole_orders = st.builds(
    Order,
    st.just("o"),
    wholes,
    st.just("EUR"),
    st.lists(whole_lines, min_size=2, max_size=4).map(tuple),
)
on_a = st.builds(Bonus, st.integers(2, 5).map(Decimal), sku=st.just("A")).map(lambda b: (b,))
whole_configs = st.builds(
    PointsConfig, st.integers(1, 3).map(Decimal), st.sampled_from(list(Rounding)), on_a
)
X4_ON_A = (Bonus(D(4), sku="A"),)
X3_ON_A = (Bonus(D(3), sku="A"),)
# A third of a line paid: 2 + 3 x 4/3 is 6 exactly, and 3 + 2 x 6/3 is 7.
THIRDS = order("2.00", line("A", 1, "2.00"), line("B", 1, "1.00"))
MORE_THIRDS = order("3", line("A", 1, "1"), line("A", 1, "5"), line("B", 1, "3"))


@example(THIRDS, PointsConfig(rounding=DOWN, bonuses=X4_ON_A))
@example(THIRDS, PointsConfig(rounding=UP, bonuses=X4_ON_A))
@example(MORE_THIRDS, PointsConfig(rounding=DOWN, bonuses=X3_ON_A))
@example(MORE_THIRDS, PointsConfig(rounding=UP, bonuses=X3_ON_A))
@given(whole_orders, whole_configs)
@settings(max_examples=300, deadline=None, database=None)
def test_whole_amounts_earn_exactly_the_rule(o: Order, config: PointsConfig) -> None:
    computation = order_points(o, config)
    assert computation.points == exact_points(o, config, D(1))
    assert sum(item.points for item in computation.lines) == computation.points


@pytest.mark.parametrize("rounding", list(Rounding))
@pytest.mark.parametrize(
    ("o", "bonus", "points"), [(THIRDS, X4_ON_A, 6), (MORE_THIRDS, X3_ON_A, 7)]
)
def test_bonuses_on_a_discounted_order_are_exact(
    o: Order, bonus: tuple[Bonus, ...], points: int, rounding: Rounding
) -> None:
    computation = order_points(o, PointsConfig(rounding=rounding, bonuses=bonus))
    assert computation.points == points == sum(item.points for item in computation.lines)


@pytest.mark.parametrize(
    ("value", "down", "half_up", "up"),
    [
        (Fraction(5, 2), 2, 3, 3),
        (Fraction(-5, 2), -2, -3, -3),  # by magnitude: DOWN is toward zero, UP away from it
        (Fraction(-7, 3), -2, -2, -3),
        (Fraction(7, 3), 2, 2, 3),
        (Fraction(4), 4, 4, 4),
        (Fraction(0), 0, 0, 0),
    ],
)
def test_rounding_modes_round_the_magnitude(
    value: Fraction, down: int, half_up: int, up: int
) -> None:
    rounded = [round_points(value, rounding) for rounding in (DOWN, HALF_UP, UP)]
    assert rounded == [down, half_up, up]


def test_event_points_known_and_unknown() -> None:
    config = PointsConfig(events={"signup": 50})
    signup = Computation(50, (ExplanationLine("EVENT", "Fixed points for signup", 50),))
    assert event_points("signup", config) == signup
    with pytest.raises(InvalidInput) as caught:
        event_points("birthday", config, at=("source", "event"))
    assert problems(caught) == [(("source", "event", "name"), ErrorCode.UNKNOWN_EVENT)]


@pytest.mark.parametrize(
    ("cap", "earned", "points", "cut"),
    [
        (None, 10_000, 80, None),
        (Cap(CapPeriod.DAY, 100), 20, 80, None),
        (Cap(CapPeriod.DAY, 100), 50, 50, -30),
        (Cap(CapPeriod.WEEK, 100), 100, 0, -80),
        (Cap(CapPeriod.WEEK, 100), 130, 0, -80),
    ],
)
def test_capped_to_the_room(cap: Cap | None, earned: int, points: int, cut: int | None) -> None:
    computation = capped(Computation(80, (ExplanationLine("BASE", "base", 80),)), cap, earned)
    assert computation.points == points == sum(item.points for item in computation.lines)
    assert steps(computation) == [("BASE", 80)] + ([("CAP", cut)] if cut else [])
    if cap and cut:
        assert computation.lines[-1].label == f"Cap of 100 points per {cap.period.lower()} reached"


# DAY, WEEK, MONTH, YEAR at Monday 2024-01-01 05:00 UTC, still Sunday 2023-12-31 in Los Angeles
STARTS = ["2023-12-31", "2023-12-25", "2023-12-01", "2023-01-01"]


@pytest.mark.parametrize(("period", "start"), list(zip(CapPeriod, STARTS, strict=True)))
def test_cap_period_starts_at_local_midnight(period: CapPeriod, start: str) -> None:
    begins = cap_period_start(period, datetime(2024, 1, 1, 5, tzinfo=UTC), "America/Los_Angeles")
    assert begins == datetime.fromisoformat(start).replace(tzinfo=ZoneInfo("America/Los_Angeles"))
    assert begins.utcoffset() == timedelta(hours=-8)


def test_cap_year_start_keeps_winter_offset_in_summer() -> None:
    begins = cap_period_start(CapPeriod.YEAR, datetime(2024, 7, 1, 12, tzinfo=UTC), "Europe/Berlin")
    assert begins.astimezone(UTC) == datetime(2023, 12, 31, 23, tzinfo=UTC)


def test_fractions_lost_line_by_line_come_back_as_a_rounding_line() -> None:
    # 0.60 earns 0.6 base and 0.6 bonus: each line rounds down to 0, the order to 1.
    config = PointsConfig(bonuses=(Bonus(Decimal(2), sku="A"),))
    computed = order_points(order("0.60", OrderLine("A", None, 1, Decimal("0.60"))), config)
    assert computed.points == 1
    assert [(line.code, line.points) for line in computed.lines] == [
        ("BASE", 0),
        ("BONUS", 0),
        ("ROUNDING", 1),
    ]
