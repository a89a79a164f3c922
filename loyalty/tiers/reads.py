"""Reads for members' tier status: one statement for any number of members (the program's tiers,
their standings and their buckets together), and a keyset page of one member's history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from tortoise import connections

from domain.tiers import Metric, Progress, TierDef, oldest_month, progress, qualifying
from domain.tiers import retain_by as still_to_earn
from domain.tiers import window_ends_on as window_end
from loyalty.tiers.models import TierHistory
from loyalty.tiers.store import (
    TIERS_JSON,
    TierSetup,
    buckets_from,
    load_setup,
    setup_from,
    standing_from,
)

_STATUS = f"""
SELECT tp.policy, tp.reevaluate_reason, p.timezone, {TIERS_JSON} AS tiers, ids.id AS member_id,
  mt.tier_key, mt.assigned_reason, mt.assigned_until, mt.downgrade_on, mt.retain_since,
  mt.evaluate_on, bk.months, bk.points, bk.spend
FROM program p JOIN tier_policy tp ON tp.program_id = p.id
CROSS JOIN unnest($2::bigint[]) AS ids(id)
LEFT JOIN member_tier mt ON mt.member_id = ids.id AND mt.program_id = p.id
CROSS JOIN LATERAL (
  SELECT array_agg(b.month) AS months, array_agg(b.points) AS points, array_agg(b.spend) AS spend
  FROM tier_bucket b WHERE b.member_id = ids.id AND b.month >= $3
) bk
WHERE p.id = $1
"""  # noqa: S608 - TIERS_JSON is a constant fragment, not input


@dataclass(frozen=True, slots=True)
class TierStatus:
    tiers: tuple[TierDef, ...]
    metric: Metric
    current: int
    progress: Progress
    window_ends_on: date
    retain_by: Decimal | None  # only while a downgrade is pending
    downgrade_on: date | None
    assigned_until: date | None
    assigned: bool


async def statuses(
    program_id: int, member_ids: Sequence[int], now: datetime
) -> dict[int, TierStatus]:
    """Each member's tier status as of `now`; empty when the program has no tiers."""
    oldest = date(now.year - 4, 1, 1)  # before any window's first month (domain.oldest_month)
    rows = await connections.get("default").execute_query_dict(
        _STATUS, [program_id, list(member_ids), oldest]
    )
    found: dict[int, TierStatus] = {}
    for row in rows:
        if not row["tiers"]:
            break
        setup = setup_from(row)
        today = now.astimezone(ZoneInfo(setup.timezone)).date()
        assert oldest <= oldest_month(setup.policy, today)
        buckets = buckets_from(row["months"], row["points"], row["spend"])
        standing = standing_from(row, setup)
        amount = qualifying(setup.policy, buckets, today)
        pending = standing.downgrade_on is not None
        found[row["member_id"]] = TierStatus(
            tiers=setup.tiers,
            metric=setup.policy.metric,
            current=standing.tier,
            progress=progress(setup.tiers, standing.tier, amount),
            window_ends_on=window_end(setup.policy, today),
            retain_by=(
                still_to_earn(setup.tiers, setup.policy, standing, buckets) if pending else None
            ),
            downgrade_on=standing.downgrade_on,
            assigned_until=standing.assigned_until,
            assigned=standing.assigned,
        )
    return found


async def setup(program_id: int) -> TierSetup | None:
    return await load_setup(connections.get("default"), program_id)


async def change(change_id: int) -> TierHistory | None:
    """One tier change by its id; whose it is, the caller checks."""
    return await TierHistory.get_or_none(id=change_id)


async def history_page(member_id: int, *, before_id: int | None, limit: int) -> list[TierHistory]:
    """The member's tier changes, newest first."""
    query = TierHistory.filter(member_id=member_id)
    if before_id is not None:
        query = query.filter(id__lt=before_id)
    return await query.order_by("-id").limit(limit)
