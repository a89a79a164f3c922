"""The hold-expiry job: releases every checkout hold past its expiry, each exactly once.

Due holds are found through a partial index of only the held redemptions; each member is handled
by its own command in its own unit of work, in ascending member order, its lock taken with SKIP
LOCKED (holds.release_expired_holds). Two workers, or a worker and a manual `loyalty jobs run`,
may overlap: a member one of them holds is passed over by the other, and each hold leaves HELD
by a conditional UPDATE, so none is released twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from tortoise import connections

from backbone.bus import MessageBus
from loyalty.rewards.commands import ReleaseExpiredHolds

log = logging.getLogger(__name__)

BATCH = 200
_DUE = """
SELECT DISTINCT member_id, program_id FROM reward_redemption
WHERE status = 'HELD' AND hold_expires_at <= $1 AND member_id > $3
ORDER BY member_id LIMIT $2
"""


@dataclass(frozen=True, slots=True)
class HoldsReport:
    members: int
    released: int
    failed: int = 0
    skipped: int = 0


async def release_due(bus: MessageBus) -> HoldsReport:
    now = bus.clock.now()
    members = released = failed = skipped = 0
    after = 0
    while due := await connections.get("default").execute_query_dict(_DUE, [now, BATCH, after]):
        for row in due:
            after = row["member_id"]
            try:
                count = await bus.handle(ReleaseExpiredHolds(row["program_id"], after))
            except Exception:
                log.exception("could not release the holds of member %s; passed over", after)
                failed += 1
                continue
            if count is None:
                skipped += 1
                continue
            members += 1
            released += count
    return HoldsReport(members, released, failed, skipped)
