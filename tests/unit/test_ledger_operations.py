"""Each ledger operation on small, hand-checked examples."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.clawback import clawback
from domain.ledger import (
    Balance,
    EntryKind,
    ExplanationLine,
    Lot,
    LotStatus,
    LotTake,
    NewLot,
    Posting,
    activate,
    adjust,
    apply,
    earn,
    expire,
    redeem,
    spending_order,
    to_balance_lot,
)
from domain.points_config import ClawbackPolicy as Policy
from domain.validation import ErrorCode, InvalidInput, Problem

pytestmark = pytest.mark.unit

NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)
ACTIVE, PENDING = LotStatus.ACTIVE, LotStatus.PENDING
BASE = (ExplanationLine("BASE", "order", 100),)
DENY, NEGATIVE, CLAMP = Policy.DENY, Policy.ALLOW_NEGATIVE, Policy.CLAMP_AND_RECORD_DEBT
EARN, REVERSE, ADJUST = EntryKind.EARN, EntryKind.REVERSE, EntryKind.ADJUST


def day(n: float) -> datetime:
    return NOW + timedelta(days=n)


def lot(id_: int, remaining: int, expires: float | None = None, status: LotStatus = ACTIVE) -> Lot:
    activates_at = day(10) if status is PENDING else None
    return Lot(id_, remaining, status, activates_at, None if expires is None else day(expires))


def repaid(owed: int) -> ExplanationLine:
    """Debt repayment is a 0-point note: the points were earned in full."""
    label = f"{owed} of these points repaid points owed from an earlier return"
    return ExplanationLine("DEBT_REPAID", label, 0)


def deltas(p: Posting) -> tuple[object, ...]:
    return (p.kind, p.points, p.available, p.pending, p.debt, p.lifetime)


def codes(caught: pytest.ExceptionInfo[InvalidInput]) -> list[ErrorCode]:
    return [problem.code for problem in caught.value.problems]


def return_points(
    b: Balance, lots: list[Lot], points: int, own: int | None, policy: Policy
) -> Posting:
    by_id = {item.id: item for item in lots}
    return clawback(b, by_id, points, order_lot=own, policy=policy, now=NOW, label="Returned")


def test_earn_without_window_is_spendable_at_once() -> None:
    posting = earn(Balance(), 100, lines=BASE, activates_at=None, expires_at=day(365))
    assert deltas(posting) == (EARN, 100, 100, 0, 0, 100)
    assert (posting.new_lot, posting.lines, posting.takes) == (
        NewLot(100, 100, ACTIVE, None, day(365)),
        BASE,
        (),
    )


def test_earn_with_window_is_pending_and_leaves_debt_for_activation() -> None:
    posting = earn(Balance(debt=30), 100, lines=BASE, activates_at=day(14), expires_at=day(365))
    assert deltas(posting) == (EARN, 100, 0, 100, 0, 100)
    assert (posting.new_lot, posting.lines) == (NewLot(100, 100, PENDING, day(14), day(365)), BASE)


def test_earn_of_zero_is_an_entry_without_lot_and_negative_is_refused() -> None:
    zero = earn(Balance(), 0, lines=BASE, activates_at=None, expires_at=None)
    assert zero == Posting(EntryKind.EARN, 0, lines=BASE)
    with pytest.raises(InvalidInput) as caught:
        earn(Balance(), -1, lines=(), activates_at=None, expires_at=None)
    assert codes(caught) == [ErrorCode.INVALID_AMOUNT]


@pytest.mark.parametrize(
    ("balance", "available", "debt", "kept"),
    [
        (Balance(debt=30), 70, -30, 70),  # debt repaid first, the rest is spendable
        (Balance(debt=150), 0, -100, 0),  # all of it repays debt
        (Balance(available=-40), 100, 0, 60),  # a negative balance is brought back first
        (Balance(available=-140), 100, 0, 0),
    ],
)
def test_earn_repays_debt_and_negative_balance_first(
    balance: Balance, available: int, debt: int, kept: int
) -> None:
    posting = earn(balance, 100, lines=BASE, activates_at=None, expires_at=None)
    assert (posting.available, posting.debt, posting.lifetime) == (available, debt, 100)
    assert posting.new_lot == NewLot(100, kept, ACTIVE, None, None)
    assert posting.lines == BASE + ((repaid(-debt),) if debt else ())


def test_activate_moves_pending_points_to_available() -> None:
    posting = activate(Balance(pending=100), lot(7, 100, status=PENDING))
    assert deltas(posting) == (EntryKind.ACTIVATE, 100, 100, -100, 0, 0)
    assert (posting.activates_lot, posting.takes, posting.new_lot) == (7, (), None)
    assert posting.lines == (ExplanationLine("ACTIVATED", "Return window ended", 100),)


def test_activate_repays_debt_from_the_lot() -> None:
    posting = activate(Balance(pending=100, debt=30), lot(7, 100, status=PENDING))
    assert (posting.available, posting.pending, posting.debt) == (70, -100, -30)
    assert posting.takes == (LotTake(7, 30),)
    assert posting.lines[1] == repaid(30)
    assert apply(Balance(pending=100, debt=30), posting) == Balance(available=70)


def test_activate_on_a_negative_balance_keeps_only_what_lifts_it_above_zero() -> None:
    posting = activate(Balance(available=-40, pending=100), lot(7, 100, status=PENDING))
    assert (posting.available, posting.takes) == (100, (LotTake(7, 40),))


def test_activate_refuses_an_active_lot() -> None:
    with pytest.raises(ValueError, match="not pending"):
        activate(Balance(), lot(7, 100))


def test_spending_order_soonest_expiry_first_never_expiring_last() -> None:
    lots = [
        lot(1, 10, expires=30),
        lot(2, 10),  # never expires
        lot(3, 10, expires=5),
        lot(4, 10, expires=5),  # same date: older (lower id) first
        lot(5, 10, expires=0),  # expires now: gone even if expiry has not run yet
        lot(6, 10, expires=-3),
        lot(7, 10, expires=1, status=PENDING),
        lot(8, 0, expires=2),  # nothing left
    ]
    assert [item.id for item in spending_order(reversed(lots), NOW)] == [3, 4, 1, 2]


def test_redeem_takes_soonest_expiring_points_first() -> None:
    lots = [lot(1, 100), lot(2, 5, expires=5), lot(3, 10, expires=10)]
    posting = redeem(Balance(available=115), lots, 12, NOW)
    assert deltas(posting) == (EntryKind.REDEEM, -12, -12, 0, 0, 0)
    assert (posting.takes, posting.lines) == ((LotTake(2, 5), LotTake(3, 7)), ())


def test_redeem_never_uses_expired_lots_even_before_expiry_runs() -> None:
    lots = [lot(1, 50, expires=-0.001), lot(2, 50, expires=0), lot(3, 10)]
    with pytest.raises(InvalidInput) as caught:
        redeem(Balance(available=110), lots, 11, NOW)  # the balance still counts expired points
    assert caught.value.problems == (
        Problem(("points",), "Only 10 points can be spent.", ErrorCode.INSUFFICIENT_POINTS),
    )
    assert redeem(Balance(available=110), lots, 10, NOW).takes == (LotTake(3, 10),)


@pytest.mark.parametrize(("available", "points"), [(10, 11), (0, 1), (-5, 1)])
def test_redeem_more_than_available_is_refused(available: int, points: int) -> None:
    with pytest.raises(InvalidInput) as caught:
        redeem(Balance(available=available), [lot(1, max(available, 0))], points, NOW)
    assert codes(caught) == [ErrorCode.INSUFFICIENT_POINTS]


@pytest.mark.parametrize("points", [0, -5])
def test_redeem_needs_positive_points(points: int) -> None:
    with pytest.raises(InvalidInput) as caught:
        redeem(Balance(available=10), [lot(1, 10)], points, NOW)
    assert codes(caught) == [ErrorCode.INVALID_AMOUNT]


def test_expire_takes_exactly_what_is_left() -> None:
    posting = expire(lot(4, 30, expires=0), NOW)
    assert deltas(posting) == (EntryKind.EXPIRE, -30, -30, 0, 0, 0)
    assert posting.takes == (LotTake(4, 30, expires=True),)
    assert posting.lines == (ExplanationLine("EXPIRED", "Points reached their expiry date", -30),)


@pytest.mark.parametrize(
    "item", [lot(4, 30, expires=1), lot(4, 30), lot(4, 30, expires=-1, status=PENDING)]
)
def test_expire_refuses_a_lot_not_due(item: Lot) -> None:
    with pytest.raises(ValueError, match="not due"):
        expire(item, NOW)


def test_clawback_takes_pending_points_of_the_order_first() -> None:
    lots = [lot(1, 100, status=PENDING), lot(2, 50)]
    posting = return_points(Balance(available=50, pending=100, lifetime=150), lots, 30, 1, DENY)
    assert deltas(posting) == (REVERSE, -30, 0, -30, 0, -30)
    assert posting.takes == (LotTake(1, 30),)
    assert posting.lines == (ExplanationLine("RETURN", "Returned", -30),)


def test_clawback_beyond_pending_takes_the_rest_from_available() -> None:
    lots = [lot(1, 20, status=PENDING), lot(2, 50)]
    posting = return_points(Balance(available=50, pending=20, lifetime=70), lots, 50, 1, DENY)
    assert deltas(posting) == (REVERSE, -50, -30, -20, 0, -50)
    assert posting.takes == (LotTake(1, 20), LotTake(2, 30))


def test_clawback_takes_the_orders_own_lot_first_then_others_in_spending_order() -> None:
    lots = [lot(1, 50, expires=5), lot(2, 50, expires=9), lot(3, 50, expires=100)]
    balance = Balance(available=150)
    assert return_points(balance, lots, 30, 3, DENY).takes == (LotTake(3, 30),)
    takes = return_points(balance, lots, 70, 3, DENY).takes
    assert takes == (LotTake(3, 50), LotTake(1, 20))
    spent_own = [lot(1, 50, expires=5), lot(3, 0, expires=100)]
    posting = return_points(Balance(available=50), spent_own, 30, 3, DENY)
    assert posting.takes == (LotTake(1, 30),)
    assert return_points(balance, lots, 30, None, DENY).takes == (LotTake(1, 30),)


def test_clawback_deny_refuses_when_points_were_spent() -> None:
    with pytest.raises(InvalidInput) as caught:
        return_points(Balance(available=20), [lot(1, 20)], 50, 1, DENY)
    message = "The member already spent 30 of these points."
    assert caught.value.problems == (Problem(("amount",), message, ErrorCode.CLAWBACK_DENIED),)


def test_clawback_allow_negative_takes_the_balance_below_zero() -> None:
    balance = Balance(available=20, lifetime=100)
    posting = return_points(balance, [lot(1, 20)], 50, 1, NEGATIVE)
    assert (posting.available, posting.debt, posting.takes) == (-50, 0, (LotTake(1, 20),))
    assert apply(balance, posting) == Balance(available=-30, lifetime=50)


def test_clawback_clamp_stops_at_zero_and_records_debt() -> None:
    balance = Balance(available=20, lifetime=100)
    posting = return_points(balance, [lot(1, 20)], 50, 1, CLAMP)
    assert deltas(posting) == (REVERSE, -50, -20, 0, 30, -50)
    assert posting.takes == (LotTake(1, 20),)
    assert apply(balance, posting) == Balance(available=0, debt=30, lifetime=50)
    assert [(line.code, line.points) for line in posting.lines] == [("RETURN", -20), ("DEBT", -30)]


def test_clawback_clamp_with_nothing_left_is_all_debt() -> None:
    posting = return_points(Balance(lifetime=50), [], 50, 1, CLAMP)
    assert (posting.available, posting.debt, posting.takes) == (0, 50, ())
    assert [(line.code, line.points) for line in posting.lines] == [("DEBT", -50)]


def test_clawback_needs_positive_points() -> None:
    with pytest.raises(InvalidInput) as caught:
        return_points(Balance(available=10), [lot(1, 10)], 0, 1, DENY)
    assert codes(caught) == [ErrorCode.INVALID_AMOUNT]


def test_adjust_up_is_a_new_lot_that_repays_debt_first() -> None:
    posting = adjust(Balance(debt=10), [], 25, reason="Goodwill", now=NOW, expires_at=day(90))
    assert deltas(posting) == (ADJUST, 25, 15, 0, -10, 25)
    assert posting.new_lot == NewLot(25, 15, ACTIVE, None, day(90))
    assert posting.lines == (ExplanationLine("MANUAL", "Goodwill", 25), repaid(10))


def test_adjust_down_spends_like_a_redemption() -> None:
    lots = [lot(1, 100), lot(2, 5, expires=5)]
    posting = adjust(
        Balance(available=105, lifetime=105), lots, -8, reason="Typo", now=NOW, expires_at=None
    )
    assert deltas(posting) == (ADJUST, -8, -8, 0, 0, -8)
    assert posting.takes == (LotTake(2, 5), LotTake(1, 3))
    assert (posting.lines, posting.new_lot) == ((ExplanationLine("MANUAL", "Typo", -8),), None)
    with pytest.raises(InvalidInput) as caught:
        adjust(Balance(available=105), lots, -106, reason="Typo", now=NOW, expires_at=None)
    assert codes(caught) == [ErrorCode.INSUFFICIENT_POINTS]


def test_adjust_by_zero_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        adjust(Balance(available=5), [lot(1, 5)], 0, reason="Nothing", now=NOW, expires_at=None)
    assert caught.value.problems == (
        Problem(("points",), "An adjustment must change the balance.", ErrorCode.INVALID_AMOUNT),
    )


@pytest.mark.parametrize(
    ("available", "added", "backed"),
    [(0, 10, 10), (5, 10, 10), (-4, 10, 6), (-10, 10, 0), (-20, 10, 0)],
)
def test_only_points_above_zero_are_backed_by_a_lot(
    available: int, added: int, backed: int
) -> None:
    assert to_balance_lot(Balance(available=available), added) == backed


def test_apply_adds_every_delta() -> None:
    posting = Posting(EntryKind.ADJUST, 0, available=1, pending=2, debt=3, lifetime=4)
    assert apply(Balance(10, 20, 30, 40), posting) == Balance(11, 22, 33, 44)


def test_lifetime_never_drops_below_zero_after_a_deduction_then_a_return() -> None:
    # Earned 1, deducted by an admin, then the order is returned: lifetime stays at 0.
    deducted = adjust(
        Balance(available=1, lifetime=1), [lot(1, 1)], -1, reason="Fix", now=NOW, expires_at=None
    )
    assert deducted.lifetime == -1
    returned = return_points(Balance(available=0, lifetime=0), [], 1, 1, CLAMP)
    assert (returned.points, returned.lifetime, returned.debt) == (-1, 0, 1)
