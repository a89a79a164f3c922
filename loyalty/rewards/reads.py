"""Reading rewards: catalog pages with their filters, what is within a member's reach, limit
counts, redemptions and their codes. Plain SQL through Tortoise's connection where a filter needs
what the ORM cannot say (a tier's price inside a JSON column)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

from domain.redemptions import Candidate, window_starts
from domain.rewards import CodeSource, DiscountType, LimitPeriod, RewardKind
from loyalty.rewards.models import Redemption, Reward, RewardCode

# A reward's price for tier $T (null: no tier) and whether its gate admits that tier.
_PRICE = "COALESCE((r.tier_prices ->> {tier}::text)::int, r.points_cost)"
_ADMITS = "(r.tier_gate = '[]'::jsonb OR r.tier_gate ? {tier}::text)"
_OFFERED = """r.active AND (r.available_from IS NULL OR r.available_from <= {now})
  AND (r.available_until IS NULL OR r.available_until > {now})"""
# Live redemptions of reward r by member {member} in the reward's current limit window.
_IN_WINDOW = """(SELECT count(*) FROM reward_redemption x
  WHERE x.member_id = {member} AND x.reward_id = r.id AND x.status IN ('HELD', 'CONFIRMED')
    AND x.created_at >= CASE r.limit_period WHEN 'DAY' THEN {day}::timestamptz
      WHEN 'WEEK' THEN {week}::timestamptz WHEN 'MONTH' THEN {month}::timestamptz
      WHEN 'YEAR' THEN {year}::timestamptz ELSE '-infinity'::timestamptz END)"""

_PAGE = f"""
SELECT r.* FROM reward r
WHERE r.program_id = $1 AND r.id > $2 AND ($3::varchar IS NULL OR r.kind = $3)
  AND (NOT $4 OR ({_OFFERED.format(now="$5")}))
  AND ($6::int IS NULL OR ({_PRICE.format(tier="$7")} <= $6 AND {_ADMITS.format(tier="$7")}))
ORDER BY r.id LIMIT $8
"""  # noqa: S608 - constant fragments, every value a parameter
_CANDIDATE_COUNT = _IN_WINDOW.format(member="$4", day="$5", week="$6", month="$7", year="$8")
_CANDIDATES = f"""
SELECT r.*, {_PRICE.format(tier="$3")} AS price,
  (SELECT s.within_reach_percent FROM reward_settings s WHERE s.program_id = r.program_id) AS percent
FROM reward r
WHERE r.program_id = $1 AND {_OFFERED.format(now="$2")} AND {_ADMITS.format(tier="$3")}
  AND (r.stock_left IS NULL OR r.stock_left > 0)
  AND (r.code_source IS DISTINCT FROM 'POOL' OR EXISTS (
    SELECT 1 FROM reward_code c WHERE c.reward_id = r.id AND c.redemption_id IS NULL))
  AND (r.limit_count IS NULL OR r.limit_count > {_CANDIDATE_COUNT})
  AND {_PRICE.format(tier="$3")} > $9
