"""Challenge progress from the event log: a relay consumer, after commit, exactly once.

For each event the relay delivers, the program's active challenges reading its type within
their window are looked up (one indexed statement; most events match none and cost nothing
more). For each challenge the event counts toward (domain/challenges.py decides, and for whom),
the members concerned are locked in ascending order (backbone/locks.py), the event is stored as
a contribution of the member's enrolment (unique per enrolment and event id: an event delivered
again counts once) with its subject (the order, the post), progress is measured again from the
contributions, and a goal reached completes the enrolment (completion.py).

An event that undoes what counted (`order.returned`, a post removed or rejected:
domain/challenge_undoing.py) finds the contributions about its subject, whatever the challenge's
window, adds their opposite the same way, and reverts a completion the member no longer meets.
All of it happens in a unit of work nested in the relay's transaction, which moves the consumer's
cursor in the same commit.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from backbone.bus import MessageBus, WritingConsumer
from backbone.outbox import LoggedEvent
from backbone.uow import UnitOfWork
from domain import challenge_undoing as undo_rules
from domain import challenges as rules
from domain.members import MemberStatus
from domain.validation import InvalidInput
from loyalty.challenges.completion import complete, revert

log = logging.getLogger(__name__)

NAME = "challenges.progress"

_CHALLENGE = """c.id, c.name, c.goal_kind, c.target, c.event_type, c.matches, c.counts_for,
  c.starts_at, c.ends_at, c.enrolment, c.reward_points, c.badge_id"""
_CANDIDATES = f"""
SELECT {_CHALLENGE}, p.timezone
FROM challenge c JOIN program p ON p.id = c.program_id
WHERE c.program_id = $1 AND c.event_type = $2 AND c.active AND c.starts_at <= $3 AND c.ends_at > $3
ORDER BY c.id
"""  # noqa: S608 - a constant column list
# What still counts about a subject, per enrolment: read again once its members are locked.
_COUNTED = f"""
SELECT {_CHALLENGE}, e.id AS enrolment_id, e.member_id, k.bucket,
  sum(k.units)::int AS units, sum(k.amount) AS amount
FROM challenge_contribution k
JOIN challenge_enrolment e ON e.id = k.challenge_enrolment_id
JOIN challenge c ON c.id = e.challenge_id
WHERE k.subject = $2 AND c.program_id = $1 AND c.event_type = ANY($3::text[])
GROUP BY c.id, e.id, k.bucket ORDER BY e.id
"""  # noqa: S608 - a constant column list
_LOCK_MEMBERS = """
SELECT id, status FROM member WHERE program_id = $1 AND id = ANY($2::bigint[])
ORDER BY id FOR NO KEY UPDATE
"""
# An AUTO challenge enrols a member at its first counting event; an OPT_IN one only by joining.
_ENROLMENT = """
WITH added AS (
  INSERT INTO challenge_enrolment (challenge_id, member_id, progress, joined_at)
  SELECT $1, $2, 0, $3 WHERE $4
  ON CONFLICT (challenge_id, member_id) DO NOTHING
  RETURNING id, joined_at
)
SELECT id, joined_at FROM added
UNION ALL
SELECT id, joined_at FROM challenge_enrolment WHERE challenge_id = $1 AND member_id = $2
"""
_CONTRIBUTE = """
INSERT INTO challenge_contribution (challenge_enrolment_id, event_id, bucket, amount, units,
  subject)
VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (challenge_enrolment_id, event_id) DO NOTHING
RETURNING id
"""
_BUCKETS = """
SELECT bucket, sum(units)::int AS units, sum(amount) AS amount FROM challenge_contribution
WHERE challenge_enrolment_id = $1 GROUP BY bucket
"""
_PROGRESS = """
UPDATE challenge_enrolment SET progress = $2 WHERE id = $1 RETURNING completed_at IS NOT NULL AS done
"""
# An order goal's spend: the order's total as the points area recorded it with the award (its
# returns come later, as contributions of their own).
_ORDER_TOTAL = "SELECT total FROM points_order WHERE program_id = $1 AND order_id = $2"


@dataclass(frozen=True, slots=True)
class _Candidate:
    row: dict[str, Any]
    goal: rules.Goal
    member_id: int


def goal_of(row: dict[str, Any]) -> rules.Goal:
    return rules.Goal(
        kind=rules.GoalKind(row["goal_kind"]),
        target=row["target"],
        event_type=row["event_type"],
        matches=tuple(rules.Match(field, equals) for field, equals in _json(row["matches"])),
        counts_for=row["counts_for"],
    )


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def consume(event: LoggedEvent, connection: BaseDBAsyncClient, bus: MessageBus) -> None:
    """The relay consumer's handler: the event's contributions to every challenge it counts for,
    or the undoing of what its subject counted."""
    try:
        undo = undo_rules.undoing(event.type, event.payload)
        if undo is not None:
            await _undo(event, connection, bus, undo)
        else:
            await _count(event, connection, bus)
    except InvalidInput as refused:
        # A reward the ledger refuses (a balance beyond 32 bits) would stop the consumer for
        # good: the event's work is rolled back (its savepoint) and the log read on.
        log.warning("challenge progress of event %s refused: %s", event.id, refused)


async def _count(event: LoggedEvent, connection: BaseDBAsyncClient, bus: MessageBus) -> None:
    rows = await connection.execute_query_dict(
        _CANDIDATES, [event.program_id, event.type, event.occurred_at]
    )
    candidates = []
    for row in rows:
        goal = goal_of(row)
        member_id = rules.beneficiary(goal, event.type, event.member_id, event.payload)
        if member_id is not None:
            candidates.append(_Candidate(row, goal, member_id))
    if not candidates:
        return
    async with bus.unit_of_work() as uow:
        active = await _lock(uow, event, {candidate.member_id for candidate in candidates})
        for candidate in candidates:
            if candidate.member_id in active:
                await _contribute(uow, event, candidate)


async def _lock(uow: UnitOfWork, event: LoggedEvent, members: set[int]) -> set[int]:
    """Lock the members, ascending; the active ones among them."""
    locked = await uow.connection.execute_query_dict(
        _LOCK_MEMBERS, [event.program_id, sorted(members)]
    )
    return {row["id"] for row in locked if row["status"] == MemberStatus.ACTIVE}


async def _contribute(uow: UnitOfWork, event: LoggedEvent, candidate: _Candidate) -> None:
    """Count the event; a completed enrolment keeps counting, so a later return takes off what
    is left standing rather than the whole of it."""
    row, goal = candidate.row, candidate.goal
    enrolment = rules.Enrolment(row["enrolment"])
    found = await uow.connection.execute_query_dict(
        _ENROLMENT,
        [row["id"], candidate.member_id, event.occurred_at, enrolment is rules.Enrolment.AUTO],
    )
    if not found or not rules.counts(
        enrolment, found[0]["joined_at"], row["starts_at"], event.occurred_at
    ):
        return
    amount = await _amount(uow.connection, event, goal)
    contribution = (
        rules.bucket(goal, event.occurred_at, row["timezone"]),
        amount,
        1,
        undo_rules.subject_of(event.type, event.payload),
    )
    await _add(uow, event, candidate.member_id, row, goal, found[0]["id"], contribution)


async def _undo(
    event: LoggedEvent, connection: BaseDBAsyncClient, bus: MessageBus, undo: undo_rules.Undoing
) -> None:
    params = [event.program_id, undo.subject, list(undo.counted_types)]
    if not (counted := await connection.execute_query_dict(_COUNTED, params)):
        return
    async with bus.unit_of_work() as uow:
        active = await _lock(uow, event, {row["member_id"] for row in counted})
        for row in await uow.connection.execute_query_dict(_COUNTED, params):
            if row["member_id"] not in active:
                continue
            goal = goal_of(row)
            reversal = undo_rules.reversal(goal, undo, row["units"], row["amount"])
            if reversal is not None:
                units, amount = reversal
                contribution = (row["bucket"], amount, units, undo.subject)
                await _add(
                    uow, event, row["member_id"], row, goal, row["enrolment_id"], contribution
                )


async def _add(
    uow: UnitOfWork,
    event: LoggedEvent,
    member_id: int,
    challenge: dict[str, Any],
    goal: rules.Goal,
    enrolment_id: int,
    contribution: tuple[str, Decimal, int, str | None],
) -> None:
    """Store one contribution (once per event), measure progress again, complete or revert."""
    connection = uow.connection
    if not await connection.execute_query_dict(
        _CONTRIBUTE, [enrolment_id, event.id, *contribution]
    ):
        return  # this event counted already: delivered again
    buckets = await connection.execute_query_dict(_BUCKETS, [enrolment_id])
    reached = rules.progress(goal, [(b["bucket"], b["units"], b["amount"]) for b in buckets])
    [state] = await connection.execute_query_dict(_PROGRESS, [enrolment_id, reached])
    complete_now = rules.is_complete(goal, reached)
    if complete_now and not state["done"]:
        await complete(uow, event.program_id, member_id, challenge, enrolment_id)
    elif state["done"] and not complete_now:
        await revert(uow, event.program_id, member_id, challenge, enrolment_id)


async def _amount(connection: BaseDBAsyncClient, event: LoggedEvent, goal: rules.Goal) -> Decimal:
    if goal.kind is not rules.GoalKind.MONTHLY_SPEND:
        return Decimal(1)
    order = rules.order_id(event.payload)
    rows = await connection.execute_query_dict(_ORDER_TOTAL, [event.program_id, order])
    total: Decimal = rows[0]["total"] if rows else Decimal(0)
    return total


def consumer() -> WritingConsumer:
    return WritingConsumer(NAME, consume)
