"""Reading a program's tiers and writing members' standings, one statement each way.

Standings are written in sets (the evaluation job's batch, or the one member of a write): one
INSERT ... ON CONFLICT over unnest() arrays saves the member_tier rows and appends a history row
for every tier that changed, and a TierChanged event is recorded for each in the same unit of
work. Thresholds are read here as Decimals; points thresholds are whole by validation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from backbone.uow import UnitOfWork
from domain.events import TierChanged
from domain.tier_config import policy_from_json
from domain.tiers import Amounts, Buckets, ChangeReason, Policy, Standing, TierDef

# The tiers as one JSON array in position order, for statements that read them with more.
TIERS_JSON = """(SELECT json_agg(json_build_array(t.key, t.name, t.description, t.threshold::text,
  t.multiplier::text) ORDER BY t.position) FROM tier t WHERE t.program_id = p.id)"""
_CONFIG = f"""
SELECT tp.policy, tp.reevaluate_reason, p.timezone, {TIERS_JSON} AS tiers
FROM program p JOIN tier_policy tp ON tp.program_id = p.id WHERE p.id = $1
"""  # noqa: S608 - TIERS_JSON is a constant fragment, not input
_WRITE = """
WITH r AS (
  SELECT * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::date[], $6::date[], $7::date[],
    $8::date[], $9::text[], $10::text[], $11::text[])
    AS r(member_id, tier_key, assigned_reason, assigned_until, downgrade_on, retain_since,
      evaluate_on, from_key, reason_code, note)
), saved AS (
  INSERT INTO member_tier (member_id, program_id, tier_key, since, assigned_reason, assigned_until,
    downgrade_on, retain_since, evaluate_on)
  SELECT member_id, $1, tier_key, $12, assigned_reason, assigned_until, downgrade_on,
    retain_since, evaluate_on FROM r
  ON CONFLICT (member_id) DO UPDATE SET tier_key = EXCLUDED.tier_key,
    since = CASE WHEN member_tier.tier_key = EXCLUDED.tier_key
      THEN member_tier.since ELSE EXCLUDED.since END,
    assigned_reason = EXCLUDED.assigned_reason, assigned_until = EXCLUDED.assigned_until,
    downgrade_on = EXCLUDED.downgrade_on, retain_since = EXCLUDED.retain_since,
    evaluate_on = EXCLUDED.evaluate_on
)
INSERT INTO tier_history (program_id, member_id, from_key, to_key, reason_code, note, actor,
  created_at)
SELECT $1, member_id, from_key, tier_key, reason_code, note, $13, $12 FROM r
WHERE reason_code IS NOT NULL
"""


@dataclass(frozen=True, slots=True)
class TierSetup:
    tiers: tuple[TierDef, ...]
    policy: Policy
    timezone: str
    reevaluate_reason: str | None

    def index(self, key: str | None) -> int:
        """A member without a row, or holding a key no longer listed, is in the first tier."""
        keys = [tier.key for tier in self.tiers]
        return keys.index(key) if key in keys else 0


def setup_from(row: dict[str, Any]) -> TierSetup:
    tiers = tuple(
        TierDef(key, name, description, Decimal(threshold), Decimal(multiplier))
        for key, name, description, threshold, multiplier in _json(row["tiers"]) or ()
    )
    return TierSetup(
        tiers, policy_from_json(_json(row["policy"])), row["timezone"], row["reevaluate_reason"]
    )


async def load_setup(connection: BaseDBAsyncClient, program_id: int) -> TierSetup | None:
    rows = await connection.execute_query_dict(_CONFIG, [program_id])
    return setup_from(rows[0]) if rows and rows[0]["tiers"] else None


def standing_from(row: dict[str, Any], setup: TierSetup) -> Standing:
    """A member's standing from its member_tier columns (all null: no row, the first tier)."""
    return Standing(
        setup.index(row["tier_key"]),
        row["evaluate_on"],
        row["downgrade_on"],
        row["retain_since"],
        row["assigned_reason"] is not None,
        row["assigned_until"],
    )


def buckets_from(months: list[date] | None, points: list[int], spend: list[Any]) -> Buckets:
    # asyncpg reads numeric as Decimal already.
    return {
        m: Amounts(p, s) for m, p, s in zip(months or (), points or (), spend or (), strict=True)
    }


@dataclass(frozen=True, slots=True)
class Change:
    member_id: int
    was: int
    standing: Standing
    reason: ChangeReason | None
    assigned_reason: str | None = None
    note: str | None = None


async def save(
    uow: UnitOfWork, program_id: int, setup: TierSetup, changes: list[Change], *, actor: str
) -> None:
    """Write the standings, history for the tier changes among them, and their events."""
    if not changes:
        return
    key = [tier.key for tier in setup.tiers]
    columns: list[list[Any]] = [[] for _ in range(10)]
    for c in changes:
        s = c.standing
        values = (
            c.member_id, key[s.tier], c.assigned_reason, s.assigned_until, s.downgrade_on,
            s.retain_since, s.evaluate_on, key[c.was], c.reason and c.reason.value, c.note,
        )  # fmt: skip
        for column, value in zip(columns, values, strict=True):
            column.append(value)
    await uow.connection.execute_query_dict(_WRITE, [program_id, *columns, uow.now(), actor])
    for c in changes:
        if c.reason is not None:
            uow.record(
                TierChanged(
                    program_id=program_id,
                    member_id=c.member_id,
                    from_tier=key[c.was],
                    to_tier=key[c.standing.tier],
                    reason=c.reason.value,
                )
            )


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value
