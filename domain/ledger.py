"""The points ledger as pure arithmetic: balances, lots and the postings that change them.

A member's points live in lots (one per earning) so that spending can take the soonest-expiring
points first and expiry can only ever take what is left of a lot. Each operation returns a Posting:
the signed deltas of one immutable ledger entry plus what it does to lots. Invariants, for a member
whose due activations and expiries have been applied:

    balance == sum of all postings' deltas          (also enforced by the database)
    pending == sum(remaining of PENDING lots)
    max(available, 0) == sum(remaining of ACTIVE lots)
    debt >= 0, pending >= 0, held >= 0, and 0 <= lot.remaining

Held points (a checkout hold) have left their lots and `available` but are still the member's:
a release gives them back to the lots they came from, a capture spends them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import astuple, dataclass, replace
from datetime import datetime
from enum import StrEnum

from domain.validation import ErrorCode, InvalidInput, Problem


class EntryKind(StrEnum):
    EARN = "EARN"
    REDEEM = "REDEEM"
    EXPIRE = "EXPIRE"
    REVERSE = "REVERSE"
    ADJUST = "ADJUST"
    ACTIVATE = "ACTIVATE"
    HOLD = "HOLD"
    RELEASE = "RELEASE"
    REFUND = "REFUND"
    TRANSFER_OUT = "TRANSFER_OUT"  # points sent to another member, or a received transfer reversed
    TRANSFER_IN = "TRANSFER_IN"  # points received from another member, or a sent transfer reversed


class LotStatus(StrEnum):
    PENDING = "PENDING"
    ACTIVE = "ACTIVE"


@dataclass(frozen=True, slots=True)
class ExplanationLine:
    """One step of how an entry's points came about, e.g. BASE 42 or CAP -10."""

    code: str
    label: str
    points: int


@dataclass(frozen=True, slots=True)
class Balance:
    available: int = 0
    pending: int = 0
    debt: int = 0
    lifetime: int = 0
    held: int = 0


@dataclass(frozen=True, slots=True)
class Lot:
    id: int
    remaining: int
    status: LotStatus
    activates_at: datetime | None
    expires_at: datetime | None
    expired: int = 0  # points of this lot lost to expiry and not yet written off by a return

    def spendable_at(self, now: datetime) -> bool:
        return (
            self.status is LotStatus.ACTIVE
            and self.remaining > 0
            and (self.expires_at is None or self.expires_at > now)
        )


@dataclass(frozen=True, slots=True)
class LotTake:
    lot_id: int
    points: int
    expires: bool = False  # the points leave by expiry: the lot remembers them as expired


@dataclass(frozen=True, slots=True)
class NewLot:
    points: int
    remaining: int
    status: LotStatus
    activates_at: datetime | None
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class Posting:
    """One ledger entry's effect. `points` is the signed figure a member sees on the entry."""

    kind: EntryKind
    points: int
    available: int = 0
    pending: int = 0
    debt: int = 0
    lifetime: int = 0
    held: int = 0
    takes: tuple[LotTake, ...] = ()
    restores: tuple[LotTake, ...] = ()  # points a release gives back to the lots they came from
    write_offs: tuple[LotTake, ...] = ()  # expired points a return accounts for (lot.expired -= n)
    new_lot: NewLot | None = None
    activates_lot: int | None = None
    lines: tuple[ExplanationLine, ...] = ()


# GraphQL's Int is 32 bits: no figure the ledger stores may leave what every client can read.
MAX_POINTS = 2**31 - 1


def apply(balance: Balance, posting: Posting) -> Balance:
    """The balance after a posting; refused if any figure written with it (its points, deltas,
    explanation lines or the balance it leaves) would leave +-MAX_POINTS: a stored figure no
    client can read would make the member's ledger unreadable for good."""
    after = Balance(
        available=balance.available + posting.available,
        pending=balance.pending + posting.pending,
        debt=balance.debt + posting.debt,
        lifetime=balance.lifetime + posting.lifetime,
        held=balance.held + posting.held,
    )
    if after.held < 0:
        raise ValueError("a posting may not release or capture more than is held")
    deltas = (posting.available, posting.pending, posting.debt, posting.lifetime, posting.held)
    figures = (posting.points, *deltas, *(line.points for line in posting.lines), *astuple(after))
    if any(abs(figure) > MAX_POINTS for figure in figures):
        raise InvalidInput(
            Problem(
                (),
                f"Points, their explanation and balances must stay within {MAX_POINTS} either way.",
                ErrorCode.POINTS_OUT_OF_RANGE,
            )
        )
    return after


