"""Community rows in the database: the program's settings, posts as read by the writes, and the
review figures of each reviewed SKU or reward."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from domain.community import PostKind, Settings
from domain.events import CommunityPostEvent

_SETTINGS = """
SELECT requires_approval, posts_per_day, reactions_per_hour, reports_per_day, helpful_threshold,
       daily_points_cap, weekly_points_cap
FROM community_settings WHERE program_id = $1
"""
_SAVE = """
INSERT INTO community_settings (program_id, requires_approval, posts_per_day, reactions_per_hour,
  reports_per_day, helpful_threshold, daily_points_cap, weekly_points_cap, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (program_id) DO UPDATE SET requires_approval = EXCLUDED.requires_approval,
  posts_per_day = EXCLUDED.posts_per_day, reactions_per_hour = EXCLUDED.reactions_per_hour,
  reports_per_day = EXCLUDED.reports_per_day, helpful_threshold = EXCLUDED.helpful_threshold,
  daily_points_cap = EXCLUDED.daily_points_cap, weekly_points_cap = EXCLUDED.weekly_points_cap,
  updated_at = EXCLUDED.updated_at
"""
POST_COLUMNS = """p.id, p.member_id, p.kind, p.status, p.title, p.body, p.rating, p.sku,
  p.reward_id, p.question_id, p.reject_reason, p.helpful_count, p.like_count, p.open_reports,
  p.points_entry_id, p.points, p.bonus_entry_id, p.bonus_points, p.created_at, p.updated_at,
  p.moderated_at"""
_AUTHOR = "SELECT member_id FROM community_post WHERE program_id = $1 AND id = $2"
_LOCKED_POST = f"SELECT {POST_COLUMNS} FROM community_post p WHERE p.id = $1 FOR UPDATE"  # noqa: S608
_LOCK_MEMBER = "SELECT status FROM member WHERE id = $1 FOR NO KEY UPDATE"
_COUNT_REVIEW = """
INSERT INTO community_review_stats (program_id, subject, review_count, rating_sum, updated_at)
VALUES ($1, $2, 1, $3, $4)
ON CONFLICT (program_id, subject) DO UPDATE SET
  review_count = community_review_stats.review_count + 1,
  rating_sum = community_review_stats.rating_sum + EXCLUDED.rating_sum,
  updated_at = EXCLUDED.updated_at
"""
# A plain UPDATE: PostgreSQL checks the row an INSERT proposes before it looks for a conflict,
# so an upsert of (-1, -rating) would break the table's CHECK even when the row exists. The
# subject's row exists for every approved review (its approval made it).
_UNCOUNT_REVIEW = """
UPDATE community_review_stats SET review_count = review_count - 1,
  rating_sum = rating_sum - $3, updated_at = $4
WHERE program_id = $1 AND subject = $2 RETURNING id
"""


def settings_from(row: dict[str, Any]) -> Settings:
    return Settings(
        requires_approval=row["requires_approval"],
        posts_per_day=row["posts_per_day"],
        reactions_per_hour=row["reactions_per_hour"],
        reports_per_day=row["reports_per_day"],
        helpful_threshold=row["helpful_threshold"],
        daily_points_cap=row["daily_points_cap"],
        weekly_points_cap=row["weekly_points_cap"],
    )


async def load_settings(connection: BaseDBAsyncClient, program_id: int) -> Settings:
    """The program's settings, or the defaults until configureCommunity."""
    rows = await connection.execute_query_dict(_SETTINGS, [program_id])
    return settings_from(rows[0]) if rows else Settings()


async def save_settings(
    connection: BaseDBAsyncClient, program_id: int, s: Settings, now: datetime
) -> None:
    await connection.execute_query_dict(
        _SAVE,
        [
            program_id, s.requires_approval, s.posts_per_day, s.reactions_per_hour,
            s.reports_per_day, s.helpful_threshold, s.daily_points_cap, s.weekly_points_cap, now,
        ],
    )  # fmt: skip


async def lock_post(
    connection: BaseDBAsyncClient, program_id: int, post_id: int
) -> tuple[dict[str, Any], str] | None:
    """The post, locked after its author's member row (backbone/locks.py: members first), with
    the author's status; None when the program has no such post."""
    found = await connection.execute_query_dict(_AUTHOR, [program_id, post_id])
    if not found:
        return None
    [author] = await connection.execute_query_dict(_LOCK_MEMBER, [found[0]["member_id"]])
    [post] = await connection.execute_query_dict(_LOCKED_POST, [post_id])
    return post, author["status"]


def facts(program_id: int, post: dict[str, Any]) -> dict[str, Any]:
    """What every event of a post says about it (ids and figures, never its text)."""
    return {
        "program_id": program_id,
        "member_id": post["member_id"],
        "post_id": post["id"],
        "kind": post["kind"],
        "rating": post["rating"],
        "sku": post["sku"],
        "reward_id": post["reward_id"],
        "question_id": post["question_id"],
    }


def review_subject(sku: str | None, reward_id: int | None) -> str:
    return f"sku:{sku}" if sku is not None else f"reward:{reward_id}"


async def count_review(
    connection: BaseDBAsyncClient, event: CommunityPostEvent, sign: int, now: datetime
) -> None:
    """Add (sign 1) or take away (-1) one approved review from its subject's figures."""
    if event.kind != PostKind.REVIEW or event.rating is None:
        return
    subject = review_subject(event.sku, event.reward_id)
    values = [event.program_id, subject, event.rating, now]
    if sign > 0:
        await connection.execute_query_dict(_COUNT_REVIEW, values)
    elif not await connection.execute_query_dict(_UNCOUNT_REVIEW, values):
        raise RuntimeError(f"no review figures for {subject} to take an approved review from")
