"""Reading points: balances, the ledger newest first, and what expires soon. Batched by member
so a page of members costs one query per kind of data, not one per member. The two status reads
are plain SQL through Tortoise's own connection: they are the API's hottest path, and the ORM's
query building cost several times the database's own work here."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise import connections

from domain.ledger import Balance, Lot, LotStatus
from domain.settlement import settled
from loyalty.points.models import PointsEntry, PointsOrderReturn

# Each balance with its lots that are due by now but not yet settled (usually none).
DUE_LOTS = """(
  SELECT json_agg(json_build_object('id', l.id, 'remaining', l.remaining, 'status', l.status,
    'activates_at', l.activates_at, 'expires_at', l.expires_at, 'expired', l.expired))
  FROM points_lot l
  WHERE l.member_id = b.member_id AND l.remaining > 0
    AND ((l.status = 'PENDING' AND l.activates_at <= $2) OR (l.status = 'ACTIVE' AND l.expires_at <= $2))
)"""
_BALANCES = f"""
SELECT b.member_id, b.available, b.pending, b.debt, b.lifetime_earned, b.held, {DUE_LOTS} AS due
FROM points_balance b WHERE b.member_id = ANY($1::bigint[])
"""  # noqa: S608 - DUE_LOTS is a constant fragment, not input
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


async def balances(member_ids: Sequence[int], *, now: datetime) -> dict[int, Balance]:
    """Members' points as they stand at `now`: what is due is shown as done, even before the
    job or the member's next write records it, so expired points never look spendable."""
    rows = await connections.get("default").execute_query_dict(_BALANCES, [list(member_ids), now])
    return {row["member_id"]: settled_balance(row, now) for row in rows}


def settled_balance(row: dict[str, Any], now: datetime) -> Balance:
    """A balance row and its due lots (as selected with DUE_LOTS) settled at `now`."""
    recorded = Balance(
        row["available"], row["pending"], row["debt"], row["lifetime_earned"], row["held"]
    )
    due = json.loads(row["due"]) if row["due"] else []
    return settled(recorded, [_due_lot(lot) for lot in due], now)


def _due_lot(lot: dict[str, Any]) -> Lot:
    return Lot(
        lot["id"],
        lot["remaining"],
        LotStatus(lot["status"]),
        datetime.fromisoformat(lot["activates_at"]) if lot["activates_at"] else None,
        datetime.fromisoformat(lot["expires_at"]) if lot["expires_at"] else None,
        lot["expired"],
    )


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


async def entries(program_id: int, entry_ids: Sequence[int]) -> dict[int, PointsEntry]:
    """Entries by id, only those of the program: another tenant's ids find nothing."""
    found = await PointsEntry.filter(program_id=program_id, id__in=list(entry_ids))
    return {entry.id: entry for entry in found}


async def return_ids(entry_ids: Sequence[int]) -> dict[int, str]:
    """The returnId of each of these entries that records a return."""
    rows = await PointsOrderReturn.filter(entry_id__in=list(entry_ids)).values_list(
        "entry_id", "return_id"
    )
    return dict(rows)
