"""Qualifying amounts kept as the ledger is written: in-transaction reactions to its events.

An order's or event's earning adds its points (and an order its total) to the member's bucket of
the month, and the same statement reads what the upgrade decision needs; an upgrade is written
before the write commits, under the member lock the points write already holds. A return takes
its points and amount back from the bucket of its order's month, so an order returned within the
window stops counting and one returned after it has aged out changes nothing. Manual grants,
spends and expiries never touch qualifying amounts: status is earned by buying and engaging.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from backbone.uow import UnitOfWork
from domain.events import DomainEvent, PointsEarned, PointsReversed
from domain.tiers import Amounts, on_earning
from loyalty.tiers.store import (
    TIERS_JSON,
    Change,
    buckets_from,
    save,
    setup_from,
    standing_from,
)

SYSTEM_ACTOR = "system"
QUALIFYING_REASONS = frozenset({"ORDER", "EVENT"})
# Buckets older than any window (36 months) plus a year are never read.
_YEARS_READ = 4

_EARN = f"""
WITH added AS (
  INSERT INTO tier_bucket (member_id, month, points, spend)
  SELECT $2, date_trunc('month', $3::timestamptz AT TIME ZONE p.timezone)::date, $4,
    COALESCE((SELECT o.total FROM points_order o WHERE o.program_id = $1 AND o.order_id = $5), 0)
  FROM program p WHERE p.id = $1
  ON CONFLICT (member_id, month) DO UPDATE
    SET points = tier_bucket.points + EXCLUDED.points, spend = tier_bucket.spend + EXCLUDED.spend
  RETURNING month, points, spend
)
SELECT tp.policy, tp.reevaluate_reason, p.timezone, {TIERS_JSON} AS tiers, m.created_at AS enrolled_at,
  mt.tier_key, mt.assigned_reason, mt.assigned_until, mt.downgrade_on, mt.retain_since,
  mt.evaluate_on, a.month AS added_month, a.points AS added_points, a.spend AS added_spend,
  bk.months, bk.points, bk.spend
FROM program p JOIN tier_policy tp ON tp.program_id = p.id JOIN member m ON m.id = $2
CROSS JOIN added a
LEFT JOIN member_tier mt ON mt.member_id = m.id
CROSS JOIN LATERAL (
  SELECT array_agg(b.month) AS months, array_agg(b.points) AS points, array_agg(b.spend) AS spend
  FROM tier_bucket b WHERE b.member_id = m.id AND b.month >= $6
) bk
WHERE p.id = $1
"""  # noqa: S608 - TIERS_JSON is a constant fragment, not input
_RETURN = """
UPDATE tier_bucket b
SET points = GREATEST(b.points - r.points, 0), spend = GREATEST(b.spend - r.amount, 0)
FROM points_order_return r JOIN points_order o ON o.id = r.order_id
JOIN program p ON p.id = o.program_id
WHERE r.entry_id = $1 AND b.member_id = o.member_id
  AND b.month = date_trunc('month', o.created_at AT TIME ZONE p.timezone)::date
"""


async def on_earned(event: DomainEvent, uow: UnitOfWork) -> None:
    assert isinstance(event, PointsEarned)
    assert event.member_id is not None
    if event.reason_code not in QUALIFYING_REASONS:
        return
    source = event.source_ref or ""
    order_id = source.removeprefix("order:") if source.startswith("order:") else None
    now = uow.now()
    oldest = date(now.year - _YEARS_READ, 1, 1)
    rows = await uow.connection.execute_query_dict(
        _EARN, [event.program_id, event.member_id, now, event.points, order_id, oldest]
    )
    if not rows or not rows[0]["tiers"]:
        return  # the program has no tiers: the bucket is kept for when it does
    row = rows[0]
    setup = setup_from(row)
    buckets = dict(buckets_from(row["months"], row["points"], row["spend"]))
    buckets[row["added_month"]] = Amounts(row["added_points"], Decimal(row["added_spend"]))
    zone = ZoneInfo(setup.timezone)
    was = standing_from(row, setup)
    decision = on_earning(
        setup.tiers,
        setup.policy,
        was,
        buckets,
        now.astimezone(zone).date(),
        row["enrolled_at"].astimezone(zone).date(),
    )
    if decision is None:
        return
    kept_assignment = row["assigned_reason"] if decision.standing.assigned else None
    change = Change(event.member_id, was.tier, decision.standing, decision.reason, kept_assignment)
    await save(uow, event.program_id, setup, [change], actor=SYSTEM_ACTOR)


async def on_reversed(event: DomainEvent, uow: UnitOfWork) -> None:
    assert isinstance(event, PointsReversed)
    if event.reason_code == "RETURN":
        await uow.connection.execute_query_dict(_RETURN, [event.entry_id])
