"""Completing a challenge and reverting a completion, inside the progress consumer's unit of work,
under the member's lock.

Completing sets `completed_at` only where it was null, so exactly one transaction completes an
enrolment; that one counts the completion on the challenge, grants the points through the
ledger's writer (pending until the orders that reached the goal are past their return window)
and the badge (unique per member and badge), and records `challenge.completed` /
`badge.awarded`. Reverting is its mirror, for a return or a removal that took the member back
below the goal: `completed_at` cleared where it was set, the completion uncounted, the reward's
points taken back from its own lot first, the badge this challenge gave removed, and
`challenge.reverted` recorded. A member who reaches the goal again completes it again, so at most
one reward stands at any time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backbone.uow import UnitOfWork
from domain.events import BadgeAwarded, ChallengeCompleted, ChallengeReverted
from domain.ledger import ExplanationLine, earn
from loyalty.models import Program
from loyalty.points.account import SYSTEM_ACTOR, open_account
from loyalty.points.takebacks import take_back
from loyalty.programs import ref

REASON_CODE = "CHALLENGE"

_COMPLETE = """
UPDATE challenge_enrolment SET completed_at = $2 WHERE id = $1 AND completed_at IS NULL
RETURNING id
"""
_REWARD_LOT = "UPDATE challenge_enrolment SET reward_lot_id = $2 WHERE id = $1"
_COUNT_COMPLETION = "UPDATE challenge SET completions = completions + $2 WHERE id = $1"
_AWARD_BADGE = """
INSERT INTO member_badge (member_id, badge_id, challenge_id, awarded_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (member_id, badge_id) DO NOTHING RETURNING id
"""
# The latest moment a still-pending order of the enrolment becomes spendable: the reward waits
# for it, so an order returned inside its window never leaves a spendable reward behind.
_PENDING_UNTIL = """
SELECT max(l.activates_at) AS until FROM challenge_contribution k
JOIN points_order o ON o.program_id = $2 AND o.order_id = substr(k.subject, 7)
JOIN points_lot l ON l.id = o.lot_id
WHERE k.challenge_enrolment_id = $1 AND k.units > 0 AND k.subject LIKE 'order:%'
  AND l.status = 'PENDING' AND l.activates_at > $3
"""
_REVERT = """
UPDATE challenge_enrolment e SET completed_at = NULL, reward_lot_id = NULL
FROM challenge_enrolment prior
WHERE e.id = $1 AND prior.id = e.id AND e.completed_at IS NOT NULL
RETURNING prior.reward_lot_id,
  (SELECT l.points FROM points_lot l WHERE l.id = prior.reward_lot_id) AS points
"""
_REMOVE_BADGE = """
DELETE FROM member_badge WHERE member_id = $1 AND badge_id = $2 AND challenge_id = $3
RETURNING id
"""


async def complete(
    uow: UnitOfWork, program_id: int, member_id: int, challenge: dict[str, Any], enrolment_id: int
) -> None:
    now = uow.now()
    if not await uow.connection.execute_query_dict(_COMPLETE, [enrolment_id, now]):
        return
    await uow.connection.execute_query_dict(_COUNT_COMPLETION, [challenge["id"], 1])
    uow.record(
        ChallengeCompleted(
            program_id=program_id,
            member_id=member_id,
            challenge_id=challenge["id"],
            reward_points=challenge["reward_points"],
            badge_id=challenge["badge_id"],
        )
    )
    if challenge["reward_points"] > 0:
        await _grant_points(uow, program_id, member_id, challenge, enrolment_id)
    if challenge["badge_id"] is not None and await uow.connection.execute_query_dict(
        _AWARD_BADGE, [member_id, challenge["badge_id"], challenge["id"], now]
    ):
        uow.record(
            BadgeAwarded(
                program_id=program_id,
                member_id=member_id,
                badge_id=challenge["badge_id"],
                challenge_id=challenge["id"],
            )
        )


async def _grant_points(
    uow: UnitOfWork, program_id: int, member_id: int, challenge: dict[str, Any], enrolment_id: int
) -> None:
    """The reward as one EARN entry through the ledger's writer, in a lot of its own."""
    program = ref(await Program.get(id=program_id, using_db=uow.connection))
    account = await open_account(uow, program_id, member_id=member_id, actor=SYSTEM_ACTOR)
    assert account is not None
    await account.settle_due()
    points = challenge["reward_points"]
    label = f"Challenge completed: {challenge['name']}"
    posting = earn(
        account.balance,
        points,
        lines=(ExplanationLine(REASON_CODE, label, points),),
        activates_at=await _pending_until(uow, program_id, enrolment_id, account.now),
        expires_at=program.points.expiry.expires_at(account.now, program.timezone),
    )
    posted = await account.post(
        posting, reason_code=REASON_CODE, reason=label, source_ref=f"challenge:{challenge['id']}"
    )
    await uow.connection.execute_query_dict(_REWARD_LOT, [enrolment_id, posted.lot_id])


async def _pending_until(
    uow: UnitOfWork, program_id: int, enrolment_id: int, now: datetime
) -> datetime | None:
    rows = await uow.connection.execute_query_dict(_PENDING_UNTIL, [enrolment_id, program_id, now])
    until: datetime | None = rows[0]["until"] if rows else None
    return until


async def revert(
    uow: UnitOfWork, program_id: int, member_id: int, challenge: dict[str, Any], enrolment_id: int
) -> None:
    """Undo a completion the member no longer meets (nothing when it was not completed)."""
    rows = await uow.connection.execute_query_dict(_REVERT, [enrolment_id])
    if not rows:
        return
    await uow.connection.execute_query_dict(_COUNT_COMPLETION, [challenge["id"], -1])
    lot_id, lot_points = rows[0]["reward_lot_id"], rows[0]["points"]
    # A completion before rewards had lots of their own gave the challenge's points.
    points = lot_points if lot_id is not None else challenge["reward_points"]
    if points > 0:
        await take_back(
            uow,
            ref(await Program.get(id=program_id, using_db=uow.connection)),
            member_id,
            points,
            reason_code=REASON_CODE,
            label=f"Challenge no longer completed: {challenge['name']}",
            source_ref=f"challenge:{challenge['id']}",
            lot_id=lot_id,
        )
    badge_id = challenge["badge_id"]
    removed = badge_id is not None and bool(
        await uow.connection.execute_query_dict(
            _REMOVE_BADGE, [member_id, badge_id, challenge["id"]]
        )
    )
    uow.record(
        ChallengeReverted(
            program_id=program_id,
            member_id=member_id,
            challenge_id=challenge["id"],
            points_taken_back=points,
            badge_id=badge_id if removed else None,
        )
    )
