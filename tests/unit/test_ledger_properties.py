"""Ledger invariants under random sequences of operations, applied as persistence would apply them.

`Account` is a tiny in-memory ledger: it folds postings into a Balance, moves points between lots
and, before every operation, does the due work (activations, then expiries) the service does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from domain.clawback import clawback
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
    earn,
    expire,
    redeem,
)
from domain.points_config import ClawbackPolicy as Policy
from domain.validation import ErrorCode, InvalidInput

pytestmark = pytest.mark.unit

START = datetime(2024, 1, 1, 9, tzinfo=UTC)
INSUFFICIENT, DENIED = ErrorCode.INSUFFICIENT_POINTS, ErrorCode.CLAWBACK_DENIED
CLAMP, DENY, NEGATIVE = Policy.CLAMP_AND_RECORD_DEBT, Policy.DENY, Policy.ALLOW_NEGATIVE


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
class SpendAll:
    by_adjust: bool  # a manual deduction rather than a redemption


@dataclass(frozen=True)
class Clawback:
    points: int  # capped at what the order's lot earned and was not yet returned
    pick: int  # which earlier earning (an order's lot) is returned
    policy: Policy


@dataclass(frozen=True)
class Adjust:
    points: int
    expiry_days: int | None


Op = Advance | Earn | Redeem | SpendAll | Clawback | Adjust
Scenario = tuple[list[Policy], list[Op]]


@dataclass
class Account:
    strict: frozenset[str] = frozenset()  # properties the domain is known to break: check too
    now: datetime = START
    balance: Balance = field(default_factory=Balance)
    lots: dict[int, Lot] = field(default_factory=dict)
    postings: list[Posting] = field(default_factory=list)
    unclawed: dict[int, int] = field(default_factory=dict)  # order lot id -> points not returned

    def snapshot(self) -> tuple[object, ...]:
        return (self.now, self.balance, dict(self.lots), len(self.postings), dict(self.unclawed))

    def post(self, posting: Posting) -> int | None:
        self._check_posting(posting)
        self.balance = apply(self.balance, posting)
        for take in posting.takes:
            lot = self.lots[take.lot_id]
            expired = lot.expired + (take.points if take.expires else 0)
            self.lots[lot.id] = replace(lot, remaining=lot.remaining - take.points, expired=expired)
        for write_off in posting.write_offs:
            lot = self.lots[write_off.lot_id]
            assert 0 < write_off.points <= lot.expired, (write_off, lot)  # only what truly expired
            self.lots[lot.id] = replace(lot, expired=lot.expired - write_off.points)
        if posting.activates_lot is not None:
            lot = self.lots[posting.activates_lot]
            self.lots[lot.id] = replace(lot, status=LotStatus.ACTIVE)
        self.postings.append(posting)
        new, lot_id = posting.new_lot, len(self.postings)  # a fresh id per entry
        if new is None:
            return None
        self.lots[lot_id] = Lot(lot_id, new.remaining, new.status, new.activates_at, new.expires_at)
        return lot_id

    def _check_posting(self, p: Posting) -> None:
        if p.kind in (EntryKind.REDEEM, EntryKind.EXPIRE):
            assert p.points == p.available, p
        elif p.kind is EntryKind.ACTIVATE:
            assert p.points == -p.pending, p
        elif p.points >= 0:
            assert p.points == p.lifetime, p
        else:  # returns and deductions lower lifetime by their points, never below zero
            assert p.points <= p.lifetime <= 0, p
        # The explanation adds up to the entry's points (debt repaid is a 0-point note).
        assert not p.lines or sum(line.points for line in p.lines) == p.points, p
        if p.kind is EntryKind.EXPIRE:
            (take,) = p.takes
            lot = self.lots[take.lot_id]
            assert lot.expires_at is not None
            assert lot.expires_at <= self.now
            assert take.points == lot.remaining == -p.available
            return
        for take in p.takes:
            lot = self.lots[take.lot_id]
            assert 0 < take.points <= lot.remaining
            # An activation may be processed late: it takes effect at the lot's activates_at.
            when = lot.activates_at if p.kind is EntryKind.ACTIVATE else self.now
            assert when is not None
            assert lot.expires_at is None or lot.expires_at > when, (p, lot)
            if lot.status is LotStatus.PENDING:
                assert p.kind in (EntryKind.ACTIVATE, EntryKind.REVERSE)

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
        b, lots, now = self.balance, self.lots, self.now
        match op:
            case Advance(days):
                self.now += timedelta(days=days)
            case Earn(points, pending_days, expiry_days):
                ends = None if expiry_days is None else (pending_days or 0) + expiry_days
                lines = (ExplanationLine("BASE", "order", points),)
                at, until = self.days(pending_days), self.days(ends)
                lot_id = self.post(earn(b, points, lines=lines, activates_at=at, expires_at=until))
                assert (lot_id is None) == (points == 0)
                if lot_id is not None:
                    self.unclawed[lot_id] = points
            case Redeem(points):
                refusal = INSUFFICIENT if b.available < points else None
                if self._expect(refusal, lambda: redeem(b, lots.values(), points, now)):
                    assert self.balance.available >= 0
            case SpendAll(by_adjust) if b.available > 0:
                self.do(Adjust(-b.available, None) if by_adjust else Redeem(b.available))
                assert self.balance.available == 0
            case Clawback(points, pick, policy) if self.unclawed:
                order_lot = sorted(self.unclawed)[pick % len(self.unclawed)]
                amount = min(points, self.unclawed[order_lot])
                own = lots[order_lot]
                from_pending = min(amount, own.remaining) if own.status is LotStatus.PENDING else 0
                # Expired points of the order are written off, not taken from the balance.
                written_off = min(
                    amount
                    - from_pending
                    - min(
                        own.remaining if own.status is LotStatus.ACTIVE else 0, max(b.available, 0)
                    ),
                    own.expired,
                )
                short = amount - from_pending - max(written_off, 0) > max(b.available, 0)
                refusal = DENIED if short and policy is DENY else None
                make = partial(
                    clawback,
                    b,
                    lots,
                    amount,
                    order_lot=order_lot,
                    policy=policy,
                    now=now,
                    label="r",
                )
                if amount and self._expect(refusal, make):
                    self.unclawed[order_lot] -= amount
            case Adjust(points, expiry_days):
                until = self.days(expiry_days)
                refusal = INSUFFICIENT if points < 0 and b.available < -points else None
                self._expect(
                    ErrorCode.INVALID_AMOUNT if points == 0 else refusal,
                    lambda: adjust(
                        b, lots.values(), points, reason="fix", now=now, expires_at=until
                    ),
                )

    def _expect(self, refusal: ErrorCode | None, make: Callable[[], Posting]) -> bool:
        """Post what `make` returns; it must raise InvalidInput(refusal), changing nothing, iff
        a refusal is expected."""
        before = self.snapshot()
        try:
            posting: Posting | None = make()
            codes: list[ErrorCode] = []
        except InvalidInput as error:
            posting, codes = None, [problem.code for problem in error.problems]
        assert codes == ([refusal] if refusal else []), (posting, codes)
        if posting is None:
            assert self.snapshot() == before
            return False
        self.post(posting)
        return True

    def check(self, allow_negative: bool) -> None:
        b, ps, lots = self.balance, self.postings, self.lots.values()
        parts = ("available", "pending", "debt", "lifetime")
        assert b == Balance(*(sum(getattr(p, part) for p in ps) for part in parts))
        assert b.pending == sum(lot.remaining for lot in lots if lot.status is LotStatus.PENDING)
        assert max(b.available, 0) == sum(
            lot.remaining for lot in lots if lot.status is LotStatus.ACTIVE
        )
        assert min(b.debt, b.pending, *(lot.remaining for lot in lots)) >= 0
        assert b.debt == 0 or b.available <= 0  # never spendable points while owing some
        assert allow_negative or b.available >= 0
        assert "lifetime" not in self.strict or b.lifetime >= 0


def ops(policies: list[Policy], deductions: bool) -> st.SearchStrategy[Op]:
    points = st.integers(1, 300)
    expiry = st.none() | st.integers(1, 200)
    spend_all = st.builds(SpendAll, st.booleans() if deductions else st.just(False))
    claw = st.builds(Clawback, points, st.integers(0, 20), st.sampled_from(policies))
    return st.one_of(
        st.builds(Advance, st.integers(0, 400)),
        st.builds(Earn, st.integers(0, 300), st.none() | st.integers(0, 60), expiry),
        st.builds(Redeem, points),
        spend_all,
        claw,
        spend_all,
        claw,
        st.builds(Adjust, st.integers(-300 if deductions else 1, 300), expiry),
    )


POLICY_SETS = [[CLAMP], [DENY], [NEGATIVE], [CLAMP, DENY], [CLAMP, DENY, NEGATIVE]]


@st.composite
def scenarios(draw: st.DrawFn, deductions: bool = True) -> Scenario:
    policies = draw(st.sampled_from(POLICY_SETS))
    return policies, draw(st.lists(ops(policies, deductions), min_size=8, max_size=50))


def run(policies: list[Policy], steps: list[Op], *strict: str) -> Account:
    account = Account(frozenset(strict))
    allow_negative = NEGATIVE in policies
    for op in steps:
        account.due_work()
        account.check(allow_negative)
        account.do(op)
        account.check(allow_negative)
    return account


@given(scenarios())
@settings(max_examples=400, deadline=None, database=None)
def test_ledger_invariants_hold_for_any_sequence(scenario: Scenario) -> None:
    run(*scenario)


@given(scenarios(deductions=False))
@settings(max_examples=150, deadline=None, database=None)
def test_lifetime_never_negative_without_manual_deductions(scenario: Scenario) -> None:
    run(*scenario, "lifetime")


@example(([CLAMP], [Earn(1, None, None), SpendAll(by_adjust=True), Clawback(1, 0, CLAMP)]))
@given(scenarios())
@settings(max_examples=50, deadline=None, database=None)
def test_lifetime_is_never_negative(scenario: Scenario) -> None:
    run(*scenario, "lifetime")
