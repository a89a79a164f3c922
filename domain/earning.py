"""Earning rules as pure arithmetic: points for an order or an event, with an explanation whose
lines always add up to the points awarded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from domain.currency import format_money, minor_unit_exponent
from domain.ledger import ExplanationLine
from domain.points_config import Cap, CapPeriod, PointsConfig, Rounding
from domain.validation import ErrorCode, InvalidInput, Problem, ProblemCollector, clean_text

_ROUNDING = {
    Rounding.DOWN: ROUND_FLOOR,
    Rounding.HALF_UP: ROUND_HALF_UP,
    Rounding.UP: ROUND_CEILING,
}
MAX_ORDER_LINES = 500
MAX_AMOUNT = Decimal("1e12")
REFERENCE_MAX = 128


@dataclass(frozen=True, slots=True)
class OrderLine:
    sku: str
    category: str | None
    quantity: int
    unit_price: Decimal

    @property
    def value(self) -> Decimal:
        return self.unit_price * self.quantity


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


def round_points(value: Decimal, rounding: Rounding) -> int:
    return int(value.to_integral_value(rounding=_ROUNDING[rounding]))


def validate_order(order: Order, program_currency: str, *, at: tuple[str, ...] = ()) -> Order:
    """Refuse what cannot be priced: another currency (never converted), negative or
    over-precise amounts, empty SKUs, non-positive quantities. `at` is the order's input path."""
    problems = ProblemCollector(at)
    check_money(problems, order.total, order.currency, program_currency, amount_field="total")
    if clean_text(order.order_id, max_length=REFERENCE_MAX) != order.order_id:
        problems.add(
            "orderId",
            f"orderId must be 1-{REFERENCE_MAX} printable characters.",
            ErrorCode.INVALID_ORDER,
        )
    if len(order.lines) > MAX_ORDER_LINES:
        problems.add("lines", f"At most {MAX_ORDER_LINES} lines.", ErrorCode.INVALID_ORDER)
    exponent = minor_unit_exponent(program_currency)
    for line in order.lines:
        if not line.sku.strip() or line.quantity <= 0 or not _is_amount(line.unit_price, exponent):
            problems.add(
                "lines",
                f"Line {line.sku!r} needs a SKU, a positive quantity and a valid unit price.",
                ErrorCode.INVALID_ORDER,
            )
    problems.raise_if_any()
    return order


def validate_return(return_id: str, amount: Decimal, currency: str, program_currency: str) -> None:
    """A return names itself and a positive amount in the program's currency."""
    problems = ProblemCollector()
    check_money(problems, amount, currency, program_currency, amount_field="amount")
    if amount.is_finite() and amount == 0:  # negatives and NaN are already refused as money
        problems.add("amount", "A return must have a positive amount.", ErrorCode.INVALID_AMOUNT)
    if clean_text(return_id, max_length=REFERENCE_MAX) != return_id:
        problems.add(
            "returnId",
            f"returnId must be 1-{REFERENCE_MAX} printable characters.",
            ErrorCode.INVALID_ORDER,
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
    if currency != program_currency:
        problems.add(
            "currency",
            f"This program counts in {program_currency}, not {currency}.",
            ErrorCode.CURRENCY_MISMATCH,
        )
    exponent = minor_unit_exponent(program_currency)
    if not _is_amount(amount, exponent):
        problems.add(
            amount_field,
            f"{amount_field} must be 0 to {MAX_AMOUNT} with at most {exponent} decimals.",
            ErrorCode.INVALID_AMOUNT,
        )


def order_points(
    order: Order, config: PointsConfig, *, tier_multiplier: Decimal = Decimal(1)
) -> Computation:
    """Base points on the eligible total, plus bonuses on matching lines scaled to what was
    actually paid, times the tier multiplier; rounded once, with the difference shown."""
    base = order.total * config.earn_rate
    lines_value = sum((line.value for line in order.lines), Decimal(0))
    parts: list[tuple[str, str, Decimal]] = [
        (
            "BASE",
            f"{config.earn_rate} per {order.currency} 1 on {format_money(order.total, order.currency)}",
            base,
        )
    ]
    for line in order.lines:
        bonus = config.multiplier_for(line.sku, line.category)
        if bonus is not None and bonus.multiplier > 1:
            # Scaled to what was paid when discounts make the lines exceed the total; divide
            # last so no rounded quotient shifts a point.
            paid = (
                line.value * order.total / lines_value if order.total < lines_value else line.value
            )
            extra = paid * config.earn_rate * (bonus.multiplier - 1)
            what = f"SKU {bonus.sku}" if bonus.sku else f"category {bonus.category}"
            parts.append(
                ("BONUS", f"x{bonus.multiplier} on {what} ({line.quantity} x {line.sku})", extra)
            )
    if tier_multiplier != 1:
        subtotal = sum((value for _, _, value in parts), Decimal(0))
        parts.append(
            ("TIER", f"Tier multiplier x{tier_multiplier}", subtotal * (tier_multiplier - 1))
        )
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
) -> int:
    """Points to take back for a return, in proportion to value. Computed cumulatively, so
    several partial returns of the whole order take back exactly what it earned."""
    if order_total == 0:
        return earned - clawed_before if returned_before + returning > 0 else 0
    due = Decimal(earned) * (returned_before + returning) / order_total
    return round_points(due, Rounding.HALF_UP) - clawed_before


def _rounded(parts: list[tuple[str, str, Decimal]], rounding: Rounding) -> Computation:
    exact = sum((value for _, _, value in parts), Decimal(0))
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
    if not value.is_finite() or not Decimal(0) <= value <= MAX_AMOUNT:
        return False
    places = value.normalize().as_tuple().exponent
    return isinstance(places, int) and -places <= exponent
