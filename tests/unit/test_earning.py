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
    MAX_ORDER_LINES,
    Computation,
    Order,
    OrderLine,
    cap_period_start,
    capped,
    clawback_points,
    event_points,
    order_points,
    round_points,
    validate_event,
    validate_order,
    validate_return,
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


def claw(
    earned: int,
    total: str,
    before: str,
    returning: str,
    clawed: int = 0,
    rounding: Rounding = HALF_UP,
) -> int:
    return clawback_points(
        earned=earned,
        order_total=D(total),
        returned_before=D(before),
        returning=D(returning),
        clawed_before=clawed,
        rounding=rounding,
    )


def test_clawback_is_proportional_and_cumulative() -> None:
    first = claw(10, "3", "0", "1")
    second = claw(10, "3", "1", "1", first)
    third = claw(10, "3", "2", "1", first + second)
    assert (first, second, third) == (3, 4, 3)
    assert claw(100, "200", "0", "50") == 25


@pytest.mark.parametrize(
    ("rounding", "thirds", "half"),
    [(DOWN, (4, 3, 3), 2), (HALF_UP, (3, 4, 3), 1), (UP, (3, 3, 4), 1)],
)
def test_clawback_rounds_what_the_member_keeps_by_the_program_rule(
    rounding: Rounding, thirds: tuple[int, int, int], half: int
) -> None:
    # 10 points on 3.00 returned a third at a time: the member keeps 6.67, then 3.33, then 0.
    first = claw(10, "3", "0", "1", rounding=rounding)
    second = claw(10, "3", "1", "1", first, rounding=rounding)
    third = claw(10, "3", "2", "1", first + second, rounding=rounding)
    assert (first, second, third) == thirds
    assert claw(3, "2", "0", "1", rounding=rounding) == half  # the member keeps 1.5 of 3


def test_clawback_never_gives_points_back_when_the_rule_changed() -> None:
    first = claw(10, "3", "0", "1", rounding=DOWN)  # keeps 6 of 6.67
    assert first == 4
    assert claw(10, "3", "1", "0.01", first, rounding=UP) == 0  # UP would keep 7 of 6.63


def test_clawback_of_a_zero_total_order_takes_everything_on_any_return() -> None:
    assert claw(7, "0", "0", "0") == 0
    assert claw(7, "0", "0", "0.01", 2) == 5


@given(
    st.integers(0, 10**7),
    st.lists(st.integers(1, 10**6), min_size=1, max_size=8),
    st.sampled_from(list(Rounding)),
)
@settings(max_examples=300, deadline=None, database=None)
def test_partial_returns_give_back_exactly_what_was_earned(
    earned: int, cents: list[int], rounding: Rounding
) -> None:
    parts = [str(D(part) / 100) for part in cents]
    total, returned, clawed = str(sum(D(part) / 100 for part in cents)), D(0), 0
    for part in parts:
        points = claw(earned, total, str(returned), part, clawed, rounding)
        assert 0 <= points <= earned - clawed
        returned, clawed = returned + D(part), clawed + points
    assert clawed == earned


def test_validate_order_accepts_a_good_order() -> None:
    good = order("19.90", line("A", 2, "9.95", "shoes"))
    assert validate_order(good, "EUR") is good
    assert validate_order(order("1000", currency="JPY"), "JPY").total == D(1000)
    assert validate_order(order("1.005", currency="KWD"), "KWD").total == D("1.005")


MISMATCH, AMOUNT, ORDER = (
    ErrorCode.CURRENCY_MISMATCH,
    ErrorCode.INVALID_AMOUNT,
    ErrorCode.INVALID_ORDER,
)


LINE = ("lines", "0")


