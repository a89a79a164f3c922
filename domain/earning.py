"""Earning rules as pure arithmetic: points for an order or an event, with an explanation whose
lines always add up to the points awarded."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from domain.currency import format_money, minor_unit_exponent
from domain.ledger import ExplanationLine
from domain.offers import multiplier_label
from domain.points_config import (
    EVENT_NAME_RULE,
    Cap,
    CapPeriod,
    PointsConfig,
    Rounding,
    is_event_name,
)
from domain.validation import (
    ErrorCode,
    InvalidInput,
    Problem,
    ProblemCollector,
    is_bounded_decimal,
)

MAX_ORDER_LINES = 500
MAX_AMOUNT = Decimal("1e12")
AMOUNT_DIGITS = 13  # before the point, for MAX_AMOUNT
REFERENCE_MAX = 128
INVALID_ORDER = ErrorCode.INVALID_ORDER


@dataclass(frozen=True, slots=True)
class OrderLine:
    sku: str
    category: str | None
    quantity: int
    unit_price: Decimal

    @property
    def value(self) -> Fraction:
        return Fraction(self.unit_price) * self.quantity


@dataclass(frozen=True, slots=True)
class Order:
    """What a storefront reports: `total` is the amount eligible for points (after discounts)."""

    order_id: str
    total: Decimal
    currency: str
    lines: tuple[OrderLine, ...] = ()


@dataclass(frozen=True, slots=True)
class Computation:
    points: int
    lines: tuple[ExplanationLine, ...]


def round_points(value: Fraction, rounding: Rounding) -> int:
    """A whole number of points by the program's rule, which rounds the magnitude: DOWN toward
    zero, UP away from it, HALF_UP to the nearest with halves away from zero."""
    magnitude = abs(value)
    match rounding:
        case Rounding.DOWN:
            whole = math.floor(magnitude)
        case Rounding.HALF_UP:
            whole = math.floor(magnitude + Fraction(1, 2))
        case Rounding.UP:
            whole = math.ceil(magnitude)
    return whole if value >= 0 else -whole


def validate_order(order: Order, program_currency: str, *, at: tuple[str, ...] = ()) -> Order:
    """Refuse what cannot be priced: another currency (never converted), negative or
    over-precise amounts, malformed ids, SKUs or categories, non-positive quantities. `at` is the
    order's input path; each line's problems are reported at its own fields."""
    problems = ProblemCollector(at)
    check_money(problems, order.total, order.currency, program_currency, amount_field="total")
    problems.reference(
        "orderId", order.order_id, max_length=REFERENCE_MAX, label="orderId", code=INVALID_ORDER
    )
    if len(order.lines) > MAX_ORDER_LINES:
        problems.add("lines", f"At most {MAX_ORDER_LINES} lines.", INVALID_ORDER)
    exponent = minor_unit_exponent(program_currency)
    for index, line in enumerate(order.lines[:MAX_ORDER_LINES]):
        at_line = ("lines", str(index))
        problems.reference(
            (*at_line, "sku"), line.sku, max_length=REFERENCE_MAX, label="sku", code=INVALID_ORDER
        )
        if line.category is not None:
            problems.reference(
                (*at_line, "category"),
                line.category,
                max_length=REFERENCE_MAX,
                label="category",
                code=INVALID_ORDER,
            )
        if line.quantity <= 0:
            problems.add((*at_line, "quantity"), "quantity must be at least 1.", INVALID_ORDER)
        if not _is_amount(line.unit_price, exponent):
            problems.add(
                (*at_line, "unitPrice"), _amount_rule("unitPrice", exponent), INVALID_ORDER
            )
    problems.raise_if_any()
    return order


def validate_return(
    order_id: str, return_id: str, amount: Decimal, currency: str, program_currency: str
) -> None:
    """A return names its order and itself, and a positive amount in the program's currency."""
    problems = ProblemCollector()
    check_money(problems, amount, currency, program_currency, amount_field="amount")
    if _is_amount(amount, minor_unit_exponent(program_currency)) and amount == 0:
        problems.add("amount", "A return must have a positive amount.", ErrorCode.INVALID_AMOUNT)
    for field, value in (("orderId", order_id), ("returnId", return_id)):
        problems.reference(field, value, max_length=REFERENCE_MAX, label=field, code=INVALID_ORDER)
    problems.raise_if_any()


def validate_event(name: str, reference: str, *, at: tuple[str, ...] = ()) -> None:
    """An event award names an event as the configuration can (snake_case) and, optionally, what
    it was about."""
    problems = ProblemCollector(at)
    if not is_event_name(name):
        problems.add("name", f"No event has this name: {EVENT_NAME_RULE}.", ErrorCode.UNKNOWN_EVENT)
    if reference != "":
        problems.reference(
            "reference", reference, max_length=REFERENCE_MAX, label="reference", code=INVALID_ORDER
        )
    problems.raise_if_any()


def check_money(
    problems: ProblemCollector,
    amount: Decimal,
    currency: str,
    program_currency: str,
    *,
    amount_field: str,
) -> None:
    """Money in the program's currency only (never converted), within range and precision."""
    if currency != program_currency:  # not echoed: it may be anything a client sent
        problems.add(
            "currency",
            f"This program counts in {program_currency} only.",
            ErrorCode.CURRENCY_MISMATCH,
        )
    exponent = minor_unit_exponent(program_currency)
    if not _is_amount(amount, exponent):
        problems.add(amount_field, _amount_rule(amount_field, exponent), ErrorCode.INVALID_AMOUNT)


