"""What the challenges area shows: the catalog, a member's challenges and badges."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from tortoise import connections

from loyalty.challenges.models import Badge, Challenge
from loyalty.export_parts import _rows

SHOWN_MAX = 100  # a member's challenges or badges in one answer, newest first

# The member's enrolments, and the AUTO challenges it takes part in without having counted yet.
_MEMBER_CHALLENGES = """
SELECT c.id AS challenge_id, e.progress, e.joined_at, e.completed_at FROM challenge c
LEFT JOIN challenge_enrolment e ON e.challenge_id = c.id AND e.member_id = $2
WHERE c.program_id = $1
  AND (e.id IS NOT NULL OR (c.active AND c.enrolment = 'AUTO' AND c.ends_at > $3))
ORDER BY c.id DESC LIMIT $4
"""
_MEMBER_BADGES = """
SELECT badge_id, challenge_id, awarded_at FROM member_badge WHERE member_id = $1
ORDER BY awarded_at DESC, id DESC LIMIT $2
"""

_EXPORT_ENROLMENTS = """
SELECT c.id AS challenge_id, c.name, e.progress, e.joined_at, e.completed_at
FROM challenge_enrolment e JOIN challenge c ON c.id = e.challenge_id
WHERE c.program_id = $1 AND e.member_id = $2 ORDER BY e.id
"""
_EXPORT_BADGES = """
SELECT b.id AS badge_id, b.name, mb.challenge_id, mb.awarded_at
FROM member_badge mb JOIN badge b ON b.id = mb.badge_id
WHERE b.program_id = $1 AND mb.member_id = $2 ORDER BY mb.id
"""


async def challenges_page(
    program_id: int, *, after_id: int | None, limit: int, active_only: bool
) -> list[Challenge]:
    query = Challenge.filter(program_id=program_id, id__gt=after_id or 0)
    if active_only:
        query = query.filter(active=True)
    return await query.order_by("id").limit(limit)


async def badges_page(program_id: int, *, after_id: int | None, limit: int) -> list[Badge]:
    query = Badge.filter(program_id=program_id, id__gt=after_id or 0)
    return await query.order_by("id").limit(limit)


async def find_challenge(program_id: int, challenge_id: int) -> Challenge | None:
    return await Challenge.get_or_none(id=challenge_id, program_id=program_id)


async def find_badge(program_id: int, badge_id: int) -> Badge | None:
    return await Badge.get_or_none(id=badge_id, program_id=program_id)


async def challenges_by_id(ids: Sequence[int]) -> dict[int, Challenge]:
    return {c.id: c for c in await Challenge.filter(id__in=list(ids))}


async def badges_by_id(ids: Sequence[int]) -> dict[int, Badge]:
    return {b.id: b for b in await Badge.filter(id__in=list(ids))}


async def member_challenges(program_id: int, member_id: int, now: datetime) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await connections.get("default").execute_query_dict(
        _MEMBER_CHALLENGES, [program_id, member_id, now, SHOWN_MAX]
    )
    return rows


async def member_badges(member_id: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await connections.get("default").execute_query_dict(
        _MEMBER_BADGES, [member_id, SHOWN_MAX]
    )
    return rows


async def export_part(connection: Any, program_id: int, member_id: int) -> dict[str, Any]:
    """The member's part in challenges (progress, completion) and the badges it holds."""
    return {
        "challenges": await _rows(connection, _EXPORT_ENROLMENTS, program_id, member_id),
        "badges": await _rows(connection, _EXPORT_BADGES, program_id, member_id),
    }
