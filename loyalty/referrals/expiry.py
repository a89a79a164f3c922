"""The expiry of stale referrals: a PENDING referral whose attribution window passed without a
qualifying order becomes EXPIRED, with a `referral.expired` event.

Set-based and bounded: each batch is one unit of work whose one statement finds up to BATCH due
referrals (program by program, through the partial index of pending referrals) and ends them.
Rows another write holds are passed over with SKIP LOCKED: an award converting or expiring that
referral holds it, and decides itself. The conditional `status = 'PENDING'` makes a referral
expire once, however many workers or `loyalty jobs run` overlap. An order arriving after the
window never converts, whether this job reached the referral first or not
(conversion.on_earned expires it then).
"""

from __future__ import annotations

from dataclasses import dataclass

from backbone.bus import Command, MessageBus
from backbone.uow import UnitOfWork
from domain.events import ReferralExpired

BATCH = 500
HOURLY = "41 * * * *"

_EXPIRE = """
WITH due AS (
  SELECT r.id FROM referral_settings s
  CROSS JOIN LATERAL (
    SELECT r.id FROM referral r
    WHERE r.program_id = s.program_id AND r.status = 'PENDING'
      AND r.attributed_at < $1::timestamptz - make_interval(days => s.window_days)
    ORDER BY r.attributed_at LIMIT $2
  ) r
  LIMIT $2
), locked AS (
  SELECT r.id FROM referral r JOIN due ON due.id = r.id
  WHERE r.status = 'PENDING' FOR UPDATE OF r SKIP LOCKED
)
UPDATE referral r SET status = 'EXPIRED', ended_at = $1 FROM locked WHERE r.id = locked.id
RETURNING r.id, r.program_id, r.referrer_id, r.referee_id
"""


@dataclass(frozen=True, slots=True)
class ExpireReferrals(Command[int]):
    """One batch of the expiry job: how many referrals it expired (at most `limit`)."""

    limit: int


async def expire_batch(command: ExpireReferrals, uow: UnitOfWork) -> int:
    async with uow:
        rows = await uow.connection.execute_query_dict(_EXPIRE, [uow.now(), command.limit])
        for row in rows:
            uow.record(
                ReferralExpired(
                    program_id=row["program_id"],
                    member_id=row["referee_id"],
                    referral_id=row["id"],
                    referrer_id=row["referrer_id"],
                )
            )
    return len(rows)


async def expire_due(bus: MessageBus) -> int:
    """Every due referral, batch after batch, until a batch finds fewer than it may take."""
    expired = 0
    while True:
        count = await bus.handle(ExpireReferrals(BATCH))
        expired += count
        if count < BATCH:
            return expired
