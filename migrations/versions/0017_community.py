"""Community: each program's community settings, members' posts (reviews, tips, questions,
answers) with their moderation, reactions (one of each kind per member and post), reports of
abuse, and the review figures of each reviewed SKU or reward, kept in step with moderation.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

ACTOR_MAX = 217  # domain.validation.ACTOR_MAX when this revision was written
TITLE_MAX = 150  # domain.community's limits when this revision was written
REASON_MAX = 500
SKU_MAX = 128
SUBJECT_MAX = 160  # "sku:" + a SKU, or "reward:" + a reward key


def _fk(table: str) -> sa.ForeignKey:
    return sa.ForeignKey(f"{table}.id", ondelete="RESTRICT")


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True)


def _ref(name: str, table: str, *, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger, _fk(table), nullable=nullable)


def _at(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.TIMESTAMP(timezone=True), nullable=nullable)


def _count(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.Integer, nullable=False)


def upgrade() -> None:
    op.create_table(
        "community_settings",
        _id(),
        sa.Column("program_id", sa.BigInteger, _fk("program"), nullable=False, unique=True),
        sa.Column("requires_approval", sa.Boolean, nullable=False),
        _count("posts_per_day"),
        _count("reactions_per_hour"),
        _count("reports_per_day"),
        _count("helpful_threshold"),
        sa.Column("daily_points_cap", sa.Integer, nullable=True),
        sa.Column("weekly_points_cap", sa.Integer, nullable=True),
        _at("updated_at"),
    )
    op.create_table(
        "community_post",
        _id(),
        _ref("program_id", "program"),
        _ref("member_id", "member"),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("title", sa.String(TITLE_MAX), nullable=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("rating", sa.Integer, nullable=True),
        sa.Column("sku", sa.String(SKU_MAX), nullable=True),
        _ref("reward_id", "reward", nullable=True),
        _ref("question_id", "community_post", nullable=True),
        sa.Column("reject_reason", sa.String(REASON_MAX), nullable=True),
        _count("helpful_count"),
        _count("like_count"),
        _count("open_reports"),
        _at("helpful_at", nullable=True),
        sa.Column("points_entry_id", sa.BigInteger, nullable=True),
        _count("points"),
        sa.Column("bonus_entry_id", sa.BigInteger, nullable=True),
        _count("bonus_points"),
        sa.Column("moderated_by", sa.String(ACTOR_MAX), nullable=True),
        _at("moderated_at", nullable=True),
        _at("created_at"),
        _at("updated_at"),
        sa.CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5"),
        sa.CheckConstraint(
            "helpful_count >= 0 AND like_count >= 0 AND open_reports >= 0"
            " AND points >= 0 AND bonus_points >= 0"
        ),
    )
    # The feed (a program's approved posts, newest first), a member's own posts, the queue.
    op.create_index("community_post_feed_idx", "community_post", ["program_id", "status", "id"])
    op.create_index("community_post_member_idx", "community_post", ["member_id", "id"])
    op.create_table(
        "community_reaction",
        _id(),
        _ref("post_id", "community_post"),
        _ref("member_id", "member"),
        sa.Column("kind", sa.String(16), nullable=False),
        _at("created_at"),
        sa.UniqueConstraint(
            "post_id", "member_id", "kind", name="community_reaction_post_member_kind_key"
        ),
    )
    op.create_table(
        "community_report",
        _id(),
        _ref("post_id", "community_post"),
        _ref("member_id", "member"),
        sa.Column("reason", sa.String(REASON_MAX), nullable=True),
        _at("created_at"),
        _at("resolved_at", nullable=True),
        sa.UniqueConstraint("post_id", "member_id", name="community_report_post_member_key"),
    )
    op.create_table(
        "community_review_stats",
        _id(),
        _ref("program_id", "program"),
        sa.Column("subject", sa.String(SUBJECT_MAX), nullable=False),
        _count("review_count"),
        sa.Column("rating_sum", sa.BigInteger, nullable=False),
        _at("updated_at"),
        sa.UniqueConstraint(
            "program_id", "subject", name="community_review_stats_program_subject_key"
        ),
        sa.CheckConstraint(
            "review_count >= 0 AND rating_sum BETWEEN review_count AND 5 * review_count"
        ),
    )


def downgrade() -> None:
    for table in (
        "community_review_stats",
        "community_report",
        "community_reaction",
        "community_post",
        "community_settings",
    ):
        op.drop_table(table)
