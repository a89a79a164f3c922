"""Ledger invariants under random sequences of operations, applied as persistence would apply them.

`Account` is a tiny in-memory ledger: it folds postings into a Balance, moves points between lots
and, before every operation, does the due work (activations, then expiries) the service does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.ledger import (
    Balance,
    EntryKind,
    ExplanationLine,
    Lot,
    LotStatus,
    Posting,
    activate,
    adjust,
    apply,
    clawback,
    earn,
    expire,
    redeem,
)
from domain.points_config import ClawbackPolicy
from domain.validation import ErrorCode, InvalidInput

pytestmark = pytest.mark.unit

START = datetime(2024, 1, 1, 9, tzinfo=UTC)
POLICY = ClawbackPolicy


@dataclass(frozen=True)
class Advance:
    days: int


@dataclass(frozen=True)
class Earn:
    points: int
    pending_days: int | None
    expiry_days: int | None  # counted from the end of the pending window


@dataclass(frozen=True)
class Redeem:
    points: int


@dataclass(frozen=True)
class Clawback:
    points: int
    pick: int  # which earlier earning (an order's lot) is returned
    policy: ClawbackPolicy


@dataclass(frozen=True)
class Adjust:
    points: int
    expiry_days: int | None


Op = Advance | Earn | Redeem | Clawback | Adjust


@dataclass
class Account:
    now: datetime = START
    balance: Balance = Balance()
    lots: dict[int, Lot] = field(default_factory=dict)
    postings: list[Posting] = field(default_factory=list)
    unclawed: dict[int, int] = field(
        default_factory=dict
    )  # order lot id -> points not yet returned
    next_id: int = 1

    def snapshot(self) -> tuple[object, ...]:
        return (self.now, self.balance, dict(self.lots), len(self.postings), dict(self.unclawed))

    def post(self, posting: Posting) -> int | None:
        self._check_takes(posting)
        self.balance = apply(self.balance, posting)
        for take in posting.takes:
            lot = self.lots[take.lot_id]
            self.lots[lot.id] = replace(lot, remaining=lot.remaining - take.points)
        if posting.activates_lot is not None:
            lot = self.lots[posting.activates_lot]
            self.lots[lot.id] = replace(lot, status=LotStatus.ACTIVE)
        self.postings.append(posting)
        if posting.new_lot is None:
            return None
        new, lot_id = posting.new_lot, self.next_id
        self.next_id += 1
        self.lots[lot_id] = Lot(lot_id, new.remaining, new.status, new.activates_at, new.expires_at)
        return lot_id

    def _check_takes(self, posting: Posting) -> None:
        if posting.kind is EntryKind.EXPIRE:
            (take,) = posting.takes
            lot = self.lots[take.lot_id]
            assert lot.expires_at is not None
            assert lot.expires_at <= self.now
            assert take.points == lot.remaining == -posting.available
            return
        for take in posting.takes:
            lot = self.lots[take.lot_id]
            assert 0 < take.points <= lot.remaining
            # An activation may be processed late; it takes effect at the lot's activates_at.
            when = lot.activates_at if posting.kind is EntryKind.ACTIVATE else self.now
            assert when is not None
            assert lot.expires_at is None or lot.expires_at > when, (posting, lot)
            if lot.status is LotStatus.PENDING:
                assert posting.kind in (EntryKind.ACTIVATE, EntryKind.REVERSE)

    def due_work(self) -> None:
        pending = [lot for lot in self.lots.values() if lot.status is LotStatus.PENDING]
        for lot in sorted(pending, key=lambda lot: (lot.activates_at or START, lot.id)):
            if lot.activates_at is not None and lot.activates_at <= self.now:
                self.post(activate(self.balance, self.lots[lot.id]))
        for lot_id in sorted(self.lots):
            lot = self.lots[lot_id]
            due = lot.expires_at is not None and lot.expires_at <= self.now
            if lot.status is LotStatus.ACTIVE and due and lot.remaining > 0:
                self.post(expire(lot, self.now))

    def days(self, n: int | None) -> datetime | None:
        return None if n is None else self.now + timedelta(days=n)

    def do(self, op: Op) -> None:
        match op:
            case Advance(days):
                self.now += timedelta(days=days)
            case Earn(points, pending_days, expiry_days):
                ends = (pending_days or 0) + expiry_days if expiry_days is not None else None
                line = ExplanationLine("BASE", "order", points)
                posting = earn(
                    self.balance,
                    points,
                    lines=(line,),
                    activates_at=self.days(pending_days),
                    expires_at=self.days(ends),
                )
                lot_id = self.post(posting)
                assert lot_id is not None
                self.unclawed[lot_id] = points
            case Redeem(points):
                refused = self.balance.available < points
                self._expect(
                    refused, lambda: redeem(self.balance, self.lots.values(), points, self.now)
                )
                assert self.balance.available >= 0
            case Clawback(points, pick, policy) if self.unclawed:
                order_lot = sorted(self.unclawed)[pick % len(self.unclawed)]
                amount = min(points, self.unclawed[order_lot])
                if amount == 0:
                    return
                own = self.lots[order_lot]
                from_pending = min(amount, own.remaining) if own.status is LotStatus.PENDING else 0
                short = amount - from_pending > max(self.balance.available, 0)
                line = ExplanationLine("RETURN", "order returned", -amount)
                self._expect(
                    short and policy is POLICY.DENY,
                    lambda: clawback(
                        self.balance,
                        self.lots,
                        amount,
                        order_lot=order_lot,
                        policy=policy,
                        now=self.now,
                        lines=(line,),
                    ),
                )
                if not (short and policy is POLICY.DENY):
                    self.unclawed[order_lot] -= amount
            case Adjust(points, expiry_days):
                refused = points == 0 or self.balance.available < -points
                self._expect(
                    refused,
                    lambda: adjust(
                        self.balance,
                        self.lots.values(),
                        points,
                        reason="correction",
                        now=self.now,
                        expires_at=self.days(expiry_days),
                    ),
                )

    def _expect(self, refused: bool, make: Callable[[], Posting]) -> None:
        """Post what `make` returns; it must raise InvalidInput exactly when `refused`."""
        before = self.snapshot()
        try:
            posting = make()
        except InvalidInput as error:
            assert refused, error
            assert {p.code for p in error.problems} <= {
                ErrorCode.INSUFFICIENT_POINTS,
                ErrorCode.CLAWBACK_DENIED,
                ErrorCode.INVALID_AMOUNT,
            }
            assert self.snapshot() == before
            return
        assert not refused, posting
        self.post(posting)

    def check(self, allow_negative: bool) -> None:
        total = Balance(
            available=sum(p.available for p in self.postings),
            pending=sum(p.pending for p in self.postings),
            debt=sum(p.debt for p in self.postings),
            lifetime=sum(p.lifetime for p in self.postings),
        )
        b = self.balance
        assert b == total
        lots = self.lots.values()
        assert b.pending == sum(lot.remaining for lot in lots if lot.status is LotStatus.PENDING)
        assert max(b.available, 0) == sum(
            lot.remaining for lot in lots if lot.status is LotStatus.ACTIVE
        )
        assert b.debt >= 0
        assert b.pending >= 0
        assert b.lifetime >= 0
        assert all(lot.remaining >= 0 for lot in lots)
        assert b.debt == 0 or b.available <= 0  # never spendable points while owing some
        if not allow_negative:
            assert b.available >= 0
        for p in self.postings:
            expected = {
                EntryKind.EARN: p.lifetime,
                EntryKind.REVERSE: p.lifetime,
                EntryKind.ADJUST: p.lifetime,
                EntryKind.REDEEM: p.available,
                EntryKind.EXPIRE: p.available,
                EntryKind.ACTIVATE: -p.pending,
            }[p.kind]
            assert p.points == expected, p


def ops(policies: list[ClawbackPolicy]) -> st.SearchStrategy[Op]:
    points = st.integers(1, 300)
    days = st.none() | st.integers(0, 60)
    expiry = st.none() | st.integers(1, 200)
    return st.one_of(
        st.builds(Advance, st.integers(0, 400)),
        st.builds(Earn, points, days, expiry),
        st.builds(Redeem, points),
        st.builds(Clawback, points, st.integers(0, 20), st.sampled_from(policies)),
        st.builds(Adjust, st.integers(-300, 300), expiry),
    )


POLICY_SETS = [
    [POLICY.CLAMP_AND_RECORD_DEBT],
    [POLICY.DENY],
    [POLICY.ALLOW_NEGATIVE],
    [POLICY.CLAMP_AND_RECORD_DEBT, POLICY.DENY],
    list(POLICY),
]


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[ClawbackPolicy], list[Op]]:
    policies = draw(st.sampled_from(POLICY_SETS))
    return policies, draw(st.lists(ops(policies), max_size=40))


def run(policies: list[ClawbackPolicy], steps: list[Op]) -> Account:
    account = Account()
    allow_negative = POLICY.ALLOW_NEGATIVE in policies
    for op in steps:
        account.due_work()
        account.check(allow_negative)
        account.do(op)
        account.check(allow_negative)
    account.due_work()
    account.check(allow_negative)
    return account


@given(scenarios())
@settings(max_examples=300, deadline=None, database=None)
def test_ledger_invariants_hold_for_any_sequence(
    scenario: tuple[list[ClawbackPolicy], list[Op]],
) -> None:
    run(*scenario)
