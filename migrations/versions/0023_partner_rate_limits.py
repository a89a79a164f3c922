"""A partner client's own throttling bucket: maximum points and restore rate per second, or
neither (the partner role's default bucket applies).

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

# domain/throttling.py when this revision was written.
MIN_BUCKET = 5010
MAX_BUCKET = 1_000_000
MAX_RESTORE = 100_000


def upgrade() -> None:
    op.add_column("partner_client", sa.Column("rate_limit_maximum", sa.Integer, nullable=True))
    op.add_column("partner_client", sa.Column("rate_limit_restore", sa.Integer, nullable=True))
    op.create_check_constraint(
        "partner_client_rate_limit",
        "partner_client",
        "(rate_limit_maximum IS NULL AND rate_limit_restore IS NULL) OR"
        f" (rate_limit_maximum BETWEEN {MIN_BUCKET} AND {MAX_BUCKET}"
        f" AND rate_limit_restore BETWEEN 1 AND {MAX_RESTORE})",
    )


def downgrade() -> None:
    op.drop_constraint("partner_client_rate_limit", "partner_client")
    op.drop_column("partner_client", "rate_limit_restore")
    op.drop_column("partner_client", "rate_limit_maximum")
