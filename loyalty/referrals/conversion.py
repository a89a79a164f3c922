"""Conversion and clawback: in-transaction reactions to the ledger's events (the review of a
held conversion is in review.py).

The referee's first qualifying order (an ORDER earning of at least the minimum total, within the
attribution window) converts its referral inside the award's own transaction: the fraud rules of
conversion are judged (domain.referrals.judge_conversion), then both members get their reward as
a ledger entry whose reason names the referral, or the referral is held for review or rejected,
with an audit record. Each side's catalog reward of the settings, if any, follows its points
(gifts.py). A return that leaves less than the minimum of that order (a full return always does)
takes both rewards back, the points as REVERSE entries (loyalty/points/takebacks.py), the
catalog rewards while unused. A referral whose window passed before its first qualifying order
expires (here at a late order, or by the expiry job: expiry.py).

Lock order: the award or return already holds the referee's member lock; the referrer's is
taken next. When the referrer's id is lower this inverts the ascending order of
backbone/locks.py: a concurrent write holding the referrer that then waits for the referee
would deadlock with it. PostgreSQL breaks such a deadlock by aborting one side and the bus runs
that whole write again (backbone/locks.py `with_retries`), so both still commit once; no write
of one member waits for another member's lock except these, so the cycle is rare. Granting the
referrer in the same transaction keeps the conversion all-or-nothing: both rewards or none.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from backbone.uow import UnitOfWork
from domain.events import (
    DomainEvent,
    PointsEarned,
    PointsReversed,
    ReferralConverted,
    ReferralExpired,
    ReferralHeld,
    ReferralRejected,
    ReferralReversed,
)
from domain.ledger import ExplanationLine, earn
from domain.referrals import Settings, Status, Verdict, judge_conversion, qualifies
from loyalty.models import Program
from loyalty.points.account import open_account
from loyalty.points.takebacks import take_back
from loyalty.programs import ProgramRef, ref
from loyalty.referrals import store
from loyalty.referrals.gifts import grant_gifts, take_back_gifts

SYSTEM_ACTOR = "system"
REASON_CODE = "REFERRAL"

_PENDING = """
SELECT id, referrer_id, referee_id, attributed_at FROM referral
WHERE referee_id = $1 AND status = 'PENDING' FOR UPDATE
"""
_ORDER_TOTAL = "SELECT total FROM points_order WHERE program_id = $1 AND order_id = $2"
_REFERRER = "SELECT status FROM member WHERE id = $1 FOR NO KEY UPDATE"
_COUNTS = """
SELECT count(*) FILTER (WHERE converted_at >= $2) AS in_period, count(*) AS lifetime
FROM referral WHERE referrer_id = $1 AND status IN ('CONVERTED', 'REVERSED') AND id <> $3
"""
SET_STATUS = """
UPDATE referral SET status = $2::text, hold_rule = $3::text,
  order_id = COALESCE($4::text, order_id),
  ended_at = CASE WHEN $2::text IN ('REJECTED', 'EXPIRED', 'REVERSED') THEN $5 ELSE ended_at END
WHERE id = $1
"""
_CONVERTED = """
UPDATE referral SET status = 'CONVERTED', order_id = $2, referrer_points = $3,
  referee_points = $4, referrer_entry_id = $5, referee_entry_id = $6, converted_at = $7
WHERE id = $1
"""
_OF_ORDER = """
SELECT r.id, r.referrer_id, r.referee_id, r.status, r.referrer_points, r.referee_points,
  r.referrer_redemption_id, r.referee_redemption_id, r.referrer_reward_outcome,
  r.referee_reward_outcome, o.total, o.returned_total
