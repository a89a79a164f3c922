"""The loyalty area's parts of a member's data export (consent/export.py puts them together):
the profile, the points balance and every ledger entry with its explanation, the tier and its
history, and every redemption with its code. Only the member's own rows, by member id."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from backbone.bus import ExportPart

_PROFILE = """
SELECT external_id, email, display_name, birthday, locale, status, created_at AS enrolled_at,
       updated_at
  FROM member WHERE id = $2 AND program_id = $1
"""
_BALANCE = """
SELECT available, pending, debt, held, lifetime_earned, updated_at
  FROM points_balance WHERE member_id = $2 AND program_id = $1
"""
_LEDGER = """
SELECT id, kind, points, reason_code, reason, source_ref, explanation, available_after,
       created_at AS occurred_at
  FROM points_entry WHERE member_id = $2 AND program_id = $1 ORDER BY id
"""
_TIER = """
SELECT tier_key, since, assigned_reason, assigned_until, downgrade_on
  FROM member_tier WHERE member_id = $2 AND program_id = $1
"""
_TIER_HISTORY = """
SELECT id, from_key, to_key, reason_code, note, created_at AS changed_at
  FROM tier_history WHERE member_id = $2 AND program_id = $1 ORDER BY id
"""
_REDEMPTIONS = """
SELECT r.id, r.reward_id, w.name AS reward_name, r.points, r.gift_source, r.status,
       r.created_at, r.confirmed_at, r.ended_at, c.code, c.used_at AS code_used_at
  FROM reward_redemption r
  JOIN reward w ON w.id = r.reward_id
  LEFT JOIN reward_code c ON c.redemption_id = r.id
 WHERE r.member_id = $2 AND r.program_id = $1 ORDER BY r.id
"""


def jsonable(value: Any) -> Any:
    """Rows as JSON: instants and dates in ISO 8601, decimals as exact strings."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


async def _rows(connection: Any, sql: str, program_id: int, member_id: int) -> list[Any]:
    """The rows with camelCase keys, as the API names the same fields."""
    rows = await connection.execute_query_dict(sql, [program_id, member_id])
    return [{_camel(k): jsonable(v) for k, v in dict(row).items()} for row in rows]


async def profile(connection: Any, program_id: int, member_id: int) -> dict[str, Any]:
    found = await _rows(connection, _PROFILE, program_id, member_id)
    return {"profile": found[0] if found else None}


async def points(connection: Any, program_id: int, member_id: int) -> dict[str, Any]:
    balance = await _rows(connection, _BALANCE, program_id, member_id)
    entries = await _rows(connection, _LEDGER, program_id, member_id)
    for entry in entries:
        explanation = entry.get("explanation") or {}
        if isinstance(explanation, str):  # jsonb as the driver gives it without a codec
            explanation = json.loads(explanation)
        entry["explanation"] = explanation.get("lines", [])
    return {"points": {"balance": balance[0] if balance else None, "ledger": entries}}


async def tiers(connection: Any, program_id: int, member_id: int) -> dict[str, Any]:
    current = await _rows(connection, _TIER, program_id, member_id)
    history = await _rows(connection, _TIER_HISTORY, program_id, member_id)
    return {"tier": {"current": current[0] if current else None, "history": history}}


async def redemptions(connection: Any, program_id: int, member_id: int) -> dict[str, Any]:
    return {"redemptions": await _rows(connection, _REDEMPTIONS, program_id, member_id)}


PARTS: tuple[ExportPart, ...] = (profile, points, tiers, redemptions)
