"""The gift jobs. `gifts.yearly` (hourly, so each program's day is reached soon after its local
midnight, whatever its zone) claims the day's birthday and anniversary gifts, then gives what is
pending; `gifts.give` (every minute) gives the surprises and thank-yous the relay claimed.

Each pending gift is given in a unit of work of its own (giving.py); job runs that overlap both
try it, and the second, waiting on the member's lock, finds it decided and does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from tortoise import connections

from backbone.bus import MessageBus
from backbone.uow import UnitOfWork
from domain import gifts as rules
from loyalty.gifts.commands import ClaimYearlyGifts, GiveGift
from loyalty.gifts.giving import give

HOURLY = "17 * * * *"
EVERY_MINUTE = "* * * * *"
BATCH = 200

_YEARLY_SETTINGS = """
SELECT s.id, s.program_id, s.kind, p.timezone FROM gift_setting s
JOIN program p ON p.id = s.program_id
WHERE s.kind IN ('BIRTHDAY', 'ANNIVERSARY') AND s.active ORDER BY s.id
"""
_PENDING = """
SELECT id, program_id, member_id FROM gift WHERE status = 'PENDING' AND id > $1
ORDER BY id LIMIT $2
"""


@dataclass(frozen=True, slots=True)
class Report:
    claimed: int
    given: int
    skipped: int


async def give_gift(command: GiveGift, uow: UnitOfWork) -> rules.Status | None:
    async with uow:
        return await give(uow, command.program_id, command.member_id, command.gift_id)


async def give_pending(bus: MessageBus) -> Report:
    """Every pending gift, oldest first, each once in this run."""
    given = skipped = 0
    after = 0
    while True:
        rows = await connections.get("default").execute_query_dict(_PENDING, [after, BATCH])
        for row in rows:
            status = await bus.handle(
                GiveGift(
                    program_id=row["program_id"], member_id=row["member_id"], gift_id=row["id"]
                )
            )
            given += status is rules.Status.GIVEN
            skipped += status is rules.Status.SKIPPED
            after = row["id"]
        if len(rows) < BATCH:
            return Report(0, given, skipped)


async def yearly_gifts(bus: MessageBus) -> Report:
    claimed = 0
    settings = await connections.get("default").execute_query_dict(_YEARLY_SETTINGS)
    now = bus.clock.now()
    for row in settings:
        claimed += await bus.handle(
            ClaimYearlyGifts(
                program_id=row["program_id"],
                setting_id=row["id"],
                kind=rules.GiftKind(row["kind"]),
                timezone=row["timezone"],
                today=now.astimezone(ZoneInfo(row["timezone"])).date(),
            )
        )
    report = await give_pending(bus)
    return Report(claimed, report.given, report.skipped)
