"""Background work: activate pending points whose return window ended, expire lapsed points.

Each member is settled in its own transaction under its balance lock, so runs may overlap (two
workers, a manual `loyalty jobs run`) without doing anything twice. A member that cannot be
settled is logged and passed over, so one bad row never stalls everyone else's expiry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from tortoise import connections
from tortoise.transactions import in_transaction

from domain.clock import Clock
from domain.ledger import EntryKind
from loyalty.locks import retried
from loyalty.points.account import SYSTEM_ACTOR, open_account

log = logging.getLogger(__name__)

BATCH = 200

_DUE = """
SELECT DISTINCT member_id, program_id FROM points_lot
WHERE member_id > $3 AND remaining > 0 AND (
  (status = 'PENDING' AND activates_at <= $1) OR (status = 'ACTIVE' AND expires_at <= $1)
)
ORDER BY member_id LIMIT $2
"""


@dataclass(frozen=True, slots=True)
class JobReport:
    members: int
    activated: int
    expired: int
    failed: int = 0


async def run_due(clock: Clock) -> JobReport:
    """Settle every member with due lots as of now, in member order; returns what was done."""
    now = clock.now()
    members = activated = expired = failed = 0
    after = 0
    while due := await connections.get("default").execute_query_dict(_DUE, [now, BATCH, after]):
        for row in due:
            after = row["member_id"]
            try:
                kinds = await _settle(row["program_id"], after, clock)
            except Exception:
                log.exception("could not settle points of member %s; passed over", after)
                failed += 1
                continue
            members += 1
            activated += kinds.count(EntryKind.ACTIVATE)
            expired += kinds.count(EntryKind.EXPIRE)
    return JobReport(members, activated, expired, failed)


@retried
async def _settle(program_id: int, member_id: int, clock: Clock) -> list[EntryKind]:
    """One member's due points, in its own transaction under the member's lock: all that is due
    when the lock is held, which may be more than when the run found the member."""
    async with in_transaction() as connection:
        account = await open_account(
            connection, program_id, member_id=member_id, actor=SYSTEM_ACTOR, clock=clock
        )
        await account.settle_due()
    return [posted.kind for posted in account.posted]
