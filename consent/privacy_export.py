"""The consent area's part of a member's data export: every say on a purpose (the history, the
latest in force last), the preference center, and the data-usage log (who used which of the
member's data, for what, when)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from backbone.bus import ExportPart

_CONSENTS = """
SELECT purpose_key, granted, policy_version, source, recorded_at
  FROM consent_record WHERE member_id = $2 AND program_id = $1 ORDER BY id
"""
_PREFERENCES = """
SELECT email, push, sms, email_weekly_cap, push_weekly_cap, sms_weekly_cap, topics,
       quiet_start, quiet_end, timezone, locale, updated_at
  FROM member_preference WHERE member_id = $2 AND program_id = $1
"""
_USAGE = """
SELECT purpose_key, categories, actor, reason, used_at
  FROM data_usage WHERE member_id = $2 AND program_id = $1 ORDER BY id
"""


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _value(name: str, value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if name in ("topics", "categories") and isinstance(value, str):
        return json.loads(value)
    return value


async def _rows(connection: Any, sql: str, program_id: int, member_id: int) -> list[Any]:
    rows = await connection.execute_query_dict(sql, [program_id, member_id])
    return [{_camel(k): _value(k, v) for k, v in dict(row).items()} for row in rows]


async def consent_part(connection: Any, program_id: int, member_id: int) -> dict[str, Any]:
    preferences = await _rows(connection, _PREFERENCES, program_id, member_id)
    return {
        "consents": await _rows(connection, _CONSENTS, program_id, member_id),
        "preferences": preferences[0] if preferences else None,
        "dataUsage": await _rows(connection, _USAGE, program_id, member_id),
    }


PARTS: tuple[ExportPart, ...] = (consent_part,)
