"""Programs count their configuration changes: a write checks, inside its own transaction, that
the program it cached is still the one in force, without locking the program row.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "program",
        sa.Column("config_version", sa.BigInteger, nullable=False, server_default=sa.text("0")),
    )


def downgrade() -> None:
    op.drop_column("program", "config_version")