def spending_order(lots: Iterable[Lot], now: datetime) -> list[Lot]:
    """Spendable lots, soonest expiry first; never-expiring last; oldest first among equals."""
    spendable = [lot for lot in lots if lot.spendable_at(now)]
    return sorted(
        spendable, key=lambda lot: (lot.expires_at is None, lot.expires_at or now, lot.id)
    )


def earn(
    balance: Balance,
    points: int,
    *,
    lines: tuple[ExplanationLine, ...],
    activates_at: datetime | None,
    expires_at: datetime | None,
) -> Posting:
    """New points: pending until `activates_at` if given, else spendable at once (after debt).

    Zero is allowed: an order capped to nothing still gets an entry that explains why."""
    if points < 0:
        raise InvalidInput(
            Problem(("points",), "Points must not be negative.", ErrorCode.INVALID_AMOUNT)
        )
    if points == 0:
        return Posting(EntryKind.EARN, 0, lines=lines)
    if activates_at is not None:
        lot = NewLot(points, points, LotStatus.PENDING, activates_at, expires_at)
        return Posting(
            EntryKind.EARN, points, pending=points, lifetime=points, new_lot=lot, lines=lines
        )
    owed, to_balance = _settle(balance, points)
    lot = NewLot(points, to_balance_lot(balance, to_balance), LotStatus.ACTIVE, None, expires_at)
    return Posting(
        EntryKind.EARN,
        points,
        available=to_balance,
        debt=-owed,
        lifetime=points,
        new_lot=lot,
        lines=lines + _debt_line(owed),
    )


def activate(balance: Balance, lot: Lot) -> Posting:
    """A pending lot's return window has ended: its points become spendable (after debt)."""
    if lot.status is not LotStatus.PENDING:
        raise ValueError(f"lot {lot.id} is not pending")
    owed, to_balance = _settle(balance, lot.remaining)
    kept = to_balance_lot(balance, to_balance)
    takes = (LotTake(lot.id, lot.remaining - kept),) if kept < lot.remaining else ()
    return Posting(
        EntryKind.ACTIVATE,
        lot.remaining,
        available=to_balance,
        pending=-lot.remaining,
        debt=-owed,
        takes=takes,
        activates_lot=lot.id,
        lines=(
            ExplanationLine("ACTIVATED", "Return window ended", lot.remaining),
            *_debt_line(owed),
        ),
    )


def redeem(balance: Balance, lots: Iterable[Lot], points: int, now: datetime) -> Posting:
    """Spend points from the soonest-expiring lots; never below zero."""
    require_positive(points)
    takes, taken = take(spending_order(lots, now), points)
    if taken < points or balance.available < points:
        raise InvalidInput(
            Problem(
                ("points",),
                f"Only {min(taken, balance.available)} points can be spent.",
                ErrorCode.INSUFFICIENT_POINTS,
            )
        )
    return Posting(EntryKind.REDEEM, -points, available=-points, takes=takes)


def hold(balance: Balance, lots: Iterable[Lot], points: int, now: datetime, label: str) -> Posting:
    """Reserve points for a checkout: taken from the soonest-expiring lots as a redemption would
    be, kept aside in `held` until the hold is captured or released."""
    spend = redeem(balance, lots, points, now)
    return replace(
        spend, kind=EntryKind.HOLD, held=points, lines=(ExplanationLine("HELD", label, -points),)
    )


