"""Reads of the predictions for the API, each asking consent first (consent.published), for a
page of members at once: a page costs the same few statements whatever its size.

A member's prediction and reorders are profiling: without `profiling` consent nothing is read
(whatever rows a job has not yet deleted), and each day's use is logged once. Recommended
products are built from the member's own purchases for it: they need `profiling` and that it has
not objected to `personalization`, whose use is logged once a day. Complementary products are
program-wide counts of co-purchases and name no member.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

from consent.published import may_use_many, record_reads
from domain.consent import PERSONALIZATION, PROFILING, DataCategory
from loyalty.insights.purchase_models import PredictionFit

# Who uses the member's data, in its data-usage log (domain.consent.SYSTEM_PARTS).
PREDICTIONS_ACTOR = "system:insights.predictions"
RECOMMENDATIONS_ACTOR = "system:insights.recommendations"
# One reason for the prediction and the reorders: the day's one logged use is either.
PREDICTIONS_REASON = "churn, next-order and reorder predictions from your purchases"
RECOMMENDATIONS_REASON = "products that go with what you bought"

_PREDICTIONS = """
SELECT member_id, churn_probability, expected_orders_90d, expected_next_order_at, why,
  model_version, computed_at
FROM member_prediction WHERE program_id = $1 AND member_id = ANY($2::bigint[])
"""
_REORDERS = """
SELECT * FROM (
  SELECT member_id, sku, last_ordered_at, cycle_days, due_at, orders, why, model_version,
    row_number() OVER (PARTITION BY member_id ORDER BY due_at, sku) AS rank
  FROM member_reorder WHERE program_id = $1 AND member_id = ANY($2::bigint[])
) ranked WHERE rank <= $3 ORDER BY member_id, rank
"""
_COMPLEMENTARY = """
SELECT other_sku AS sku, support, confidence, lift, computed_at FROM product_association
WHERE program_id = $1 AND sku = $2 ORDER BY confidence DESC, lift DESC, other_sku LIMIT $3
"""
# The rules from what each member bought (orders not fully returned) to what it has not bought.
_RECOMMENDED = """
WITH mine AS (
  SELECT DISTINCT l.member_id, l.sku FROM points_order_line l
  JOIN points_order o ON o.id = l.order_id
  WHERE l.program_id = $1 AND l.member_id = ANY($2::bigint[]) AND o.returned_total < o.total
), ranked AS (
  SELECT m.member_id, a.other_sku AS sku, max(a.confidence) AS confidence, max(a.lift) AS lift,
    array_agg(a.sku ORDER BY a.confidence DESC, a.sku) AS because,
    row_number() OVER (PARTITION BY m.member_id
      ORDER BY max(a.confidence) DESC, max(a.lift) DESC, a.other_sku) AS rank
  FROM product_association a JOIN mine m ON m.sku = a.sku
  WHERE a.program_id = $1
    AND NOT EXISTS (SELECT 1 FROM mine x WHERE x.member_id = m.member_id AND x.sku = a.other_sku)
  GROUP BY m.member_id, a.other_sku
)
SELECT * FROM ranked WHERE rank <= $3 ORDER BY member_id, rank
"""

Rows = dict[int, list[dict[str, Any]]]


async def _allowed(
    connection: BaseDBAsyncClient,
    program_id: int,
    member_ids: Sequence[int],
    now: datetime,
    *,
    purposes: tuple[str, ...],
    actor: str,
    reason: str,
) -> list[int]:
    """The members whose data may be used for every purpose; the use of the last one logged
    for them, once a day."""
    allowed = set(member_ids)
    for purpose in purposes:
        allowed &= await may_use_many(connection, program_id, sorted(allowed), purpose)
    await record_reads(
        connection,
        program_id=program_id,
        member_ids=sorted(allowed),
        purpose=purposes[-1],
        categories=(DataCategory.PURCHASE_HISTORY,),
        actor=actor,
        reason=reason,
        at=now,
        once_a_day=True,
    )
    return sorted(allowed)


async def _by_member(sql: str, program_id: int, member_ids: list[int], *extra: Any) -> Rows:
    found: Rows = {}
    if not member_ids:
        return found
    rows = await connections.get("default").execute_query_dict(
        sql, [program_id, member_ids, *extra]
    )
    for row in rows:
        why = row.get("why")
        if isinstance(why, str):
            row["why"] = json.loads(why)
        found.setdefault(row["member_id"], []).append(row)
    return found


async def predictions_of(program_id: int, member_ids: Sequence[int], now: datetime) -> Rows:
    """Each member's churn prediction (one row), none without profiling consent."""
    allowed = await _allowed(
        connections.get("default"), program_id, member_ids, now,
        purposes=(PROFILING,), actor=PREDICTIONS_ACTOR, reason=PREDICTIONS_REASON,
    )  # fmt: skip
    return await _by_member(_PREDICTIONS, program_id, allowed)


async def reorders_of(
    program_id: int, member_ids: Sequence[int], now: datetime, limit: int
) -> Rows:
    """Each member's reorder dates, soonest first; none without profiling consent."""
    allowed = await _allowed(
        connections.get("default"), program_id, member_ids, now,
        purposes=(PROFILING,), actor=PREDICTIONS_ACTOR, reason=PREDICTIONS_REASON,
    )  # fmt: skip
    return await _by_member(_REORDERS, program_id, allowed, limit)


async def recommended_for(
    program_id: int, member_ids: Sequence[int], now: datetime, limit: int
) -> Rows:
    """Products that go with what each member bought and it has not bought yet."""
    allowed = await _allowed(
        connections.get("default"), program_id, member_ids, now,
        purposes=(PROFILING, PERSONALIZATION), actor=RECOMMENDATIONS_ACTOR,
        reason=RECOMMENDATIONS_REASON,
    )  # fmt: skip
    return await _by_member(_RECOMMENDED, program_id, allowed, limit)


async def complementary(program_id: int, sku: str, limit: int) -> list[dict[str, Any]]:
    """What is bought with `sku` in the program, most confident rule first."""
    rows: list[dict[str, Any]] = await connections.get("default").execute_query_dict(
        _COMPLEMENTARY, [program_id, sku, limit]
    )
    return rows


async def fit_of(program_id: int) -> PredictionFit | None:
    return await PredictionFit.get_or_none(program_id=program_id)
