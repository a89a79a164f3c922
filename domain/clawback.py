"""Returns as ledger arithmetic: what a returned order takes back, and from where.

The order's still-pending points go first, then what is left of its own lot, then its points
that already expired (written off: expiry took them once), and only then the member's other
points; what the member already spent follows the program's clawback policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from domain.ledger import (
    Balance,
    EntryKind,
    ExplanationLine,
    Lot,
    LotStatus,
    LotTake,
    Posting,
    require_positive,
    spending_order,
    take,
)
from domain.points_config import ClawbackPolicy
from domain.validation import ErrorCode, InvalidInput, Problem


def clawback(
    balance: Balance,
    lots: Mapping[int, Lot],
    points: int,
    *,
    order_lot: int | None,
    policy: ClawbackPolicy,
    now: datetime,
    label: str,
) -> Posting:
    """Take back points a returned order earned: its still-pending points first, then what is left
    of its own lot, then its points that already expired (written off: expiry took them once
    already), and only then the member's other points; what was spent follows `policy`."""
    require_positive(points)
    own = lots.get(order_lot) if order_lot is not None else None
    from_pending = min(points, own.remaining) if own and own.status is LotStatus.PENDING else 0
    rest = points - from_pending
    room = max(balance.available, 0)
    own_spendable = [own] if own is not None and own.spendable_at(now) else []
    own_takes, from_own = take(own_spendable, min(rest, room))
    rest -= from_own
    written_off = min(rest, own.expired) if own is not None else 0
    rest -= written_off
    others = [lot for lot in spending_order(lots.values(), now) if own is None or lot.id != own.id]
    other_takes, covered = take(others, min(rest, room - from_own))
    shortfall = rest - covered
    if shortfall and policy is ClawbackPolicy.DENY:
        raise InvalidInput(
            Problem(
                ("amount",),
                f"The member already spent {shortfall} of these points.",
                ErrorCode.CLAWBACK_DENIED,
            )
        )
    debt = shortfall if policy is ClawbackPolicy.CLAMP_AND_RECORD_DEBT else 0
    from_balance = from_own + covered + (shortfall - debt)
    pending_take = (LotTake(own.id, from_pending),) if own is not None and from_pending else ()
    return Posting(
        EntryKind.REVERSE,
        -points,
        available=-from_balance,
        pending=-from_pending,
        debt=debt,
        lifetime=-min(points, balance.lifetime),  # a correction may already have lowered it
        takes=pending_take + own_takes + other_takes,
        write_offs=(LotTake(own.id, written_off),) if own is not None and written_off else (),
        lines=_return_lines(label, from_pending + from_balance, written_off, debt),
    )


def _return_lines(
    label: str, taken: int, written_off: int, debt: int
) -> tuple[ExplanationLine, ...]:
    lines = [ExplanationLine("RETURN", label, -taken)] if taken else []
    if written_off:
        lines.append(
            ExplanationLine(
                "EXPIRED_BEFORE_RETURN", "Had already expired: nothing more taken", -written_off
            )
        )
    if debt:
        lines.append(ExplanationLine("DEBT", "Already spent: owed from future points", -debt))
    return tuple(lines)
