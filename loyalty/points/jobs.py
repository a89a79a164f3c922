"""Settlement: activate pending points whose return window ended, expire lapsed points.

Run by the job queue (backbone/jobs.py). The due members are found through partial indexes of
only the lots that can still activate or expire, ordered by the time they fall due, so a run
reads what is due and nothing else, however long the history. Each member is settled by its own
command in its own unit of work under its lock, taken with SKIP LOCKED: a member whose lock a
request holds is passed over, because that request settles it first. Runs may overlap (two
workers, a manual `loyalty jobs run`) without doing anything twice; a member that cannot be
settled is logged and passed over, so one bad row never stalls everyone else's expiry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from tortoise import connections

from backbone.bus import MessageBus
from backbone.uow import UnitOfWork
from domain.ledger import EntryKind
from loyalty.points.account import SYSTEM_ACTOR, open_account
from loyalty.points.commands import SettleMember

log = logging.getLogger(__name__)

BATCH = 200

# Each branch is a range scan of its partial index (migration 0007).
_DUE = """
SELECT member_id, program_id FROM (
  SELECT member_id, program_id FROM points_lot
  WHERE status = 'PENDING' AND remaining > 0 AND activates_at <= $1 AND member_id > $3
  UNION
  SELECT member_id, program_id FROM points_lot
  WHERE status = 'ACTIVE' AND remaining > 0 AND expires_at <= $1 AND member_id > $3
) due ORDER BY member_id LIMIT $2
"""


@dataclass(frozen=True, slots=True)
class JobReport:
    members: int
    activated: int
    expired: int
    failed: int = 0
    skipped: int = 0


async def run_due(bus: MessageBus) -> JobReport:
    """Settle every member with due lots as of now (the bus's clock, which each settlement
    reads too), in member order; returns what was done."""
    now = bus.clock.now()
    members = activated = expired = failed = skipped = 0
    after = 0
    while due := await connections.get("default").execute_query_dict(_DUE, [now, BATCH, after]):
        for row in due:
            after = row["member_id"]
            try:
                kinds = await bus.handle(SettleMember(row["program_id"], after))
            except Exception:
                log.exception("could not settle points of member %s; passed over", after)
                failed += 1
                continue
            if kinds is None:
                skipped += 1
                continue
            members += 1
            activated += kinds.count(EntryKind.ACTIVATE)
            expired += kinds.count(EntryKind.EXPIRE)
    return JobReport(members, activated, expired, failed, skipped)


async def settle_member(command: SettleMember, uow: UnitOfWork) -> list[str] | None:
    """One member's due points, under the member's lock: all that is due when the lock is
    held, which may be more than when the run found the member."""
    async with uow:
        account = await open_account(
            uow,
            command.program_id,
            member_id=command.member_id,
            actor=SYSTEM_ACTOR,
            skip_locked=True,
        )
        if account is None:
            return None
        await account.settle_due()
    return [posted.kind for posted in account.posted]