def release(balance: Balance, points: int, takes: Iterable[LotTake], label: str) -> Posting:
    """Give held points back: to the lots the hold took them from, in that order (their expiry
    dates with them), after repaying any debt recorded meanwhile."""
    require_positive(points)
    owed, to_balance = _settle(balance, points)
    backed = to_balance_lot(balance, to_balance)
    restores, _ = take((_restorable(t) for t in takes), backed)
    return Posting(
        EntryKind.RELEASE,
        points,
        available=to_balance,
        debt=-owed,
        held=-points,
        restores=restores,
        lines=(ExplanationLine("RELEASED", label, points), *_debt_line(owed)),
    )


def capture(points: int, label: str) -> Posting:
    """Held points are spent: they leave `held`, and with it the member's points."""
    require_positive(points)
    return Posting(
        EntryKind.REDEEM,
        -points,
        held=-points,
        lines=(ExplanationLine("REDEEMED", label, -points),),
    )


def refund(balance: Balance, points: int, *, label: str, expires_at: datetime | None) -> Posting:
    """Points of a cancelled redemption come back as a new lot (they were earned before: the
    lifetime total does not grow)."""
    require_positive(points)
    line = (ExplanationLine("REFUNDED", label, points),)
    earned = earn(balance, points, lines=line, activates_at=None, expires_at=expires_at)
    return replace(earned, kind=EntryKind.REFUND, lifetime=0)


def _restorable(taken: LotTake) -> Lot:
    """A lot as `take` reads it: what the hold took from it is what may be given back."""
    return Lot(taken.lot_id, taken.points, LotStatus.ACTIVE, None, None)


def expire(lot: Lot, now: datetime) -> Posting:
    """What is left of a lot past its expiry date leaves the balance; nothing more."""
    if lot.expires_at is None or lot.expires_at > now or lot.status is not LotStatus.ACTIVE:
        raise ValueError(f"lot {lot.id} is not due to expire")
    return Posting(
        EntryKind.EXPIRE,
        -lot.remaining,
        available=-lot.remaining,
        takes=(LotTake(lot.id, lot.remaining, expires=True),),
        lines=(ExplanationLine("EXPIRED", "Points reached their expiry date", -lot.remaining),),
    )


def adjust(
    balance: Balance,
    lots: Iterable[Lot],
    points: int,
    *,
    reason: str,
    now: datetime,
    expires_at: datetime | None,
) -> Posting:
    """A manual correction: a grant becomes a new lot; a deduction spends like a redemption."""
    line = (ExplanationLine("MANUAL", reason, points),)
    if points > 0:
        return replace(
            earn(balance, points, lines=line, activates_at=None, expires_at=expires_at),
            kind=EntryKind.ADJUST,
        )
    if points == 0:
        raise InvalidInput(
            Problem(("points",), "An adjustment must change the balance.", ErrorCode.INVALID_AMOUNT)
        )
    spend = redeem(balance, lots, -points, now)
    return replace(
        spend, kind=EntryKind.ADJUST, lifetime=-min(-points, balance.lifetime), lines=line
    )


def to_balance_lot(balance: Balance, to_balance: int) -> int:
    """Of points added to `available`, how many are backed by a lot: none while they only
    bring a negative balance back towards zero."""
    return max(balance.available + to_balance, 0) - max(balance.available, 0)


def _settle(balance: Balance, points: int) -> tuple[int, int]:
    """New spendable points repay recorded debt first: (owed repaid, points to available)."""
    owed = min(balance.debt, points)
    return owed, points - owed


def _debt_line(owed: int) -> tuple[ExplanationLine, ...]:
    return (
        # A note, not a step: the points were earned in full; `owed` of them settled a debt.
        (
            ExplanationLine(
                "DEBT_REPAID",
                f"{owed} of these points repaid points owed from an earlier return",
                0,
            ),
        )
        if owed
        else ()
    )


def take(lots: Iterable[Lot], points: int) -> tuple[tuple[LotTake, ...], int]:
    takes: list[LotTake] = []
    taken = 0
    for lot in lots:
        if taken == points:
            break
        amount = min(lot.remaining, points - taken)
        takes.append(LotTake(lot.id, amount))
        taken += amount
    return tuple(takes), taken


def require_positive(points: int) -> None:
    if points <= 0:
        raise InvalidInput(
            Problem(
                ("points",), "Points must be a positive whole number.", ErrorCode.INVALID_AMOUNT
            )
        )
