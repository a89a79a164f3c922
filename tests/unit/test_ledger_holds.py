"""Held points as pure arithmetic: a hold takes from lots like a spend, a release gives back to
the same lots, a capture spends what is held, a refund comes back as a new lot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.ledger import (
    Balance,
    EntryKind,
    Lot,
    LotStatus,
    LotTake,
    apply,
    capture,
    hold,
    refund,
    release,
)
from domain.validation import ErrorCode, InvalidInput

pytestmark = pytest.mark.unit

NOW = datetime(2026, 6, 15, tzinfo=UTC)
SOON, LATER = NOW + timedelta(days=5), NOW + timedelta(days=50)
LOTS = [Lot(1, 30, LotStatus.ACTIVE, None, LATER), Lot(2, 50, LotStatus.ACTIVE, None, SOON)]
BALANCE = Balance(available=80, lifetime=80)


def test_a_hold_takes_the_soonest_expiring_points_into_held() -> None:
    posting = hold(BALANCE, LOTS, 60, NOW, "Checkout")
    assert (posting.kind, posting.points) == (EntryKind.HOLD, -60)
    assert posting.takes == (LotTake(2, 50), LotTake(1, 10))
    assert apply(BALANCE, posting) == Balance(available=20, lifetime=80, held=60)


def test_a_hold_beyond_the_spendable_points_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        hold(BALANCE, LOTS, 81, NOW, "Checkout")
    assert refused.value.problems[0].code is ErrorCode.INSUFFICIENT_POINTS


def test_a_release_gives_the_points_back_to_the_lots_they_came_from() -> None:
    held = apply(BALANCE, hold(BALANCE, LOTS, 60, NOW, "Checkout"))
    posting = release(held, 60, (LotTake(2, 50), LotTake(1, 10)), "Cancelled")
    assert posting.restores == (LotTake(2, 50), LotTake(1, 10))
    assert apply(held, posting) == BALANCE


def test_a_release_repays_debt_first_and_restores_only_what_reaches_the_balance() -> None:
    # Meanwhile a return left 15 points of debt: 15 of the 60 repay it, 45 go back to lots.
    owing = Balance(available=0, debt=15, lifetime=65, held=60)
    posting = release(owing, 60, (LotTake(2, 50), LotTake(1, 10)), "Cancelled")
    assert apply(owing, posting) == Balance(available=45, debt=0, lifetime=65, held=0)
    assert posting.restores == (LotTake(2, 45),)


def test_a_capture_spends_what_is_held_and_never_more() -> None:
    held = Balance(available=20, lifetime=80, held=60)
    assert apply(held, capture(60, "Confirmed")) == Balance(available=20, lifetime=80)
    with pytest.raises(ValueError, match="held"):
        apply(held, capture(61, "Confirmed"))


def test_a_refund_is_a_new_lot_that_does_not_count_as_earned_again() -> None:
    posting = refund(Balance(available=20, lifetime=80), 60, label="Refund", expires_at=LATER)
    assert posting.kind is EntryKind.REFUND
    assert posting.new_lot is not None
    assert (posting.new_lot.remaining, posting.new_lot.expires_at) == (60, LATER)
    assert apply(Balance(available=20, lifetime=80), posting) == Balance(available=80, lifetime=80)