"""  # noqa: S608 - constant fragments, every value a parameter
_LIMIT_COUNT = f"""
SELECT {_IN_WINDOW.format(member="$2", day="$3", week="$4", month="$5", year="$6")} AS n
FROM reward r WHERE r.id = $1
"""  # noqa: S608 - constant fragments, every value a parameter


async def catalog_page(
    program_id: int,
    *,
    after_id: int | None,
    limit: int,
    kind: RewardKind | None,
    offered_only: bool,
    now: datetime,
    affordable: tuple[int, str | None] | None,
) -> list[Reward]:
    """A page of the catalog in id order. `offered_only`: active and inside its window now;
    `affordable`: (spendable points, tier) of a member whose price they cover and tier admitted."""
    points, tier = affordable if affordable is not None else (None, None)
    rows = await connections.get("default").execute_query_dict(
        _PAGE,
        [program_id, after_id or 0, kind, offered_only, now, points, tier, limit],
    )
    return [reward_from_row(row) for row in rows]


async def within_reach_candidates(
    program_id: int, member_id: int, tier: str | None, available: int, *, now: datetime, tz: str
) -> tuple[dict[int, Reward], list[Candidate], int | None]:
    """Rewards the member could redeem now but for points (by id, and as candidates at the
    member's price), and the program's within-reach percent (None: the default). One statement,
    whatever the catalog's size."""
    starts = window_starts(now, tz)
    rows = await connections.get("default").execute_query_dict(
        _CANDIDATES,
        [program_id, now, tier, member_id, *_period_args(starts), available],
    )
    percent = rows[0]["percent"] if rows else None
    candidates = [Candidate(row["id"], row["name"], row["price"]) for row in rows]
    rewards = {
        row["id"]: reward_from_row({k: v for k, v in row.items() if k not in ("price", "percent")})
        for row in rows
    }
    return rewards, candidates, percent


async def redeemed_in_window(
    connection: BaseDBAsyncClient, reward_id: int, member_id: int, *, now: datetime, tz: str
) -> int:
    rows = await connection.execute_query_dict(
        _LIMIT_COUNT, [reward_id, member_id, *_period_args(window_starts(now, tz))]
    )
    count: int = rows[0]["n"]
    return count


def _period_args(starts: dict[LimitPeriod, datetime | None]) -> list[datetime | None]:
    periods = (LimitPeriod.DAY, LimitPeriod.WEEK, LimitPeriod.MONTH, LimitPeriod.YEAR)
    return [starts[period] for period in periods]


async def rewards_by_ids(program_id: int, ids: Sequence[int]) -> dict[int, Reward]:
    return {r.id: r for r in await Reward.filter(program_id=program_id, id__in=list(ids))}


async def redemptions_by_ids(program_id: int, ids: Sequence[int]) -> dict[int, Redemption]:
    found = await Redemption.filter(program_id=program_id, id__in=list(ids))
    return {r.id: r for r in found}


async def redemptions_page(
    program_id: int, member_id: int | None, *, after_id: int | None, limit: int
) -> list[Redemption]:
    """Newest first, a member's or the whole program's."""
    query = Redemption.filter(program_id=program_id)
    if member_id is not None:
        query = query.filter(member_id=member_id)
    if after_id is not None:
        query = query.filter(id__lt=after_id)
    return await query.order_by("-id").limit(limit)


async def codes_of(redemption_ids: Sequence[int]) -> dict[int, RewardCode]:
    found = await RewardCode.filter(redemption_id__in=list(redemption_ids))
    return {code.redemption_id: code for code in found if code.redemption_id is not None}


def reward_from_row(row: dict[str, Any]) -> Reward:
    """A Reward from a raw row: JSON columns decoded and enum columns typed as the ORM does."""
    values = dict(row)
    for name in ("tier_prices", "tier_gate"):
        if isinstance(values[name], str):
            values[name] = json.loads(values[name])
    values["kind"] = RewardKind(values["kind"])
    for name, enum in (
        ("discount_type", DiscountType),
        ("code_source", CodeSource),
        ("limit_period", LimitPeriod),
    ):
        values[name] = enum(values[name]) if values[name] is not None else None
    return Reward._init_from_db(**values)


# Members who redeemed (a confirmed redemption, not a gift) each reward: ever, and since $2.
_REDEEMERS = """
SELECT reward_id, count(DISTINCT member_id) AS ever,
  count(DISTINCT member_id) FILTER (WHERE confirmed_at >= $2) AS recently
FROM reward_redemption
WHERE reward_id = ANY($1::bigint[]) AND status = 'CONFIRMED' AND gift_source IS NULL
GROUP BY reward_id
"""


async def redeemers(reward_ids: Sequence[int], since: datetime) -> dict[int, tuple[int, int]]:
    """For each reward, how many members redeemed it (all time, since `since`): one statement
    for a page of rewards, exact (counted from the redemptions themselves, by an index)."""
    rows = await connections.get("default").execute_query_dict(
        _REDEEMERS, [list(reward_ids), since]
    )
    return {row["reward_id"]: (row["ever"], row["recently"]) for row in rows}
