"""Returns are found by the entry that records them: a ledger page shows each reversal's returnId
with one indexed lookup instead of a scan of every return.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("points_order_return_entry_id_idx", "points_order_return", ["entry_id"])


def downgrade() -> None:
    op.drop_index("points_order_return_entry_id_idx", "points_order_return")
