"""When a gift's trigger stops standing, pure: which events of the log decide an order's surprise,
which undo a gift, and the budget account's credit back.

A surprise is for an order the member keeps, so it is decided when the order's points are
spendable: at once for an earning that is not pending, else when the ledger activates the
order's lot at the end of the return window (`points.activated`, with the earning's `sourceRef`).
An order returned inside the window never activates and is never decided; a full return after
the decision undoes the surprise, as a removal or a rejection undoes its post's thank-you. What
undoing means depends on where the gift stands: a pending one is skipped with the reason; a given
one is revoked, its points taken back from the member and credited back to the budget account
that paid them (never above its total).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from domain.gifts import Budget, GiftKind, SkipReason, trigger

ORDER_PREFIX = "order:"
EARNED = "points.earned"
ACTIVATED = "points.activated"
RETURNED = "order.returned"
POST_UNDONE = frozenset({"community.post_removed", "community.post_rejected"})


class RevokeReason(StrEnum):
    """Why a given gift was taken back: what it was given for no longer stands."""

    ORDER_RETURNED = "ORDER_RETURNED"
    POST_REMOVED = "POST_REMOVED"  # removed or rejected by a moderator


@dataclass(frozen=True, slots=True)
class Undoing:
    """The gifts an event undoes (of `kind`, under `trigger`), and the reasons it gives."""

    kind: GiftKind
    trigger: str
    skip_reason: SkipReason
    revoke_reason: RevokeReason


def surprise_order(event_type: str, payload: Mapping[str, Any]) -> str | None:
    """The order whose surprise the event decides, or None: an order's earning that is not
    pending, or the activation of an order's pending points."""
    source = payload.get("sourceRef")
    if not isinstance(source, str) or not source.startswith(ORDER_PREFIX):
        return None
    if event_type == EARNED:
        earned_now = payload.get("reasonCode") == "ORDER" and payload.get("pending") is not True
        return source.removeprefix(ORDER_PREFIX) if earned_now else None
    if event_type == ACTIVATED:
        return source.removeprefix(ORDER_PREFIX)
    return None


def undoing(event_type: str, payload: Mapping[str, Any]) -> Undoing | None:
    """What the event undoes: a full return its order's surprise, a removal or a rejection its
    post's thank-you; None for anything else (a partial return undoes nothing)."""
    if event_type == RETURNED:
        order = payload.get("orderId")
        if payload.get("fullyReturned") is not True or not isinstance(order, str):
            return None
        return Undoing(
            GiftKind.SURPRISE,
            trigger(GiftKind.SURPRISE, reference=order),
            SkipReason.ORDER_RETURNED,
            RevokeReason.ORDER_RETURNED,
        )
    if event_type in POST_UNDONE:
        post = payload.get("postId")
        if not isinstance(post, int) or isinstance(post, bool):
            return None
        return Undoing(
            GiftKind.THANK_YOU,
            trigger(GiftKind.THANK_YOU, reference=f"post:{post}"),
            SkipReason.POST_REMOVED,
            RevokeReason.POST_REMOVED,
        )
    return None


def credit(budget: Budget, points: int) -> Budget:
    """The account once a revoked gift's `points` come back to it. What comes back was spent
    from it, so it fits under the total (the database's CHECK agrees)."""
    if points <= 0 or budget.remaining + points > budget.total:
        raise ValueError(f"{points} points do not fit back in {budget}")
    return Budget(budget.total, budget.remaining + points)


def taken_back(reason: RevokeReason) -> str:
    """What the member reads on the entry that takes a revoked gift's points back."""
    if reason is RevokeReason.ORDER_RETURNED:
        return "Gift taken back: its order was returned"
    return "Gift taken back: its post was removed"
