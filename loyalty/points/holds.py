"""Points on hold for a checkout, and their way out: captured (spent), released (given back to
the lots they came from) or, after a capture, refunded as new points. Each is one ledger entry on
a locked, open account (account.py); the rewards area calls these inside its own unit of work."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from domain import ledger
from domain.ledger import LotTake
from loyalty.points.account import Account, Posted


@dataclass(frozen=True, slots=True)
class Held:
    """A hold's entry and the (lot id, points) it took, which its release gives back."""

    posted: Posted
    takes: tuple[tuple[int, int], ...]


async def hold(
    account: Account, points: int, *, reason: str, source_ref: str | None = None
) -> Held:
    """Reserve points, soonest-expiring first, as a redemption would spend them (refused with
    INSUFFICIENT_POINTS beyond what is spendable); they stay the member's, shown as held."""
    posting = ledger.hold(account.balance, account.lots.values(), points, account.now, reason)
    posted = await account.post(posting, reason_code="HOLD", reason=reason, source_ref=source_ref)
    return Held(posted, tuple((take.lot_id, take.points) for take in posting.takes))


async def release(
    account: Account,
    points: int,
    takes: Iterable[tuple[int, int]],
    *,
    reason: str,
    source_ref: str | None = None,
) -> Posted:
    """Give held points back to their lots; any of those past expiry by now expire at once."""
    lots = [LotTake(lot_id, taken) for lot_id, taken in takes]
    posting = ledger.release(account.balance, points, lots, reason)
    posted = await account.post(
        posting, reason_code="RELEASE", reason=reason, source_ref=source_ref
    )
    await account.settle_due()
    return posted


async def capture(
    account: Account, points: int, *, reason: str, source_ref: str | None = None
) -> Posted:
    """Spend held points: a confirmed redemption."""
    posting = ledger.capture(points, reason)
    return await account.post(
        posting, reason_code="REDEMPTION", reason=reason, source_ref=source_ref
    )


async def refund(
    account: Account,
    points: int,
    *,
    reason: str,
    expires_at: datetime | None,
    source_ref: str | None = None,
) -> Posted:
    """Points of a cancelled, confirmed redemption, back as a new lot expiring at `expires_at`."""
    posting = ledger.refund(account.balance, points, label=reason, expires_at=expires_at)
    return await account.post(posting, reason_code="REFUND", reason=reason, source_ref=source_ref)
