"""Reads of referrals: a referrer's referrals, a program's (for admins) or a partner's own, and
a member's part of its data export (its codes, and its referrals as referrer and as referee)."""

from __future__ import annotations

from typing import Any

from tortoise import connections

from loyalty.export_parts import _rows

_COLUMNS = """r.id, r.status, r.code, r.brought_by, r.hold_rule, r.referrer_id, r.referee_id,
  r.referrer_points, r.referee_points, r.attributed_at, r.converted_at, r.ended_at,
  r.referrer_reward_id, r.referrer_redemption_id, r.referrer_reward_outcome,
  r.referrer_reward_refusal, r.referee_reward_id, r.referee_redemption_id,
  r.referee_reward_outcome, r.referee_reward_refusal,
  m.display_name AS referee_name, m.status AS referee_status"""
_OF_REFERRER = f"""
SELECT {_COLUMNS} FROM referral r JOIN member m ON m.id = r.referee_id
WHERE r.program_id = $1 AND r.referrer_id = $2 AND r.id > $3 ORDER BY r.id LIMIT $4
"""  # noqa: S608 - constant fragment
_OF_PROGRAM = f"""
SELECT {_COLUMNS} FROM referral r JOIN member m ON m.id = r.referee_id
WHERE r.program_id = $1 AND ($2::text IS NULL OR r.brought_by = $2) AND r.id > $3
  AND ($5::text IS NULL OR r.status = $5)
ORDER BY r.id LIMIT $4
"""  # noqa: S608 - constant fragment


async def of_referrer(
    program_id: int, member_id: int, *, after_id: int | None, limit: int
) -> list[dict[str, Any]]:
    rows = await connections.get("default").execute_query_dict(
        _OF_REFERRER, [program_id, member_id, after_id or 0, limit]
    )
    return [dict(row) for row in rows]


async def of_program(
    program_id: int,
    *,
    brought_by: str | None,
    status: str | None,
    after_id: int | None,
    limit: int,
) -> list[dict[str, Any]]:
    rows = await connections.get("default").execute_query_dict(
        _OF_PROGRAM, [program_id, brought_by, after_id or 0, limit, status]
    )
    return [dict(row) for row in rows]


_CODES = """
SELECT code, created_at, retired_at FROM referral_code
WHERE program_id = $1 AND member_id = $2 ORDER BY id
"""
_AS_REFERRER = """
SELECT id, status, code, referrer_points AS rewarded_points, attributed_at, converted_at, ended_at
FROM referral WHERE program_id = $1 AND referrer_id = $2 ORDER BY id
"""
_AS_REFEREE = """
SELECT id, status, code, referee_points AS rewarded_points, attributed_at, converted_at, ended_at
FROM referral WHERE program_id = $1 AND referee_id = $2
"""


async def export_part(connection: Any, program_id: int, member_id: int) -> dict[str, Any]:
    """The member's codes and referrals; a referee is named by nothing of its own here."""
    as_referee = await _rows(connection, _AS_REFEREE, program_id, member_id)
    return {
        "referrals": {
            "codes": await _rows(connection, _CODES, program_id, member_id),
            "referred": await _rows(connection, _AS_REFERRER, program_id, member_id),
            "referredBy": as_referee[0] if as_referee else None,
        }
    }
