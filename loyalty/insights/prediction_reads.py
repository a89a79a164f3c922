"""Reads of the predictions for the API, each asking consent first (consent.published).

A member's prediction and reorders are profiling: without `profiling` consent nothing is read
(whatever rows a job has not yet deleted), and each day's use is logged once. Recommended
products are built from the member's own purchases for it: they need `profiling` and that it has
not objected to `personalization`, whose use is logged. Complementary products are program-wide
counts of co-purchases and name no member.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from tortoise import connections

from consent.published import may_use, use_if_allowed
from domain.consent import PERSONALIZATION, PROFILING, DataCategory
from loyalty.insights.purchase_models import PredictionFit

# Who uses the member's data, in its data-usage log (domain.consent.SYSTEM_PARTS).
PREDICTIONS_ACTOR = "system:insights.predictions"
RECOMMENDATIONS_ACTOR = "system:insights.recommendations"
# One reason for the prediction and the reorders: the day's one logged use is either.
PREDICTIONS_REASON = "churn, next-order and reorder predictions from your purchases"

_PREDICTION = """
SELECT churn_probability, expected_orders_90d, expected_next_order_at, why, model_version,
  computed_at
FROM member_prediction WHERE program_id = $1 AND member_id = $2
"""
_REORDERS = """
SELECT sku, last_ordered_at, cycle_days, due_at, orders, why, model_version, computed_at
FROM member_reorder WHERE program_id = $1 AND member_id = $2 ORDER BY due_at, sku LIMIT $3
"""
_COMPLEMENTARY = """
SELECT other_sku AS sku, support, confidence, lift, computed_at FROM product_association
WHERE program_id = $1 AND sku = $2 ORDER BY confidence DESC, lift DESC, other_sku LIMIT $3
"""
# The rules from what the member bought (orders not fully returned) to what it has not bought.
_RECOMMENDED = """
WITH mine AS (
  SELECT DISTINCT l.sku FROM points_order_line l JOIN points_order o ON o.id = l.order_id
  WHERE l.program_id = $1 AND l.member_id = $2 AND o.returned_total < o.total
)
SELECT a.other_sku AS sku, max(a.confidence) AS confidence, max(a.lift) AS lift,
  array_agg(a.sku ORDER BY a.confidence DESC, a.sku) AS because
FROM product_association a JOIN mine m ON m.sku = a.sku
WHERE a.program_id = $1 AND a.other_sku NOT IN (SELECT sku FROM mine)
GROUP BY a.other_sku ORDER BY max(a.confidence) DESC, max(a.lift) DESC, a.other_sku LIMIT $3
"""


async def _profiling_use(program_id: int, member_id: int, now: datetime) -> bool:
    return await use_if_allowed(
        connections.get("default"),
        program_id=program_id,
        member_id=member_id,
        purpose=PROFILING,
        categories=(DataCategory.PURCHASE_HISTORY,),
        actor=PREDICTIONS_ACTOR,
        reason=PREDICTIONS_REASON,
        at=now,
    )


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    why = row["why"]
    return {**row, "why": json.loads(why) if isinstance(why, str) else why}


async def prediction_of(program_id: int, member_id: int, now: datetime) -> dict[str, Any] | None:
    """The member's churn prediction, None without profiling consent or before the job ran."""
    if not await _profiling_use(program_id, member_id, now):
        return None
    rows = await connections.get("default").execute_query_dict(_PREDICTION, [program_id, member_id])
    return _decoded(rows[0]) if rows else None


async def reorders_of(
    program_id: int, member_id: int, now: datetime, limit: int
) -> list[dict[str, Any]]:
    """The member's reorder dates, soonest first; none without profiling consent."""
    if not await _profiling_use(program_id, member_id, now):
        return []
    rows = await connections.get("default").execute_query_dict(
        _REORDERS, [program_id, member_id, limit]
    )
    return [_decoded(row) for row in rows]


async def complementary(program_id: int, sku: str, limit: int) -> list[dict[str, Any]]:
    """What is bought with `sku` in the program, most confident rule first."""
    rows: list[dict[str, Any]] = await connections.get("default").execute_query_dict(
        _COMPLEMENTARY, [program_id, sku, limit]
    )
    return rows


async def recommended(
    program_id: int, member_id: int, now: datetime, limit: int
) -> list[dict[str, Any]]:
    """Products that go with what the member bought and it has not bought yet."""
    connection = connections.get("default")
    if not await may_use(connection, program_id, member_id, PROFILING):
        return []
    if not await use_if_allowed(
        connection,
        program_id=program_id,
        member_id=member_id,
        purpose=PERSONALIZATION,
        categories=(DataCategory.PURCHASE_HISTORY,),
        actor=RECOMMENDATIONS_ACTOR,
        reason="products that go with what you bought",
        at=now,
    ):
        return []
    rows: list[dict[str, Any]] = await connection.execute_query_dict(
        _RECOMMENDED, [program_id, member_id, limit]
    )
    return rows


async def fit_of(program_id: int) -> PredictionFit | None:
    return await PredictionFit.get_or_none(program_id=program_id)