def order_points(
    order: Order,
    config: PointsConfig,
    *,
    tier_multiplier: Decimal = Decimal(1),
    offer_multiplier: Decimal = Decimal(1),
) -> Computation:
    """Base points on the eligible total, times a campaign offer's multiplier, plus bonuses on
    matching lines scaled to what was actually paid, times the tier multiplier; in exact
    fractions (a third of a line stays a third), rounded once, with the difference shown."""
    rate, total = Fraction(config.earn_rate), Fraction(order.total)
    lines_value = sum((line.value for line in order.lines), Fraction(0))
    parts: list[tuple[str, str, Fraction]] = [
        (
            "BASE",
            f"{config.earn_rate} per {order.currency} 1 on {format_money(order.total, order.currency)}",
            total * rate,
        )
    ]
    if offer_multiplier != 1:
        parts.append(
            (
                "CAMPAIGN",
                multiplier_label(offer_multiplier),
                total * rate * (Fraction(offer_multiplier) - 1),
            )
        )
    for line in order.lines:
        bonus = config.multiplier_for(line.sku, line.category)
        if bonus is not None and bonus.multiplier > 1:
            # Scaled to what was paid when discounts make the lines exceed the total.
            paid = line.value * total / lines_value if total < lines_value else line.value
            extra = paid * rate * (Fraction(bonus.multiplier) - 1)
            what = f"SKU {bonus.sku}" if bonus.sku else f"category {bonus.category}"
            parts.append(
                ("BONUS", f"x{bonus.multiplier} on {what} ({line.quantity} x {line.sku})", extra)
            )
    if tier_multiplier != 1:
        subtotal = sum((value for _, _, value in parts), Fraction(0))
        extra = subtotal * (Fraction(tier_multiplier) - 1)
        parts.append(("TIER", f"Tier multiplier x{tier_multiplier}", extra))
    return _rounded(parts, config.rounding)


def event_points(name: str, config: PointsConfig, *, at: tuple[str, ...] = ()) -> Computation:
    points = config.events.get(name)
    if points is None:
        raise InvalidInput(
            Problem(
                (*at, "name"), f"This program awards nothing for {name!r}.", ErrorCode.UNKNOWN_EVENT
            )
        )
    return Computation(points, (ExplanationLine("EVENT", f"Fixed points for {name}", points),))


def capped(computation: Computation, cap: Cap | None, earned_in_period: int) -> Computation:
    """Limit rule-computed points to what the period's cap still allows."""
    if cap is None:
        return computation
    room = max(cap.max_points - earned_in_period, 0)
    if computation.points <= room:
        return computation
    cut = computation.points - room
    label = f"Cap of {cap.max_points} points per {cap.period.lower()} reached"
    return Computation(room, (*computation.lines, ExplanationLine("CAP", label, -cut)))


def cap_period_start(cap: CapPeriod, now: datetime, timezone: str) -> datetime:
    """The start of the current calendar period in the program's zone, as an aware datetime."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    match cap:
        case CapPeriod.DAY:
            start = today
        case CapPeriod.WEEK:
            start = today - timedelta(days=today.weekday())
        case CapPeriod.MONTH:
            start = today.replace(day=1)
        case CapPeriod.YEAR:
            start = date(today.year, 1, 1)
    return datetime.combine(start, time(), tzinfo=ZoneInfo(timezone))


def clawback_points(
    *,
    earned: int,
    order_total: Decimal,
    returned_before: Decimal,
    returning: Decimal,
    clawed_before: int,
    rounding: Rounding,
) -> int:
    """Points to take back for a return, in proportion to value. The program's rule rounds what
    the member keeps of the order, as it rounded what the order earned (DOWN: never a point kept
    that the kept value did not earn). Computed cumulatively, so several partial returns of the
    whole order take back exactly what it earned; never negative, even if the rule changed
    since an earlier return."""
    if order_total == 0:
        return earned - clawed_before if returned_before + returning > 0 else 0
    left = Fraction(order_total) - Fraction(returned_before) - Fraction(returning)
    kept = round_points(earned * left / Fraction(order_total), rounding)
    return max(earned - kept - clawed_before, 0)


def _rounded(parts: list[tuple[str, str, Fraction]], rounding: Rounding) -> Computation:
    exact = sum((value for _, _, value in parts), Fraction(0))
    total = round_points(exact, rounding)
    lines = [
        ExplanationLine(code, label, round_points(value, rounding)) for code, label, value in parts
    ]
    difference = total - sum(line.points for line in lines)
    if difference:
        lines.append(
            ExplanationLine("ROUNDING", f"Rounded {rounding.lower().replace('_', ' ')}", difference)
        )
    return Computation(total, tuple(lines))


def _is_amount(value: Decimal, exponent: int) -> bool:
    """A finite, non-negative amount with no more decimals than the currency has."""
    bounded = is_bounded_decimal(value, integer_digits=AMOUNT_DIGITS, scale=exponent)
    return bounded and Decimal(0) <= value <= MAX_AMOUNT


def _amount_rule(field: str, exponent: int) -> str:
    return f"{field} must be 0 to {MAX_AMOUNT} with at most {exponent} decimals."
