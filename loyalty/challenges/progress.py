"""Challenge progress from the event log: a relay consumer, after commit, exactly once.

For each event the relay delivers, the program's active challenges reading its type within
their window are looked up (one indexed statement; most events match none and cost nothing
more). For each challenge the event counts toward (domain/challenges.py decides, and for whom),
the members concerned are locked in ascending order (backbone/locks.py), the event is stored as
a contribution of the member's enrolment (unique per enrolment and event id: an event delivered
again counts once), progress is measured again from the contributions, and a goal reached
completes the enrolment: `completed_at` is set only where it was null, so exactly one
transaction completes it, and that one counts the completion on the challenge, grants the
points through the ledger's writer and the badge (unique per member and badge), and records
`challenge.completed` / `badge.awarded`. All of it happens in a unit of work nested in the
relay's transaction, which moves the consumer's cursor in the same commit.
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
from domain import challenges as rules
from domain.events import BadgeAwarded, ChallengeCompleted
from domain.ledger import ExplanationLine, earn
from domain.members import MemberStatus
from domain.validation import InvalidInput
from loyalty.models import Program
from loyalty.points.account import SYSTEM_ACTOR, open_account
from loyalty.programs import ref

log = logging.getLogger(__name__)

NAME = "challenges.progress"
REASON_CODE = "CHALLENGE"

_CANDIDATES = """
SELECT c.id, c.name, c.goal_kind, c.target, c.event_type, c.matches, c.counts_for, c.starts_at,
  c.ends_at, c.enrolment, c.reward_points, c.badge_id, p.timezone
FROM challenge c JOIN program p ON p.id = c.program_id
WHERE c.program_id = $1 AND c.event_type = $2 AND c.active AND c.starts_at <= $3 AND c.ends_at > $3
ORDER BY c.id
"""
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
  RETURNING id, joined_at, completed_at
)
SELECT id, joined_at, completed_at FROM added
UNION ALL
SELECT id, joined_at, completed_at FROM challenge_enrolment WHERE challenge_id = $1 AND member_id = $2
"""
_CONTRIBUTE = """
INSERT INTO challenge_contribution (challenge_enrolment_id, event_id, bucket, amount)
VALUES ($1, $2, $3, $4) ON CONFLICT (challenge_enrolment_id, event_id) DO NOTHING RETURNING id
"""
_BUCKETS = """
SELECT bucket, count(*) AS count, sum(amount) AS amount FROM challenge_contribution
WHERE challenge_enrolment_id = $1 GROUP BY bucket
"""
_PROGRESS = "UPDATE challenge_enrolment SET progress = $2 WHERE id = $1"
_COMPLETE = """
UPDATE challenge_enrolment SET completed_at = $2 WHERE id = $1 AND completed_at IS NULL
RETURNING id
"""
_COUNT_COMPLETION = "UPDATE challenge SET completions = completions + 1 WHERE id = $1"
_AWARD_BADGE = """
INSERT INTO member_badge (member_id, badge_id, challenge_id, awarded_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (member_id, badge_id) DO NOTHING RETURNING id
"""
# An order goal's spend: the order's total as the points area recorded it with the award.
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
    """The relay consumer's handler: the event's contributions to every challenge it counts for."""
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
    try:
        async with bus.unit_of_work() as uow:
            members = sorted({candidate.member_id for candidate in candidates})
            locked = await uow.connection.execute_query_dict(
                _LOCK_MEMBERS, [event.program_id, members]
            )
            active = {row["id"] for row in locked if row["status"] == MemberStatus.ACTIVE}
            for candidate in candidates:
                if candidate.member_id in active:
                    await _contribute(uow, event, candidate)
    except InvalidInput as refused:
        # A reward the ledger refuses (a balance beyond 32 bits) would stop the consumer for
        # good: the event's work is rolled back (its savepoint) and the log read on.
        log.warning("challenge progress of event %s refused: %s", event.id, refused)


async def _contribute(uow: UnitOfWork, event: LoggedEvent, candidate: _Candidate) -> None:
    row, goal = candidate.row, candidate.goal
    enrolment = rules.Enrolment(row["enrolment"])
    connection = uow.connection
    found = await connection.execute_query_dict(
        _ENROLMENT,
        [row["id"], candidate.member_id, event.occurred_at, enrolment is rules.Enrolment.AUTO],
    )
    if not found or found[0]["completed_at"] is not None:
        return
    if not rules.counts(enrolment, found[0]["joined_at"], row["starts_at"], event.occurred_at):
        return
    enrolment_id = found[0]["id"]
    amount = await _amount(connection, event, goal)
    bucket = rules.bucket(goal, event.occurred_at, row["timezone"])
    if not await connection.execute_query_dict(
        _CONTRIBUTE, [enrolment_id, event.id, bucket, amount]
    ):
        return  # this event counted already: delivered again
    buckets = await connection.execute_query_dict(_BUCKETS, [enrolment_id])
    reached = rules.progress(goal, [(b["bucket"], b["count"], b["amount"]) for b in buckets])
    await connection.execute_query_dict(_PROGRESS, [enrolment_id, reached])
    if rules.is_complete(goal, reached):
        await _complete(uow, event.program_id, candidate, enrolment_id)


async def _amount(connection: BaseDBAsyncClient, event: LoggedEvent, goal: rules.Goal) -> Decimal:
    if goal.kind is not rules.GoalKind.MONTHLY_SPEND:
        return Decimal(1)
    order = rules.order_id(event.payload)
    rows = await connection.execute_query_dict(_ORDER_TOTAL, [event.program_id, order])
    total: Decimal = rows[0]["total"] if rows else Decimal(0)
    return total


async def _complete(
    uow: UnitOfWork, program_id: int, candidate: _Candidate, enrolment_id: int
) -> None:
    row, member_id = candidate.row, candidate.member_id
    now = uow.now()
    if not await uow.connection.execute_query_dict(_COMPLETE, [enrolment_id, now]):
        return
    await uow.connection.execute_query_dict(_COUNT_COMPLETION, [row["id"]])
    uow.record(
        ChallengeCompleted(
            program_id=program_id,
            member_id=member_id,
            challenge_id=row["id"],
            reward_points=row["reward_points"],
            badge_id=row["badge_id"],
        )
    )
    if row["reward_points"] > 0:
        await _grant_points(uow, program_id, member_id, row)
    if row["badge_id"] is not None and await uow.connection.execute_query_dict(
        _AWARD_BADGE, [member_id, row["badge_id"], row["id"], now]
    ):
        uow.record(
            BadgeAwarded(
                program_id=program_id,
                member_id=member_id,
                badge_id=row["badge_id"],
                challenge_id=row["id"],
            )
        )


async def _grant_points(
    uow: UnitOfWork, program_id: int, member_id: int, row: dict[str, Any]
) -> None:
    """The reward as one EARN entry through the ledger's writer, spendable at once."""
    program = ref(await Program.get(id=program_id, using_db=uow.connection))
    account = await open_account(uow, program_id, member_id=member_id, actor=SYSTEM_ACTOR)
    assert account is not None
    await account.settle_due()
    points = row["reward_points"]
    label = f"Challenge completed: {row['name']}"
    posting = earn(
        account.balance,
        points,
        lines=(ExplanationLine(REASON_CODE, label, points),),
        activates_at=None,
        expires_at=program.points.expiry.expires_at(account.now, program.timezone),
    )
    await account.post(
        posting, reason_code=REASON_CODE, reason=label, source_ref=f"challenge:{row['id']}"
    )


def consumer() -> WritingConsumer:
    return WritingConsumer(NAME, consume)
