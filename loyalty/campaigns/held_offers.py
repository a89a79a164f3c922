"""The campaign offers a member holds, read where the points area needs them: the award's
multiplier (a column of the statement that locks the member, so an award costs no statement
more) and the redemption's discount (one indexed read under the member's lock).

A member holds a campaign's offer once a delivery reached it (SENT or OFFERED: a held-out
member never does), from that moment, within the offer's window (the campaign's own when the
offer names none), unless the campaign was cancelled. The rules that pick one are in
domain/offers.py.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from domain.offers import Offer

# The member's first reach by each campaign with an offer of `kind`, as one JSON array of
# [campaign, value, starts, ends, exposed]; driven by the member's deliveries (indexed by member).
_HELD = """
SELECT jsonb_agg(jsonb_build_array(c.id, c.{value}, COALESCE(c.offer_starts_at, c.starts_at),
  COALESCE(c.offer_ends_at, c.ends_at), o.exposed_at))
FROM (
  SELECT d.campaign_id, min(COALESCE(d.delivered_at, d.created_at)) AS exposed_at
  FROM campaign_delivery d WHERE d.member_id = {member} AND d.status IN ('SENT', 'OFFERED')
  GROUP BY d.campaign_id
) o JOIN campaign c ON c.id = o.campaign_id
WHERE c.offer_kind = '{kind}' AND c.{value} IS NOT NULL AND c.status <> 'CANCELLED' {also}
"""

# A column for the account's opening statement (`m` is the locked member row).
MULTIPLIER_OFFERS_COLUMN = (
    "("
    + _HELD.format(value="offer_multiplier", member="m.id", kind="POINTS_MULTIPLIER", also="")
    + ") AS multiplier_offers"
)
_DISCOUNTS = (
    "SELECT ("
    + _HELD.format(
        value="offer_discount_percent",
        member="$1",
        kind="REWARD_DISCOUNT",
        also="AND c.offer_reward_id = $2",
    )
    + ") AS offers"
)


def parse_offers(value: Any) -> tuple[Offer, ...]:
    """The offers of a `_HELD` column as read (JSON text, a decoded list, or NULL for none)."""
    if value is None:
        return ()
    rows = json.loads(value, parse_float=Decimal) if isinstance(value, str) else value
    return tuple(
        Offer(
            campaign_id=int(campaign_id),
            value=Decimal(str(offered)),
            starts_at=_at(starts),
            ends_at=_at(ends),
            exposed_at=datetime.fromisoformat(exposed),
        )
        for campaign_id, offered, starts, ends, exposed in rows
    )


async def discount_offers(
    connection: BaseDBAsyncClient, member_id: int, reward_id: int
) -> tuple[Offer, ...]:
    """The member's campaign discounts on one reward (percent as the offer's value)."""
    [row] = await connection.execute_query_dict(_DISCOUNTS, [member_id, reward_id])
    return parse_offers(row["offers"])


def _at(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)
