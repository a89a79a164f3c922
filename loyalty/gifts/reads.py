"""Reads of the gifts area: the program's gift settings with their budget now, and its gifts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tortoise import connections

from domain import gifts as rules
from loyalty.export_parts import _rows
from loyalty.gifts.settings import SETTING, settings_of

_SETTINGS = f"""
SELECT s.id, {SETTING}, b.total, b.remaining FROM gift_setting s
LEFT JOIN gift_budget b ON b.setting_id = s.id AND b.period = s.budget_period
  AND b.period_start = CASE s.budget_period WHEN 'WEEK' THEN $2::date WHEN 'MONTH' THEN $3::date
    ELSE $4::date END
WHERE s.program_id = $1 ORDER BY s.kind
"""  # noqa: S608 - a constant column list
_GIFTS = """
SELECT g.id, g.kind, g.member_id, g.trigger, g.occasion, g.status, g.skip_reason, g.points,
  g.entry_id, g.created_at, g.decided_at, g.revoked_at, g.revoke_reason, s.personalized,
  s.surprise_rule
FROM gift g JOIN gift_setting s ON s.id = g.setting_id
WHERE g.program_id = $1 AND g.id > $2 AND ($3::text IS NULL OR g.kind = $3)
  AND ($4::bigint IS NULL OR g.member_id = $4)
ORDER BY g.id LIMIT $5
"""

_OF_MEMBER = """
SELECT id, kind, trigger, occasion, status, skip_reason, points, entry_id, created_at, decided_at,
  revoked_at, revoke_reason
FROM gift WHERE program_id = $1 AND member_id = $2 ORDER BY id
"""


@dataclass(frozen=True, slots=True)
class SettingNow:
    """A gift's settings and its budget account in the current period."""

    settings: rules.GiftSettings
    period_start: Any
    budget: rules.Budget


async def settings_now(program_id: int, timezone: str, now: datetime) -> list[SettingNow]:
    today = now.astimezone(ZoneInfo(timezone)).date()
    starts = [rules.period_start(period, today) for period in rules.Period]
    rows = await connections.get("default").execute_query_dict(_SETTINGS, [program_id, *starts])
    found = []
    for row in rows:
        settings = settings_of(row)
        opened = row["total"] is not None
        found.append(
            SettingNow(
                settings,
                rules.period_start(settings.budget_period, today),
                rules.Budget(row["total"], row["remaining"])
                if opened
                else rules.Budget(settings.budget_points, settings.budget_points),
            )
        )
    return found


async def gifts_page(
    program_id: int,
    *,
    after_id: int | None,
    kind: rules.GiftKind | None,
    member_id: int | None,
    limit: int,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await connections.get("default").execute_query_dict(
        _GIFTS, [program_id, after_id or 0, kind.value if kind else None, member_id, limit]
    )
    return rows


async def export_part(connection: Any, program_id: int, member_id: int) -> dict[str, Any]:
    """The member's gifts, given, skipped (with the reason), revoked (when and why) and
    pending."""
    return {"gifts": await _rows(connection, _OF_MEMBER, program_id, member_id)}
