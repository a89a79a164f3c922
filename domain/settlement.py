"""Due work as pure arithmetic: pending points whose return window ended become spendable, and
what is left of lapsed lots expires, in the order the ledger writes them.

Writes post these entries (loyalty/points/account.py); reads show the balance as it stands once
they are posted, so a member never sees spendable points that are already gone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from domain.ledger import Balance, Lot, LotStatus, Posting, activate, apply, expire


def due_postings(balance: Balance, lots: Iterable[Lot], now: datetime) -> list[Posting]:
    """The activations (oldest lot first), then the expiries (soonest first), due at `now`."""
    current = {lot.id: lot for lot in lots}
    postings: list[Posting] = []
    for lot_id in sorted(current):
        lot = current[lot_id]
        if lot.status is LotStatus.PENDING and lot.activates_at and lot.activates_at <= now:
            balance = _post(activate(balance, lot), balance, current, postings)
    for lot in sorted(current.values(), key=lambda lot: (lot.expires_at or now, lot.id)):
        lot = current[lot.id]
        due = lot.status is LotStatus.ACTIVE and lot.expires_at and lot.expires_at <= now
        if due and lot.remaining:
            balance = _post(expire(lot, now), balance, current, postings)
    return postings


def settled(balance: Balance, due_lots: Iterable[Lot], now: datetime) -> Balance:
    """The balance once everything due by `now` is posted."""
    for posting in due_postings(balance, due_lots, now):
        balance = apply(balance, posting)
    return balance


def _post(
    posting: Posting, balance: Balance, lots: dict[int, Lot], postings: list[Posting]
) -> Balance:
    for take in posting.takes:
        lot = lots[take.lot_id]
        expired = lot.expired + (take.points if take.expires else 0)
        lots[lot.id] = replace(lot, remaining=lot.remaining - take.points, expired=expired)
    if posting.activates_lot is not None:
        lots[posting.activates_lot] = replace(lots[posting.activates_lot], status=LotStatus.ACTIVE)
    postings.append(posting)
    return apply(balance, posting)