FROM referral r JOIN points_order o ON o.program_id = r.program_id AND o.order_id = r.order_id
WHERE r.program_id = $1 AND r.order_id = $2 AND r.status IN ('CONVERTED', 'HELD')
FOR UPDATE OF r
"""


def _order_of(event: PointsEarned | PointsReversed) -> str | None:
    source = event.source_ref or ""
    return source.removeprefix("order:") if source.startswith("order:") else None


async def _program(uow: UnitOfWork, program_id: int) -> ProgramRef:
    return ref(await Program.get(id=program_id, using_db=uow.connection))


async def on_earned(event: DomainEvent, uow: UnitOfWork) -> None:
    assert isinstance(event, PointsEarned)
    order_id = _order_of(event)
    if event.reason_code != "ORDER" or order_id is None:
        return
    connection = uow.connection
    pending = await connection.execute_query_dict(_PENDING, [event.member_id])
    if not pending:
        return
    referral = pending[0]
    settings = await store.load_settings(connection, event.program_id)
    if settings is None:
        return
    now = uow.now()
    if now > referral["attributed_at"] + timedelta(days=settings.window_days):
        # Past the window, before the expiry job reached it: expired, never converted.
        await connection.execute_query_dict(
            SET_STATUS, [referral["id"], Status.EXPIRED.value, None, None, now]
        )
        uow.record(
            ReferralExpired(
                program_id=event.program_id,
                member_id=referral["referee_id"],
                referral_id=referral["id"],
                referrer_id=referral["referrer_id"],
            )
        )
        return
    [order] = await connection.execute_query_dict(_ORDER_TOTAL, [event.program_id, order_id])
    if not qualifies(Decimal(order["total"]), settings):
        return  # not yet: a later order may qualify
    referrer_id = referral["referrer_id"]
    [referrer] = await connection.execute_query_dict(_REFERRER, [referrer_id])
    [counts] = await connection.execute_query_dict(
        _COUNTS, [referrer_id, now - timedelta(days=settings.velocity_days), referral["id"]]
    )
    verdict, rule = judge_conversion(
        settings,
        referrer_active=referrer["status"] == "ACTIVE",
        in_period=counts["in_period"],
        lifetime=counts["lifetime"],
    )
    if verdict is Verdict.VALID:
        await grant(uow, event.program_id, referral, order_id, settings)
        return
    assert rule is not None
    status = Status.HELD if verdict is Verdict.SUSPICIOUS else Status.REJECTED
    await connection.execute_query_dict(
        SET_STATUS, [referral["id"], status.value, rule.value, order_id, now]
    )
    await store.audit(
        connection,
        event.program_id,
        rule=rule.value,
        verdict=verdict.value,
        actor=SYSTEM_ACTOR,
        at=now,
        referral_id=referral["id"],
        referrer_id=referrer_id,
        referee_id=referral["referee_id"],
    )
    kind = ReferralHeld if status is Status.HELD else ReferralRejected
    uow.record(
        kind(
            program_id=event.program_id,
            member_id=referral["referee_id"],
            referral_id=referral["id"],
            referrer_id=referrer_id,
            rule=rule.value,
        )
    )


async def _reward(
    uow: UnitOfWork, program: ProgramRef, key: int, member_id: int, points: int, label: str
) -> int | None:
    """One EARN entry of `points` for the member (locked here if it is not yet), spendable at
    once; None for no points."""
    if points <= 0:
        return None
    account = await open_account(uow, program.id, member_id=member_id, actor=SYSTEM_ACTOR)
    assert account is not None
    await account.settle_due()
    expires_at = program.points.expiry.expires_at(account.now, program.timezone)
    posting = earn(
        account.balance,
        points,
        lines=(ExplanationLine(REASON_CODE, label, points),),
        activates_at=None,
        expires_at=expires_at,
    )
    posted = await account.post(
        posting, reason_code=REASON_CODE, reason=label, source_ref=f"referral:{key}"
    )
    return posted.entry_id


async def grant(
    uow: UnitOfWork, program_id: int, referral: dict[str, Any], order_id: str, settings: Settings
) -> None:
    program = await _program(uow, program_id)
    key = referral["id"]
    referee_entry = await _reward(
        uow,
        program,
        key,
        referral["referee_id"],
        settings.referee_points,
        f"Referral {key}: welcome reward for joining through a referral",
    )
    referrer_entry = await _reward(
        uow,
        program,
        key,
        referral["referrer_id"],
        settings.referrer_points,
        f"Referral {key}: reward for referring a new member",
    )
    await grant_gifts(uow, program, referral, settings)
    await uow.connection.execute_query_dict(
        _CONVERTED,
        [
            key, order_id, settings.referrer_points, settings.referee_points,
            referrer_entry, referee_entry, uow.now(),
        ],
    )  # fmt: skip
    uow.record(
        ReferralConverted(
            program_id=program_id,
            member_id=referral["referee_id"],
            referral_id=key,
            referrer_id=referral["referrer_id"],
            referrer_points=settings.referrer_points,
            referee_points=settings.referee_points,
        )
    )


async def _take_back(
    uow: UnitOfWork, program: ProgramRef, key: int, member_id: int, points: int, label: str
) -> None:
    await take_back(
        uow,
        program,
        member_id,
        points,
        reason_code=REASON_CODE,
        label=label,
        source_ref=f"referral:{key}",
    )


async def on_reversed(event: DomainEvent, uow: UnitOfWork) -> None:
    assert isinstance(event, PointsReversed)
    order_id = _order_of(event)
    if event.reason_code != "RETURN" or order_id is None:
        return
    rows = await uow.connection.execute_query_dict(_OF_ORDER, [event.program_id, order_id])
    if not rows:
        return
    referral = rows[0]
    settings = await store.load_settings(uow.connection, event.program_id)
    if settings is None:
        return
    left = Decimal(referral["total"]) - Decimal(referral["returned_total"])
    if left > 0 and qualifies(left, settings):
        return
    now = uow.now()
    key = referral["id"]
    if referral["status"] == Status.HELD.value:
        await uow.connection.execute_query_dict(
            SET_STATUS, [key, Status.REJECTED.value, None, None, now]
        )
        return
    program = await _program(uow, event.program_id)
    await _take_back(
        uow,
        program,
        key,
        referral["referee_id"],
        referral["referee_points"],
        f"Referral {key}: welcome reward taken back, order {order_id} returned",
    )
    await _take_back(
        uow,
        program,
        key,
        referral["referrer_id"],
        referral["referrer_points"],
        f"Referral {key}: reward taken back, the referred order {order_id} was returned",
    )
    await take_back_gifts(uow, referral)
    await uow.connection.execute_query_dict(
        SET_STATUS, [key, Status.REVERSED.value, None, None, now]
    )
    uow.record(
        ReferralReversed(
            program_id=event.program_id,
            member_id=referral["referee_id"],
            referral_id=key,
            referrer_id=referral["referrer_id"],
        )
    )
