"""Tiers: per-program tier definitions and policy, members' tiers and their history, and the
monthly qualifying buckets that keep qualifying totals without reading the ledger.

Buckets hold both metrics (points and money spent), so a program may switch its metric without
rebuilding them. Amounts are never negative: a return takes back at most what its order added.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ACTOR_MAX = 217  # domain.validation.ACTOR_MAX when this revision was written


def _fk(table: str) -> sa.ForeignKey:
    return sa.ForeignKey(f"{table}.id", ondelete="RESTRICT")


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True)


def _program() -> sa.Column[int]:
    return sa.Column("program_id", sa.BigInteger, _fk("program"), nullable=False)


def _key(name: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(32), nullable=nullable)


def _at(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.TIMESTAMP(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "tier_policy",
        _id(),
        sa.Column("program_id", sa.BigInteger, _fk("program"), nullable=False, unique=True),
        sa.Column("policy", sa.dialects.postgresql.JSONB, nullable=False),
        # Why an admin asked for a re-evaluation, until the job has applied the tiers to all.
        sa.Column("reevaluate_reason", sa.String(500), nullable=True),
        _at("updated_at"),
    )
    op.create_table(
        "tier",
        _id(),
        _program(),
        _key("key"),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("threshold", sa.Numeric(20, 4), nullable=False),
        sa.Column("multiplier", sa.Numeric(6, 2), nullable=False),
        sa.Column("position", sa.SmallInteger, nullable=False),
        sa.UniqueConstraint("program_id", "key", name="tier_program_id_key_key"),
        sa.CheckConstraint("threshold >= 0 AND multiplier >= 1", name="tier_bounds"),
    )
    op.create_table(
        "member_tier",
        _id(),
        sa.Column("member_id", sa.BigInteger, _fk("member"), nullable=False, unique=True),
        _program(),
        _key("tier_key"),
        _at("since"),
        sa.Column("assigned_reason", sa.String(500), nullable=True),
        sa.Column("assigned_until", sa.Date, nullable=True),
        sa.Column("downgrade_on", sa.Date, nullable=True),
        sa.Column("retain_since", sa.Date, nullable=True),
        sa.Column("evaluate_on", sa.Date, nullable=True),
    )
    # The evaluation job walks a program's members by id.
    op.create_index(
        "member_tier_program_id_member_id_idx", "member_tier", ["program_id", "member_id"]
    )
    op.create_table(
        "tier_history",
        _id(),
        _program(),
        sa.Column("member_id", sa.BigInteger, _fk("member"), nullable=False),
        _key("from_key", nullable=True),
        _key("to_key"),
        sa.Column("reason_code", sa.String(32), nullable=False),
        sa.Column("note", sa.String(500), nullable=True),
        sa.Column("actor", sa.String(ACTOR_MAX), nullable=False),
        _at("created_at"),
    )
    op.create_index("tier_history_member_id_id_idx", "tier_history", ["member_id", "id"])
    op.create_table(
        "tier_bucket",
        _id(),
        sa.Column("member_id", sa.BigInteger, _fk("member"), nullable=False),
        sa.Column("month", sa.Date, nullable=False),
        sa.Column("points", sa.BigInteger, nullable=False),
        sa.Column("spend", sa.Numeric(20, 4), nullable=False),
        sa.UniqueConstraint("member_id", "month", name="tier_bucket_member_id_month_key"),
        sa.CheckConstraint("points >= 0 AND spend >= 0", name="tier_bucket_non_negative"),
    )


def downgrade() -> None:
    for table in ("tier_bucket", "tier_history", "member_tier", "tier", "tier_policy"):
        op.drop_table(table)
