"""Challenges and badges: goals over the event log, progress and completions.

Each program's badges and challenges; a member's enrolment in a challenge (its progress, and
when it completed: at most once, by the unique enrolment per challenge and member); the events
that counted toward an enrolment (one row per event, so an event delivered twice counts once);
and the badges members hold (one per badge and member).

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# domain/challenges.py when this revision was written.
NAME_MAX = 100
DESCRIPTION_MAX = 500
IMAGE_URL_MAX = 2048
EVENT_TYPE_MAX = 64
FIELD_MAX = 64


def _fk(table: str) -> sa.ForeignKey:
    return sa.ForeignKey(f"{table}.id", ondelete="RESTRICT")


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True)


def _ref(table: str, *, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(f"{table}_id", sa.BigInteger, _fk(table), nullable=nullable)


def _at(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.TIMESTAMP(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "badge",
        _id(),
        _ref("program"),
        sa.Column("name", sa.String(NAME_MAX), nullable=False),
        sa.Column("description", sa.String(DESCRIPTION_MAX), nullable=False),
        sa.Column("image_url", sa.String(IMAGE_URL_MAX), nullable=False),
        _at("created_at"),
    )
    op.create_table(
        "challenge",
        _id(),
        _ref("program"),
        sa.Column("name", sa.String(NAME_MAX), nullable=False),
        sa.Column("description", sa.String(DESCRIPTION_MAX), nullable=False),
        sa.Column("goal_kind", sa.String(16), nullable=False),
        sa.Column("target", sa.Numeric(20, 4), nullable=False),
        sa.Column("event_type", sa.String(EVENT_TYPE_MAX), nullable=False),
        sa.Column("matches", sa.dialects.postgresql.JSONB, nullable=False),
        sa.Column("counts_for", sa.String(FIELD_MAX), nullable=True),
        _at("starts_at"),
        _at("ends_at"),
        sa.Column("enrolment", sa.String(16), nullable=False),
        sa.Column("reward_points", sa.Integer, nullable=False),
        _ref("badge", nullable=True),
        sa.Column("active", sa.Boolean, nullable=False),
        # Members who completed it, kept by the completing transaction itself.
        sa.Column("completions", sa.Integer, nullable=False),
        _at("created_at"),
        _at("updated_at"),
    )
    # The consumer's one lookup per event: the program's challenges reading its type.
    op.create_index(
        "challenge_program_id_event_type_idx", "challenge", ["program_id", "event_type"]
    )
    op.create_table(
        "challenge_enrolment",
        _id(),
        _ref("challenge"),
        _ref("member"),
        sa.Column("progress", sa.Numeric(20, 4), nullable=False),
        _at("joined_at"),
        _at("completed_at", nullable=True),
        sa.UniqueConstraint(
            "challenge_id", "member_id", name="challenge_enrolment_challenge_id_member_id_key"
        ),
    )
    op.create_index("challenge_enrolment_member_id_idx", "challenge_enrolment", ["member_id"])
    op.create_table(
        "challenge_contribution",
        _id(),
        _ref("challenge_enrolment"),
        sa.Column("event_id", sa.BigInteger, nullable=False),
        sa.Column("bucket", sa.String(7), nullable=False),
        sa.Column("amount", sa.Numeric(20, 4), nullable=False),
        sa.UniqueConstraint(
            "challenge_enrolment_id",
            "event_id",
            name="challenge_contribution_challenge_enrolment_id_event_id_key",
        ),
    )
    op.create_table(
        "member_badge",
        _id(),
        _ref("member"),
        _ref("badge"),
        _ref("challenge"),
        _at("awarded_at"),
        sa.UniqueConstraint("member_id", "badge_id", name="member_badge_member_id_badge_id_key"),
    )


def downgrade() -> None:
    for table in (
        "member_badge",
        "challenge_contribution",
        "challenge_enrolment",
        "challenge",
        "badge",
    ):
        op.drop_table(table)
