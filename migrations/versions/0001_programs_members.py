"""Programs (tenants) and their members.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "program",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(63), nullable=False, unique=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("default_locale", sa.String(35), nullable=False),
        sa.Column("created_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("updated_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.CheckConstraint("key ~ '^[a-z0-9][a-z0-9-]{1,62}$'", name="program_key_slug"),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name="program_currency_code"),
    )
    op.create_table(
        "member",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column(
            "program_id",
            sa.BigInteger,
            sa.ForeignKey("program.id", ondelete="RESTRICT"),
            nullable=False,
        ),
        sa.Column("external_id", sa.String(128), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("birthday", sa.Date, nullable=True),
        sa.Column("locale", sa.String(35), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("updated_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.UniqueConstraint("program_id", "external_id", name="member_program_external_id_key"),
        sa.CheckConstraint("status IN ('ACTIVE', 'SUSPENDED', 'ERASED')", name="member_status"),
    )
    op.create_index("member_program_id_id_idx", "member", ["program_id", "id"])


def downgrade() -> None:
    op.drop_table("member")
    op.drop_table("program")
