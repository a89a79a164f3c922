"""Gifts undone: a given gift revoked when its order is fully returned or its post removed.

A revoked gift keeps its transfer (budget account, ledger entry, points) for the record, and
says when and why it was revoked; its points were taken back by a REVERSE entry and credited
back to that budget account, whose CHECK keeps `remaining` within 0..total. An index on the
trigger finds the gifts an order's return or a post's removal undoes, whoever they went to.

Downgrading turns revoked gifts into skipped ones with the same reason (the earlier schema has
no REVOKED; their points are back in the budget either way).

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

_GIVEN_TRANSFER = "points > 0 AND budget_id IS NOT NULL AND entry_id IS NOT NULL"


def upgrade() -> None:
    op.add_column("gift", sa.Column("revoked_at", sa.TIMESTAMP(timezone=True), nullable=True))
    op.add_column("gift", sa.Column("revoke_reason", sa.String(16), nullable=True))
    op.drop_constraint("gift_status", "gift", type_="check")
    op.create_check_constraint(
        "gift_status", "gift", "status IN ('PENDING', 'GIVEN', 'SKIPPED', 'REVOKED')"
    )
    # A revoked gift was given: the transfer it undid stays named.
    op.drop_constraint("gift_given_transfer", "gift", type_="check")
    op.create_check_constraint(
        "gift_given_transfer", "gift", f"status NOT IN ('GIVEN', 'REVOKED') OR ({_GIVEN_TRANSFER})"
    )
    op.create_check_constraint(
        "gift_revoked",
        "gift",
        "(status = 'REVOKED') = (revoke_reason IS NOT NULL)"
        " AND (revoke_reason IS NULL) = (revoked_at IS NULL)"
        " AND (revoke_reason IS NULL OR revoke_reason IN ('ORDER_RETURNED', 'POST_REMOVED'))",
    )
    op.create_index("gift_program_id_trigger", "gift", ["program_id", "trigger"])


def downgrade() -> None:
    op.drop_index("gift_program_id_trigger", table_name="gift")
    op.drop_constraint("gift_revoked", "gift", type_="check")
    op.execute(
        "UPDATE gift SET status = 'SKIPPED', skip_reason = revoke_reason WHERE status = 'REVOKED'"
    )
    op.drop_constraint("gift_given_transfer", "gift", type_="check")
    op.create_check_constraint(
        "gift_given_transfer", "gift", f"status <> 'GIVEN' OR ({_GIVEN_TRANSFER})"
    )
    op.drop_constraint("gift_status", "gift", type_="check")
    op.create_check_constraint("gift_status", "gift", "status IN ('PENDING', 'GIVEN', 'SKIPPED')")
    op.drop_column("gift", "revoke_reason")
    op.drop_column("gift", "revoked_at")
