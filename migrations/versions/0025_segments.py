"""Segments and scores: member_reorder keyed by a surrogate id (Tortoise maps no composite
primary key), its (member_id, sku) still unique, so upserts keep `ON CONFLICT (member_id, sku)`.

Revision ID: 0025
Revises: 0024
"""

from __future__ import annotations

from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint("member_reorder_pkey", "member_reorder", type_="primary")
    op.execute("ALTER TABLE member_reorder ADD COLUMN id bigserial NOT NULL")
    op.create_primary_key("member_reorder_pkey", "member_reorder", ["id"])
    op.create_unique_constraint("member_reorder_member_sku", "member_reorder", ["member_id", "sku"])


def downgrade() -> None:
    op.drop_constraint("member_reorder_member_sku", "member_reorder", type_="unique")
    op.drop_constraint("member_reorder_pkey", "member_reorder", type_="primary")
    op.drop_column("member_reorder", "id")
    op.create_primary_key("member_reorder_pkey", "member_reorder", ["member_id", "sku"])
