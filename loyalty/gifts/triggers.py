"""What makes a gift due, each claimed as one PENDING `gift` row under its unique trigger (once
per program, kind, member and trigger, whoever claims it first):

- WELCOME: an in-transaction reaction to `member.enrolled`, given inside the enrolment itself,
  so the member's first read after enrolling shows it.
- SURPRISE and THANK_YOU: the relay consumer `gifts.triggers`, after commit, off the award's
  path (an order costs the award no statement more): an ORDER earning of a member is its n-th
  order, surprised every Nth or by the seeded draw; an event of a THANK_YOU's configured type
  (`community.post_approved` by default, of a post kind) thanks its member once per post. The
  relay gives each event once; the claim's unique key would make a second delivery a no-op.
- BIRTHDAY and ANNIVERSARY: the hourly job (jobs.py), for the day it is in each program's zone.

Claimed gifts from the relay and the job are given by the gift job within a minute (jobs.py).
"""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient

from backbone.outbox import LoggedEvent
from backbone.relay import Consumer
from backbone.uow import UnitOfWork
from domain import gifts as rules
from domain.events import DomainEvent, MemberEnrolled
from loyalty.gifts.commands import ClaimYearlyGifts
from loyalty.gifts.giving import give
from loyalty.gifts.settings import SETTING, settings_of

CONSUMER = "gifts.triggers"

_CLAIM_WELCOME = """
INSERT INTO gift (program_id, setting_id, kind, member_id, trigger, status, points, created_at)
SELECT s.program_id, s.id, s.kind, $2, $3, 'PENDING', 0, $4 FROM gift_setting s
WHERE s.program_id = $1 AND s.kind = 'WELCOME' AND s.active
ON CONFLICT (program_id, kind, member_id, trigger) DO NOTHING RETURNING id
"""
_CLAIM = """
INSERT INTO gift (program_id, setting_id, kind, member_id, trigger, occasion, status, points,
  created_at)
VALUES ($1, $2, $3, $4, $5, $6, 'PENDING', 0, $7)
ON CONFLICT (program_id, kind, member_id, trigger) DO NOTHING
"""
_SETTINGS_OF_KIND = f"""
SELECT s.id, {SETTING} FROM gift_setting s
WHERE s.program_id = $1 AND s.kind = $2 AND s.active
"""  # noqa: S608 - a constant column list
# The member's orders up to this one: this is its n-th.
_ORDER_NUMBER = """
SELECT count(*) AS n FROM points_order o
WHERE o.member_id = $1
  AND o.id <= (SELECT id FROM points_order WHERE program_id = $2 AND order_id = $3)
"""
_CLAIM_BIRTHDAYS = """
INSERT INTO gift (program_id, setting_id, kind, member_id, trigger, status, points, created_at)
SELECT $1, $2, 'BIRTHDAY', m.id, $3, 'PENDING', 0, $5 FROM member m
WHERE m.program_id = $1 AND m.status = 'ACTIVE' AND to_char(m.birthday, 'MM-DD') = ANY($4)
ON CONFLICT (program_id, kind, member_id, trigger) DO NOTHING RETURNING id
"""
# The day a member enrolled, in the program's zone; anniversaries from the next year on.
_CLAIM_ANNIVERSARIES = """
INSERT INTO gift (program_id, setting_id, kind, member_id, trigger, occasion, status, points,
  created_at)
SELECT $1, $2, 'ANNIVERSARY', m.id, $3, $6 - extract(year FROM e.day)::int, 'PENDING', 0, $5
FROM member m CROSS JOIN LATERAL (SELECT (m.created_at AT TIME ZONE $7)::date AS day) e
WHERE m.program_id = $1 AND m.status = 'ACTIVE' AND to_char(e.day, 'MM-DD') = ANY($4)
  AND extract(year FROM e.day)::int < $6
ON CONFLICT (program_id, kind, member_id, trigger) DO NOTHING RETURNING id
"""


async def on_enrolled(event: DomainEvent, uow: UnitOfWork) -> None:
    """The welcome gift, given in the enrolment's own transaction (one statement when none)."""
    assert isinstance(event, MemberEnrolled)
    trigger = rules.trigger(rules.GiftKind.WELCOME)
    rows = await uow.connection.execute_query_dict(
        _CLAIM_WELCOME, [event.program_id, event.member_id, trigger, uow.now()]
    )
    if rows:
        await give(uow, event.program_id, event.member_id, rows[0]["id"])


async def on_logged(event: LoggedEvent, connection: BaseDBAsyncClient) -> None:
    """The relay consumer: claims the surprises and thank-yous the event makes due."""
    if event.member_id is None:
        return
    if event.type == "points.earned":
        await _surprise(event, connection)
    elif not event.type.startswith(("points.", "gift.")):
        await _thank_you(event, connection)


async def _surprise(event: LoggedEvent, connection: BaseDBAsyncClient) -> None:
    source = str(event.payload.get("sourceRef") or "")
    if event.payload.get("reasonCode") != "ORDER" or not source.startswith("order:"):
        return
    rows = await connection.execute_query_dict(
        _SETTINGS_OF_KIND, [event.program_id, rules.GiftKind.SURPRISE.value]
    )
    if not rows:
        return
    order_id = source.removeprefix("order:")
    [counted] = await connection.execute_query_dict(
        _ORDER_NUMBER, [event.member_id, event.program_id, order_id]
    )
    trigger = rules.trigger(rules.GiftKind.SURPRISE, reference=order_id)
    if rules.surprise_due(settings_of(rows[0]), order_number=counted["n"], order_trigger=trigger):
        await _claim(
            connection, event, rows[0]["id"], rules.GiftKind.SURPRISE, trigger, counted["n"]
        )


async def _thank_you(event: LoggedEvent, connection: BaseDBAsyncClient) -> None:
    rows = await connection.execute_query_dict(
        _SETTINGS_OF_KIND, [event.program_id, rules.GiftKind.THANK_YOU.value]
    )
    if not rows or not rules.thanks_for(
        settings_of(rows[0]), event_type=event.type, post_kind=event.payload.get("kind")
    ):
        return
    post = event.payload.get("postId")
    reference = f"post:{post}" if post is not None else f"event:{event.id}"
    trigger = rules.trigger(rules.GiftKind.THANK_YOU, reference=reference)
    await _claim(connection, event, rows[0]["id"], rules.GiftKind.THANK_YOU, trigger, None)


async def _claim(
    connection: BaseDBAsyncClient,
    event: LoggedEvent,
    setting_id: int,
    kind: rules.GiftKind,
    trigger: str,
    occasion: int | None,
) -> None:
    await connection.execute_query_dict(
        _CLAIM,
        [
            event.program_id, setting_id, kind.value, event.member_id, trigger, occasion,
            event.occurred_at,
        ],
    )  # fmt: skip


def consumer() -> Consumer:
    return Consumer(CONSUMER, on_logged)


async def claim_yearly(command: ClaimYearlyGifts, uow: UnitOfWork) -> int:
    """Today's birthdays or anniversaries of one program, claimed in one statement."""
    today = command.today
    days = rules.days_celebrated(today)
    trigger = rules.trigger(command.kind, year=today.year)
    async with uow:
        base = [command.program_id, command.setting_id, trigger, days, uow.now()]
        if command.kind is rules.GiftKind.BIRTHDAY:
            rows = await uow.connection.execute_query_dict(_CLAIM_BIRTHDAYS, base)
        else:
            rows = await uow.connection.execute_query_dict(
                _CLAIM_ANNIVERSARIES, [*base, today.year, command.timezone]
            )
    return len(rows)
