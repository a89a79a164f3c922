"""Reading points: balances, the ledger newest first, and what expires soon. Batched by member
so a page of members costs one query per kind of data, not one per member."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.ledger import LotStatus
from loyalty.points.models import PointsBalance, PointsEntry, PointsLot


@dataclass(frozen=True, slots=True)
class Expiring:
    points: int
    expires_at: datetime


async def balances(member_ids: Sequence[int]) -> dict[int, PointsBalance]:
    found = await PointsBalance.filter(member_id__in=list(member_ids))
    return {balance.member_id: balance for balance in found}


async def expiring(
    member_ids: Sequence[int], *, now: datetime, until: datetime
) -> dict[int, list[Expiring]]:
    """Spendable points that will expire before `until`, summed per expiry instant, soonest first."""
    lots = await PointsLot.filter(
        member_id__in=list(member_ids),
        status=LotStatus.ACTIVE,
        remaining__gt=0,
        expires_at__gt=now,
        expires_at__lte=until,
    ).order_by("expires_at")
    sums: dict[int, dict[datetime, int]] = defaultdict(lambda: defaultdict(int))
    for lot in lots:
        assert lot.expires_at is not None
        sums[lot.member_id][lot.expires_at] += lot.remaining
    return {
        member: [Expiring(p, at) for at, p in by_date.items()] for member, by_date in sums.items()
    }


async def ledger_page(member_id: int, *, before_id: int | None, limit: int) -> list[PointsEntry]:
    """A keyset page of a member's entries, newest first."""
    query = PointsEntry.filter(member_id=member_id)
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    return await query.order_by("-id").limit(limit)
