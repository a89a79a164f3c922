"""What undoes a challenge contribution, pure.

A contribution names its subject (the order, or the post) and counts +1 unit; `order.returned`
takes the returned value off the order's month and, once nothing of the order is left, its unit;
a post's removal or rejection takes back its author's units for it. Progress is the sum
(domain/challenges.py `progress`), so a member a return takes below a goal is no longer done
with it, and the completion is reverted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from domain.challenges import ORDER_EVENT, ORDER_PREFIX, Goal, GoalKind, is_key, is_order

RETURN_EVENT = "order.returned"
POST_PREFIX = "post:"
# A post's author counts these for it; a removal or a rejection undoes them (not others'
# reactions to the post, which were the reacting members' own doing).
AUTHOR_POST_EVENTS = ("community.post_created", "community.post_approved", "community.post_helpful")
POST_UNDOING_EVENTS = ("community.post_removed", "community.post_rejected")
SUBJECT_MAX = 160


@dataclass(frozen=True, slots=True)
class Undoing:
    """What an event takes back from the contributions about `subject` of `counted_types`."""

    subject: str
    counted_types: tuple[str, ...]
    whole: bool  # nothing is left of the subject: its units go too (a full return, a removal)
    amount: Decimal = Decimal(0)  # the spend it takes off (a return's value)


def subject_of(event_type: str, payload: Mapping[str, Any]) -> str | None:
    """What a counting event is about, for whatever may undo it later: its order or its post."""
    if is_order(payload):
        subject: str = payload["sourceRef"]
    elif event_type in AUTHOR_POST_EVENTS and is_key(payload.get("postId")):
        subject = f"{POST_PREFIX}{payload['postId']}"
    else:
        return None
    return subject if len(subject) <= SUBJECT_MAX else None


def undoing(event_type: str, payload: Mapping[str, Any]) -> Undoing | None:
    """What the event undoes of what counted before, or None for an event that undoes nothing."""
    if event_type == RETURN_EVENT:
        order, amount = payload.get("orderId"), payload.get("amount")
        if not isinstance(order, str) or not isinstance(amount, str):
            return None
        return Undoing(
            f"{ORDER_PREFIX}{order}",
            (ORDER_EVENT,),
            whole=payload.get("fullyReturned") is True,
            amount=Decimal(amount),
        )
    if event_type in POST_UNDOING_EVENTS and is_key(payload.get("postId")):
        return Undoing(f"{POST_PREFIX}{payload['postId']}", AUTHOR_POST_EVENTS, whole=True)
    return None


def reversal(
    goal: Goal, undo: Undoing, counted_units: int, counted_amount: Decimal
) -> tuple[int, Decimal] | None:
    """The (units, amount) contribution that undoes `undo` of what its subject still counts
    (`counted_units`, `counted_amount`) toward `goal`, or None when nothing is left to undo."""
    units = -1 if undo.whole and counted_units > 0 else 0
    if goal.kind is GoalKind.MONTHLY_SPEND:
        amount = -min(undo.amount, max(counted_amount, Decimal(0)))
    else:
        amount = Decimal(units)  # counting goals count their units
    return (units, amount) if units or amount else None
