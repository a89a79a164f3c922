"""Challenges undone by returns and removals: what each contribution was about, signed units,
and the reward's lot.

A contribution names its subject (`order:<id>`, `post:<id>`) so a later return of the order or
removal of the post finds what it counted and adds the opposite: `units` is +1 for a counting
event, -1 for one that undoes it (0 for a partial return, which only lowers the amount). Rows
written before this revision each counted one event: they get 1 and no subject. The enrolment
remembers the lot its reward points were posted to, so a reverted completion takes back those
points first (still pending while the order that completed it is).

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

# domain/challenge_undoing.py when this revision was written.
SUBJECT_MAX = 160


def upgrade() -> None:
    op.add_column(
        "challenge_contribution",
        sa.Column("units", sa.Integer, nullable=False, server_default="1"),
    )
    op.alter_column("challenge_contribution", "units", server_default=None)
    op.add_column(
        "challenge_contribution", sa.Column("subject", sa.String(SUBJECT_MAX), nullable=True)
    )
    op.create_check_constraint(
        "challenge_contribution_units", "challenge_contribution", "units BETWEEN -1 AND 1"
    )
    op.create_index(
        "challenge_contribution_subject_idx",
        "challenge_contribution",
        ["subject"],
        postgresql_where=sa.text("subject IS NOT NULL"),
    )
    op.add_column(
        "challenge_enrolment",
        sa.Column(
            "reward_lot_id",
            sa.BigInteger,
            sa.ForeignKey("points_lot.id", ondelete="RESTRICT"),
            nullable=True,
        ),
    )


def downgrade() -> None:
    op.drop_column("challenge_enrolment", "reward_lot_id")
    op.drop_index("challenge_contribution_subject_idx", table_name="challenge_contribution")
    op.drop_constraint("challenge_contribution_units", "challenge_contribution")
    op.drop_column("challenge_contribution", "subject")
    op.drop_column("challenge_contribution", "units")
