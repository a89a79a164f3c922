"""Lots remember what expired (so a later return does not take it twice); balances stay within
what a 32-bit GraphQL Int can show.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

INT_MAX = 2**31 - 1


def upgrade() -> None:
    op.add_column(
        "points_lot",
        sa.Column("expired", sa.BigInteger, nullable=False, server_default=sa.text("0")),
    )
    op.create_check_constraint(
        "points_lot_expired", "points_lot", "expired >= 0 AND remaining + expired <= points"
    )
    op.create_check_constraint(
        "points_balance_bounds",
        "points_balance",
        " AND ".join(
            f"{column} BETWEEN -{INT_MAX} AND {INT_MAX}"
            for column in ("available", "pending", "debt", "lifetime_earned")
        ),
    )


def downgrade() -> None:
    op.drop_constraint("points_balance_bounds", "points_balance")
    op.drop_constraint("points_lot_expired", "points_lot")
    op.drop_column("points_lot", "expired")
