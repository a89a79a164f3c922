"""Helpers of the campaign offer tests: campaigns and their deliveries written as rows.

The offer tests are about what an offer does once a member was reached, so they write the
campaign and the delivery decision directly (the delivery job's own tests cover deciding);
awards, returns, redemptions and results go through GraphQL.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from tortoise import connections

from loyalty.campaigns.models import Campaign

_CAMPAIGN = """
INSERT INTO campaign (program_id, name, trigger, status, starts_at, ends_at, offer_kind,
  offer_multiplier, offer_reward_id, offer_discount_percent, offer_points, offer_starts_at,
  offer_ends_at, holdout_percent, arms, conversion_window_days, created_at, updated_at)
SELECT p.id, $2, 'SCHEDULED', 'RUNNING', $3, NULL, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb,
  $13, $3, $3
FROM program p WHERE p.key = $1 RETURNING id
"""
_DELIVERY = """
INSERT INTO campaign_delivery (program_id, campaign_id, member_id, occasion, arm, status,
  reason, due_at, delivered_at, created_at)
SELECT m.program_id, $1, m.id, $3, $4, $5::varchar,
  CASE WHEN $5::varchar = 'SKIPPED' THEN 'NO_CONSENT' END, $6::timestamptz, CASE WHEN $5::varchar = 'SENT' THEN $6::timestamptz END, $6
FROM member m JOIN program p ON p.id = m.program_id
WHERE p.key = $7 AND m.external_id = $2 RETURNING id
"""


async def campaign(
    name: str,
    kind: str,
    at: datetime,
    *,
    program: str = "acme",
    multiplier: str | None = None,
    reward_id: int | None = None,
    percent: int | None = None,
    points: int | None = None,
    window: tuple[datetime, datetime] | None = None,
    holdout: int = 0,
    arms: list[dict[str, Any]] | None = None,
    conversion_days: int = 14,
) -> Campaign:
    starts, ends = window or (None, None)
    [row] = await connections.get("default").execute_query_dict(
        _CAMPAIGN,
        [program, name, at, kind, Decimal(multiplier) if multiplier else None, reward_id,
         percent, points, starts, ends, holdout, json.dumps(arms or []), conversion_days],
    )  # fmt: skip
    return await Campaign.get(id=row["id"])


async def delivered(
    campaign_id: int,
    external_id: str,
    status: str,
    at: datetime,
    *,
    arm: str = "default",
    occasion: str = "",
    program: str = "acme",
) -> int:
    [row] = await connections.get("default").execute_query_dict(
        _DELIVERY, [campaign_id, external_id, occasion, arm, status, at, program]
    )
    delivery_id: int = row["id"]
    return delivery_id