@pytest.mark.parametrize(
    ("bad", "currency", "field", "code"),
    [
        (order("10.00", currency="USD"), "EUR", ("currency",), MISMATCH),  # never converted
        (order("10", currency="EUR"), "JPY", ("currency",), MISMATCH),
        (order("10", currency="EUR\x00"), "EUR", ("currency",), MISMATCH),
        (order("100.5", currency="JPY"), "JPY", ("total",), AMOUNT),
        (order("1.005"), "EUR", ("total",), AMOUNT),
        (order("-0.01"), "EUR", ("total",), AMOUNT),
        (order("NaN"), "EUR", ("total",), AMOUNT),
        (order("sNaN"), "EUR", ("total",), AMOUNT),
        (order("Infinity"), "EUR", ("total",), AMOUNT),
        (order("1e13"), "EUR", ("total",), AMOUNT),
        (order("1E+1000000"), "EUR", ("total",), AMOUNT),
        (order("0E-1000000"), "EUR", ("total",), AMOUNT),
        # 31 digits: a context would round it to 1, yet it is no amount in cents
        (order("1.000000000000000000000000000001"), "EUR", ("total",), AMOUNT),
        (order("1", line(" ", 1, "1")), "EUR", (*LINE, "sku"), ORDER),
        (order("1", line("A\x00", 1, "1")), "EUR", (*LINE, "sku"), ORDER),
        (order("1", line("A", 1, "1", "c\ud800")), "EUR", (*LINE, "category"), ORDER),
        (order("1", line("A", 1, "1", "x" * 129)), "EUR", (*LINE, "category"), ORDER),
        (order("1", line("A", 0, "1")), "EUR", (*LINE, "quantity"), ORDER),
        (order("1", line("A", 1, "-1")), "EUR", (*LINE, "unitPrice"), ORDER),
        (order("1", line("A", 1, "0.001")), "EUR", (*LINE, "unitPrice"), ORDER),
        (order("1", line("A", 1, "1E-1000000")), "EUR", (*LINE, "unitPrice"), ORDER),
        (order("1", *[line("A", 1, "1")] * (MAX_ORDER_LINES + 1)), "EUR", ("lines",), ORDER),
        (Order(" o-1", D(1), "EUR"), "EUR", ("orderId",), ORDER),
        (Order("o-1\ud800", D(1), "EUR"), "EUR", ("orderId",), ORDER),
        (Order("x" * 129, D(1), "EUR"), "EUR", ("orderId",), ORDER),
    ],
)
def test_validate_order_refusals(
    bad: Order, currency: str, field: tuple[str, ...], code: ErrorCode
) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_order(bad, currency)
    assert problems(caught) == [(field, code)]


def test_validate_order_reports_every_problem_under_its_input_path() -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_order(Order("", D(-1), "USD", (line("A", 0, "1"),)), "EUR", at=("in", "order"))
    fields = [
        (("currency",), MISMATCH),
        (("total",), AMOUNT),
        (("orderId",), ORDER),
        ((*LINE, "quantity"), ORDER),
    ]
    assert problems(caught) == [(("in", "order", *field), code) for field, code in fields]


@pytest.mark.parametrize(
    ("order_id", "return_id", "amount", "field", "code"),
    [
        ("o-1", "r-1", "0", "amount", AMOUNT),
        ("o-1", "r-1", "-1", "amount", AMOUNT),
        ("o-1", "r-1", "sNaN", "amount", AMOUNT),
        ("o-1", "r-1", "0E-1000000", "amount", AMOUNT),
        ("o-1", "", "1", "returnId", ORDER),
        ("o-1", "r-1\x00", "1", "returnId", ORDER),
        ("o-1\x00", "r-1", "1", "orderId", ORDER),
        ("o-1\ud800", "r-1", "1", "orderId", ORDER),
    ],
)
def test_validate_return_refusals(
    order_id: str, return_id: str, amount: str, field: str, code: ErrorCode
) -> None:
    validate_return("o-1", "r-1", D("0.01"), "EUR", "EUR")
    with pytest.raises(InvalidInput) as caught:
        validate_return(order_id, return_id, D(amount), "EUR", "EUR")
    assert problems(caught) == [((field,), code)]


@pytest.mark.parametrize(
    ("name", "reference", "field", "code"),
    [
        ("signup\x00", "", "name", ErrorCode.UNKNOWN_EVENT),
        ("sign up", "", "name", ErrorCode.UNKNOWN_EVENT),
        ("s" * 65, "", "name", ErrorCode.UNKNOWN_EVENT),
        ("signup", "r\ud800", "reference", ORDER),
        ("signup", " r", "reference", ORDER),
    ],
)
def test_validate_event_refusals(name: str, reference: str, field: str, code: ErrorCode) -> None:
    validate_event("signup", "")
    validate_event("signup", "review-1")
    with pytest.raises(InvalidInput) as caught:
        validate_event(name, reference, at=("source", "event"))
    assert problems(caught) == [(("source", "event", field), code)]


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
