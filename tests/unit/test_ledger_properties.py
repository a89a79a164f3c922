"""Ledger invariants under random sequences of operations, applied as persistence would apply them.

`Account` is a tiny in-memory ledger: it folds postings into a Balance, moves points between lots
and, before every operation, does the due work (activations, then expiries) the service does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import example, given, settings
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
from domain.points_config import ClawbackPolicy as Policy
from domain.validation import ErrorCode, InvalidInput

pytestmark = pytest.mark.unit

START = datetime(2024, 1, 1, 9, tzinfo=UTC)
REFUSALS = {ErrorCode.INSUFFICIENT_POINTS, ErrorCode.CLAWBACK_DENIED, ErrorCode.INVALID_AMOUNT}


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
    """Spend everything available, by redemption or by a manual deduction."""

    by_adjust: bool


@dataclass(frozen=True)
class Clawback:
    points: int
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
    now: datetime = START
    balance: Balance = Balance()
    lots: dict[int, Lot] = field(default_factory=dict)
    postings: list[Posting] = field(default_factory=list)
    unclawed: dict[int, int] = field(default_factory=dict)  # order lot id -> points not returned

    def snapshot(self) -> tuple[object, ...]:
        return (self.now, self.balance, dict(self.lots), len(self.postings), dict(self.unclawed))

    def post(self, posting: Posting) -> int:
        self._check_takes(posting)
        self.balance = apply(self.balance, posting)
        for take in posting.takes:
            lot = self.lots[take.lot_id]
            self.lots[lot.id] = replace(lot, remaining=lot.remaining - take.points)
        if posting.activates_lot is not None:
            lot = self.lots[posting.activates_lot]
            self.lots[lot.id] = replace(lot, status=LotStatus.ACTIVE)
        self.postings.append(posting)
        new, lot_id = posting.new_lot, len(self.postings)  # a fresh id per entry
        if new is not None:
            self.lots[lot_id] = Lot(
                lot_id, new.remaining, new.status, new.activates_at, new.expires_at
            )
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
            # An activation may be processed late: it takes effect at the lot's activates_at.
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
        b = self.balance
        match op:
            case Advance(days):
                self.now += timedelta(days=days)
            case Earn(points, pending_days, expiry_days):
                ends = None if expiry_days is None else (pending_days or 0) + expiry_days
                lines = (ExplanationLine("BASE", "order", points),)
                at, until = self.days(pending_days), self.days(ends)
                lot_id = self.post(earn(b, points, lines=lines, activates_at=at, expires_at=until))
                self.unclawed[lot_id] = points
            case Redeem(points):
                if self._expect(
                    b.available < points, lambda: redeem(b, self.lots.values(), points, self.now)
                ):
                    assert self.balance.available >= 0
            case SpendAll(by_adjust) if b.available > 0:
                self.do(Adjust(-b.available, None) if by_adjust else Redeem(b.available))
                assert self.balance.available == 0
            case Clawback(points, pick, policy) if self.unclawed:
                order_lot = sorted(self.unclawed)[pick % len(self.unclawed)]
                amount = min(points, self.unclawed[order_lot])
                own = self.lots[order_lot]
                from_pending = min(amount, own.remaining) if own.status is LotStatus.PENDING else 0
                short = amount - from_pending > max(b.available, 0)
                lines = (ExplanationLine("RETURN", "order returned", -amount),)

                def make() -> Posting:
                    return clawback(
                        b,
                        self.lots,
                        amount,
                        order_lot=order_lot,
                        policy=policy,
                        now=self.now,
                        lines=lines,
                    )

                if amount and self._expect(short and policy is Policy.DENY, make):
                    self.unclawed[order_lot] -= amount
            case Adjust(points, expiry_days):
                until = self.days(expiry_days)
                self._expect(
                    points == 0 or (points < 0 and b.available < -points),
                    lambda: adjust(
                        b, self.lots.values(), points, reason="fix", now=self.now, expires_at=until
                    ),
                )

    def _expect(self, refused: bool, make: Callable[[], Posting]) -> bool:
        """Post what `make` returns; it must raise InvalidInput, changing nothing, iff `refused`."""
        before = self.snapshot()
        try:
            posting = make()
        except InvalidInput as error:
            assert refused, error
            assert {p.code for p in error.problems} <= REFUSALS
            assert self.snapshot() == before
            return False
        assert not refused, posting
        self.post(posting)
        return True

    def check(self, allow_negative: bool, strict: bool) -> None:
        b, ps, lots = self.balance, self.postings, self.lots.values()
        folded = Balance(
            sum(p.available for p in ps),
            sum(p.pending for p in ps),
            sum(p.debt for p in ps),
            sum(p.lifetime for p in ps),
        )
        assert b == folded
        assert b.pending == sum(lot.remaining for lot in lots if lot.status is LotStatus.PENDING)
        assert max(b.available, 0) == sum(
            lot.remaining for lot in lots if lot.status is LotStatus.ACTIVE
        )
        assert b.debt >= 0
        assert b.pending >= 0
        assert all(lot.remaining >= 0 for lot in lots)
        assert b.debt == 0 or b.available <= 0  # never spendable points while owing some
        assert allow_negative or b.available >= 0
        for p in ps:
            shown = {
                EntryKind.REDEEM: p.available,
                EntryKind.EXPIRE: p.available,
                EntryKind.ACTIVATE: -p.pending,
            }
            assert p.points == shown.get(p.kind, p.lifetime), p
            # Lines explain the points less what went to (or came from) debt.
            if p.lines and (strict or not (p.kind is EntryKind.REVERSE and p.debt)):
                assert sum(line.points for line in p.lines) == p.points + p.debt, p
        assert not strict or b.lifetime >= 0


def ops(policies: list[Policy], deductions: bool) -> st.SearchStrategy[Op]:
    points = st.integers(1, 300)
    spend_all = st.builds(SpendAll, st.booleans() if deductions else st.just(False))
    claw = st.builds(Clawback, points, st.integers(0, 20), st.sampled_from(policies))
    expiry = st.none() | st.integers(1, 200)
    return st.one_of(
        st.builds(Advance, st.integers(0, 400)),
        st.builds(Earn, points, st.none() | st.integers(0, 60), expiry),
        st.builds(Redeem, points),
        spend_all,
        claw,
        spend_all,
        claw,
        st.builds(Adjust, st.integers(-300 if deductions else 1, 300), expiry),
    )


POLICY_SETS = [
    [Policy.CLAMP_AND_RECORD_DEBT],
    [Policy.DENY],
    [Policy.ALLOW_NEGATIVE],
    [Policy.CLAMP_AND_RECORD_DEBT, Policy.DENY],
    list(Policy),
]


@st.composite
def scenarios(draw: st.DrawFn, deductions: bool = True) -> Scenario:
    policies = draw(st.sampled_from(POLICY_SETS))
    return policies, draw(st.lists(ops(policies, deductions), min_size=8, max_size=50))


def run(policies: list[Policy], steps: list[Op], *, strict: bool = False) -> Account:
    account = Account()
    allow_negative = Policy.ALLOW_NEGATIVE in policies
    for op in steps:
        account.due_work()
        account.check(allow_negative, strict)
        account.do(op)
        account.check(allow_negative, strict)
    return account


@given(scenarios())
@settings(max_examples=300, deadline=None, database=None)
def test_ledger_invariants_hold_for_any_sequence(scenario: Scenario) -> None:
    run(*scenario)


CLAMP = [Policy.CLAMP_AND_RECORD_DEBT]
DEDUCT_THEN_RETURN = (
    CLAMP,
    [Earn(1, None, None), SpendAll(by_adjust=True), Clawback(1, 0, CLAMP[0])],
)
SPEND_THEN_RETURN = (CLAMP, [Earn(1, None, None), Redeem(1), Clawback(1, 0, CLAMP[0])])


@given(scenarios(deductions=False))
@settings(max_examples=150, deadline=None, database=None)
def test_lifetime_and_lines_hold_without_manual_deductions_or_debt(scenario: Scenario) -> None:
    policies, steps = scenario
    account = run(policies, steps)
    assert account.balance.lifetime >= 0
    assert all(
        sum(line.points for line in p.lines) == p.points + p.debt
        for p in account.postings
        if p.lines
    )


@pytest.mark.xfail(
    strict=True,
    reason="domain bug: adjust(-N) lowers lifetime and a later clawback of the same order lowers it "
    "again: earn 1, adjust -1, clawback 1 (CLAMP) -> lifetime -1",
)
@example(DEDUCT_THEN_RETURN)
@given(scenarios())
@settings(max_examples=50, deadline=None, database=None)
def test_lifetime_is_never_negative(scenario: Scenario) -> None:
    run(*scenario, strict=True)


@pytest.mark.xfail(
    strict=True,
    reason="domain bug: a clawback that records debt D adds a DEBT line of -D, so its lines sum to "
    "-points - D (every other entry's lines sum to points + debt delta, e.g. DEBT_REPAID is -owed): "
    "earn 1, redeem 1, clawback 1 (CLAMP) -> lines RETURN -1, DEBT -1 sum -2; expected 0",
)
@example(SPEND_THEN_RETURN)
@given(scenarios())
@settings(max_examples=50, deadline=None, database=None)
def test_explanation_lines_add_up_for_every_entry(scenario: Scenario) -> None:
    run(*scenario, strict=True)
