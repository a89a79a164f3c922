"""Reading points: balances, the ledger newest first, and what expires soon. Batched by member
so a page of members costs one query per kind of data, not one per member. The two status reads
are plain SQL through Tortoise's own connection: they are the API's hottest path, and the ORM's
query building cost several times the database's own work here."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tortoise import connections

from loyalty.points.models import PointsBalance, PointsEntry

_BALANCES = """
SELECT id, member_id, program_id, available, pending, debt, lifetime_earned, updated_at
FROM points_balance WHERE member_id = ANY($1::bigint[])
"""
_EXPIRING = """
SELECT member_id, expires_at, SUM(remaining)::bigint AS points FROM points_lot
WHERE member_id = ANY($1::bigint[]) AND status = 'ACTIVE' AND remaining > 0
  AND expires_at > $2 AND expires_at <= $3
GROUP BY member_id, expires_at ORDER BY member_id, expires_at
"""


@dataclass(frozen=True, slots=True)
class Expiring:
    points: int
    expires_at: datetime


async def balances(member_ids: Sequence[int]) -> dict[int, PointsBalance]:
    rows = await connections.get("default").execute_query_dict(_BALANCES, [list(member_ids)])
    return {row["member_id"]: PointsBalance._init_from_db(**row) for row in rows}


async def expiring(
    member_ids: Sequence[int], *, now: datetime, until: datetime
) -> dict[int, list[Expiring]]:
    """Spendable points that will expire before `until`, summed per expiry instant, soonest first."""
    rows = await connections.get("default").execute_query_dict(
        _EXPIRING, [list(member_ids), now, until]
    )
    found: dict[int, list[Expiring]] = defaultdict(list)
    for row in rows:
        found[row["member_id"]].append(Expiring(row["points"], row["expires_at"]))
    return found


async def ledger_page(member_id: int, *, before_id: int | None, limit: int) -> list[PointsEntry]:
    """A keyset page of a member's entries, newest first."""
    query = PointsEntry.filter(member_id=member_id)
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    return await query.order_by("-id").limit(limit)
