"""What makes a gift due, each claimed as one PENDING `gift` row under its unique trigger (once
per program, kind, member and trigger, whoever claims it first), and what undoes one:

- WELCOME: an in-transaction reaction to `member.enrolled`, given inside the enrolment itself,
  so the member's first read after enrolling shows it.
- SURPRISE and THANK_YOU: the relay consumer `gifts.triggers`, after commit, off the award's
  path (an order costs the award no statement more). An order is decided when its points are
  spendable (domain/gift_undoing.py): at its earning, or at the activation that ends its
  return window; it is then the member's n-th order not fully returned, surprised every Nth or
  by the seeded draw (a fully returned order never is). An event of a THANK_YOU's configured
  type (`community.post_approved` by default, of a post kind) thanks its member once per post
  (once per survey response for `feedback.submitted`, once per event for other types).
  The claim's unique key makes a second delivery a no-op.
- Undoing, by the same consumer so it follows the claim in the log's order: a full return
  (`order.returned`) undoes its order's surprise, a removal or a rejection its post's thank-you
  (revoking.py), in a unit of work nested in the relay's transaction, which moves the
  consumer's cursor in the same commit.
- BIRTHDAY and ANNIVERSARY: the hourly job (jobs.py), for the day it is in each program's zone.

Claimed gifts from the relay and the job are given by the gift job within a minute (jobs.py).
"""

from __future__ import annotations

import logging

from tortoise.backends.base.client import BaseDBAsyncClient

from backbone.bus import MessageBus, WritingConsumer
from backbone.outbox import LoggedEvent
from backbone.uow import UnitOfWork
from domain import gift_undoing as undo_rules
from domain import gifts as rules
from domain.events import DomainEvent, MemberEnrolled
from domain.validation import InvalidInput
from loyalty.gifts.commands import ClaimYearlyGifts
from loyalty.gifts.giving import give
from loyalty.gifts.revoking import UNDONE_MEMBERS, undo
from loyalty.gifts.settings import SETTING, settings_of

log = logging.getLogger(__name__)

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
# The member's orders up to this one that are not fully returned: this is its n-th (unless it
# is fully returned itself).
_ORDER_NUMBER = """
SELECT count(*) FILTER (WHERE o.returned_total < o.total) AS n,
  coalesce(bool_or(o.order_id = $3 AND o.returned_total >= o.total), false) AS returned
FROM points_order o
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


async def on_logged(event: LoggedEvent, connection: BaseDBAsyncClient, bus: MessageBus) -> None:
    """The relay consumer: claims the surprises and thank-yous the event makes due, and undoes
    those whose order or post it takes away."""
    if event.member_id is None:
        return
    undoing = undo_rules.undoing(event.type, event.payload)
    if undoing is not None:
        await _undo(event, connection, bus, undoing)
    elif event.type.startswith(rules.NEVER_THANKED):
        if (order_id := undo_rules.surprise_order(event.type, event.payload)) is not None:
            await _surprise(event, connection, order_id)
    else:
        await _thank_you(event, connection)


async def _undo(
    event: LoggedEvent,
    connection: BaseDBAsyncClient,
    bus: MessageBus,
    undoing: undo_rules.Undoing,
) -> None:
    key = [event.program_id, undoing.trigger, undoing.kind.value]
    if not await connection.execute_query_dict(UNDONE_MEMBERS, key):
        return  # no gift stands on it: no unit of work, no lock
    try:
        async with bus.unit_of_work() as uow:
            await undo(uow, event.program_id, undoing)
    except InvalidInput as refused:
        # A take-back the ledger refuses (a balance beyond its bounds) would stop the consumer
        # for good: the event's work is rolled back (its savepoint) and the log read on.
        log.warning("undoing the gifts of event %s refused: %s", event.id, refused)


async def _surprise(event: LoggedEvent, connection: BaseDBAsyncClient, order_id: str) -> None:
    rows = await connection.execute_query_dict(
        _SETTINGS_OF_KIND, [event.program_id, rules.GiftKind.SURPRISE.value]
    )
    if not rows:
        return
    [counted] = await connection.execute_query_dict(
        _ORDER_NUMBER, [event.member_id, event.program_id, order_id]
    )
    if counted["returned"]:
        return  # a fully returned order is no order to thank for
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
    reference = rules.thank_you_reference(event.payload, event.id)
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


def consumer() -> WritingConsumer:
    return WritingConsumer(CONSUMER, on_logged)


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
