"""Reading the community: the program's feed, a member's own posts, the moderation queue, one
post, review figures, and the member's part of its data export. Keyset pages by post key."""

from __future__ import annotations

from typing import Any

from tortoise import connections

from loyalty.community.store import POST_COLUMNS
from loyalty.export_parts import _rows

_WITH_AUTHOR = f"""
SELECT {POST_COLUMNS}, m.display_name AS author_name, m.status AS author_status
FROM community_post p JOIN member m ON m.id = p.member_id
"""  # noqa: S608 - constant fragment
_FEED = (
    _WITH_AUTHOR
    + """
WHERE p.program_id = $1 AND p.status = 'APPROVED' AND ($2::text IS NULL OR p.kind = $2)
  AND ($3::text IS NULL OR p.sku = $3) AND ($4::bigint IS NULL OR p.id < $4)
ORDER BY p.id DESC LIMIT $5
"""
)
_OF_MEMBER = (
    _WITH_AUTHOR
    + """
WHERE p.program_id = $1 AND p.member_id = $2 AND ($3::bigint IS NULL OR p.id < $3)
ORDER BY p.id DESC LIMIT $4
"""
)
# Oldest first: what waits longest is decided first.
_QUEUE = (
    _WITH_AUTHOR
    + """
WHERE p.program_id = $1 AND (p.status = 'PENDING' OR (p.status = 'APPROVED' AND p.open_reports > 0))
  AND p.id > $2
ORDER BY p.id LIMIT $3
"""
)
_ONE = _WITH_AUTHOR + "WHERE p.program_id = $1 AND p.id = $2"
_STATS = """
SELECT subject, review_count, rating_sum FROM community_review_stats
WHERE program_id = $1 AND subject = ANY($2::text[])
"""
_EXPORT_POSTS = """
SELECT id, kind, status, title, body, rating, sku, reward_id, question_id, reject_reason,
       helpful_count, like_count, points, bonus_points, created_at, moderated_at
FROM community_post WHERE program_id = $1 AND member_id = $2 ORDER BY id
"""
_EXPORT_REACTIONS = """
SELECT r.post_id, r.kind, r.created_at FROM community_reaction r
JOIN community_post p ON p.id = r.post_id WHERE p.program_id = $1 AND r.member_id = $2
ORDER BY r.id
"""
_EXPORT_REPORTS = """
SELECT r.post_id, r.reason, r.created_at, r.resolved_at FROM community_report r
JOIN community_post p ON p.id = r.post_id WHERE p.program_id = $1 AND r.member_id = $2
ORDER BY r.id
"""


async def _query(sql: str, values: list[Any]) -> list[dict[str, Any]]:
    rows = await connections.get("default").execute_query_dict(sql, values)
    return [dict(row) for row in rows]


async def feed(
    program_id: int, *, kind: str | None, sku: str | None, before_id: int | None, limit: int
) -> list[dict[str, Any]]:
    return await _query(_FEED, [program_id, kind, sku, before_id, limit])


async def of_member(
    program_id: int, member_id: int, *, before_id: int | None, limit: int
) -> list[dict[str, Any]]:
    return await _query(_OF_MEMBER, [program_id, member_id, before_id, limit])


async def queue(program_id: int, *, after_id: int | None, limit: int) -> list[dict[str, Any]]:
    return await _query(_QUEUE, [program_id, after_id or 0, limit])


async def one(program_id: int, post_id: int) -> dict[str, Any] | None:
    rows = await _query(_ONE, [program_id, post_id])
    return rows[0] if rows else None


async def review_figures(program_id: int, subjects: list[str]) -> dict[str, tuple[int, int]]:
    """(count, rating sum) of the approved reviews of each subject (`sku:X`, `reward:N`)."""
    rows = await _query(_STATS, [program_id, subjects])
    return {row["subject"]: (row["review_count"], row["rating_sum"]) for row in rows}


async def export_part(connection: Any, program_id: int, member_id: int) -> dict[str, Any]:
    """The member's posts in every state, its reactions and its reports."""
    return {
        "community": {
            "posts": await _rows(connection, _EXPORT_POSTS, program_id, member_id),
            "reactions": await _rows(connection, _EXPORT_REACTIONS, program_id, member_id),
            "reports": await _rows(connection, _EXPORT_REPORTS, program_id, member_id),
        }
    }
