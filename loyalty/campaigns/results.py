"""Campaigns' results per arm, the holdout included, counted set-based: one statement for the
campaigns and one for their counts, whatever the number of campaigns (a page of them).

Definitions (the issue leaves them to us):
- exposed: a member with a SENT, OFFERED or HELD_OUT delivery of the campaign; its exposure is
  the first such delivery's `created_at` (a member reached on several occasions counts once, in
  its one arm: assignment is a function of campaign and member). SKIPPED and DEFERRED members
  were not reached and count nowhere.
- the window: after the exposure, up to `conversion_window_days` days later.
- conversion: the member has at least one order (points_order) in its window.
- revenue: its orders' totals in the window minus what was returned of them, in the program's
  currency.
- points issued: the points of the member's EARN ledger entries in the window (orders, events,
  grants and gifts, the campaign's own gift included: what the arm cost in points), counted
  when earned, whatever was later taken back.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tortoise import connections

from domain import experiment_stats as stats
from domain.currency import minor_unit_exponent
from domain.experiments import DEFAULT_ARM, HOLDOUT

_RESULTS = """
WITH exposed AS (
  SELECT d.campaign_id, d.member_id, min(d.arm) AS arm, min(d.created_at) AS at
  FROM campaign_delivery d
  WHERE d.campaign_id = ANY($1::bigint[]) AND d.program_id = $2
    AND d.status IN ('SENT', 'OFFERED', 'HELD_OUT')
  GROUP BY d.campaign_id, d.member_id
), windowed AS (
  SELECT x.campaign_id, x.member_id, x.arm, x.at,
    x.at + make_interval(days => c.conversion_window_days) AS until
  FROM exposed x JOIN campaign c ON c.id = x.campaign_id
), ordered AS (
  SELECT w.campaign_id, w.member_id, sum(o.total - o.returned_total) AS revenue
  FROM windowed w JOIN points_order o
    ON o.member_id = w.member_id AND o.created_at > w.at AND o.created_at <= w.until
  GROUP BY w.campaign_id, w.member_id
), earned AS (
  SELECT w.campaign_id, w.member_id, sum(e.points) AS points
  FROM windowed w JOIN points_entry e
    ON e.member_id = w.member_id AND e.kind = 'EARN' AND e.created_at >= w.at
   AND e.created_at <= w.until
  GROUP BY w.campaign_id, w.member_id
)
SELECT w.campaign_id, w.arm, count(*) AS members, count(o.member_id) AS conversions,
  COALESCE(sum(o.revenue), 0) AS revenue, COALESCE(sum(e.points), 0) AS points
FROM windowed w LEFT JOIN ordered o USING (campaign_id, member_id)
  LEFT JOIN earned e USING (campaign_id, member_id)
GROUP BY w.campaign_id, w.arm
"""
_CAMPAIGNS = """
SELECT c.id, c.arms, c.conversion_window_days, c.holdout_percent, p.currency
FROM campaign c JOIN program p ON p.id = c.program_id
WHERE c.id = ANY($1::bigint[]) AND c.program_id = $2
"""


@dataclass(frozen=True, slots=True)
class ArmResult:
    arm: str
    members: int
    conversions: int
    conversion_rate: float | None
    points_issued: int
    revenue: Decimal
    currency: str
    # Against the holdout; None for the holdout itself.
    comparison: stats.Comparison | None


@dataclass(frozen=True, slots=True)
class Results:
    conversion_window_days: int
    arms: tuple[ArmResult, ...]


async def campaign_results(program_id: int, campaign_id: int) -> Results | None:
    """Every arm the campaign has (even with nobody in it yet), then the holdout; None when the
    campaign is not the program's. Read committed data only: no lock, no write."""
    return (await campaigns_results(program_id, [campaign_id])).get(campaign_id)


async def campaigns_results(program_id: int, campaign_ids: Sequence[int]) -> dict[int, Results]:
    """The results of each of these campaigns of the program, by key (those not the program's
    left out): two statements for any number of campaigns."""
    connection = connections.get("default")
    keys = list(campaign_ids)
    campaigns = await connection.execute_query_dict(_CAMPAIGNS, [keys, program_id])
    if not campaigns:
        return {}
    rows = await connection.execute_query_dict(_RESULTS, [keys, program_id])
    counted: dict[int, dict[str, dict[str, Any]]] = {row["id"]: {} for row in campaigns}
    for row in rows:
        counted[row["campaign_id"]][row["arm"]] = row
    return {row["id"]: _results(row, counted[row["id"]]) for row in campaigns}


def _results(campaign: dict[str, Any], counted: dict[str, dict[str, Any]]) -> Results:
    window = int(campaign["conversion_window_days"])
    keys = _arm_keys(campaign["arms"]) or [DEFAULT_ARM]
    keys += [key for key in sorted(counted) if key not in keys and key != HOLDOUT]
    holdout = counted.get(HOLDOUT)
    held = (int(holdout["members"]), int(holdout["conversions"])) if holdout else (0, 0)
    results = []
    for key in [*keys, HOLDOUT]:
        row = counted.get(key)
        members = int(row["members"]) if row else 0
        conversions = int(row["conversions"]) if row else 0
        comparison = (
            None if key == HOLDOUT else stats.compare(conversions, members, held[1], held[0])
        )
        results.append(
            ArmResult(
                arm=key,
                members=members,
                conversions=conversions,
                conversion_rate=stats.conversion_rate(conversions, members),
                points_issued=int(row["points"]) if row else 0,
                revenue=_money(row["revenue"] if row else 0, campaign["currency"]),
                currency=campaign["currency"],
                comparison=comparison,
            )
        )
    return Results(window, tuple(results))


def _arm_keys(value: Any) -> list[str]:
    """The campaign's arm keys in their order (its `arms` JSON, as text or decoded)."""
    arms = json.loads(value) if isinstance(value, str) else value
    return [str(arm["key"]) for arm in arms or []]


def _money(amount: object, currency: str) -> Decimal:
    """Exact already (sums of amounts in the currency's precision): shown at that precision."""
    return Decimal(str(amount)).quantize(Decimal(1).scaleb(-minor_unit_exponent(currency)))
