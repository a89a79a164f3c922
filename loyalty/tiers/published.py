"""What other areas may ask of tiers (earning's multiplier, rewards' gates and prices): a narrow,
stable function over SQL, so nobody outside loyalty/tiers/ reads its tables or models."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tortoise.backends.base.client import BaseDBAsyncClient

from domain.tiers import plain


@dataclass(frozen=True, slots=True)
class CurrentTier:
    key: str
    multiplier: Decimal


# A member without a member_tier row is in the program's first tier (threshold 0).
_TIER_OF = """
SELECT t.key, t.multiplier FROM tier t
LEFT JOIN member_tier mt ON mt.member_id = $2 AND mt.program_id = t.program_id
WHERE t.program_id = $1 AND (t.key = mt.tier_key OR (mt.tier_key IS NULL AND t.position = 0))
"""


async def tier_of(
    connection: BaseDBAsyncClient, program_id: int, member_id: int
) -> CurrentTier | None:
    """The member's tier as `connection` sees it (inside a write: as of that write, including an
    upgrade it made), or None when the program has no tiers. One indexed statement. The
    multiplier is as an admin writes it (1.5, not the column's 1.50)."""
    rows = await connection.execute_query_dict(_TIER_OF, [program_id, member_id])
    if not rows:
        return None
    return CurrentTier(rows[0]["key"], plain(Decimal(rows[0]["multiplier"])))
