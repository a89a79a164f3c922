"""Every subject a token may carry can write: the actor columns hold `role:subject` for the
longest subject the API accepts (domain.validation.ACTOR_MAX). Entries keep every figure within
what a 32-bit GraphQL Int can show, explanation lines included, as balances already do (0003).

The entry bounds are NOT VALID: entries are immutable, so one written before this revision cannot
be corrected, and it must not block the upgrade; every new entry is checked.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ACTOR_MAX = 217  # domain.validation.ACTOR_MAX when written: 16 for the role, ':', 200 subject
OLD_ACTOR_MAX = 200
INT_MAX = 2**31 - 1
FIGURES = (
    "points",
    "available_delta",
    "pending_delta",
    "debt_delta",
    "lifetime_delta",
    "available_after",
    "pending_after",
    "debt_after",
    "lifetime_after",
)
WIDENED = (("points_entry", "actor"), ("idempotency_key", "client"))


def _resize_actors(width: int, *, was: int) -> None:
    """Both ways of the revision: the actor columns from `was` characters to `width`."""
    for table, column in WIDENED:
        op.alter_column(
            table,
            column,
            type_=sa.String(width),
            existing_type=sa.String(was),
            existing_nullable=False,
        )


def upgrade() -> None:
    _resize_actors(ACTOR_MAX, was=OLD_ACTOR_MAX)
    bounds = " AND ".join(f"{column} BETWEEN -{INT_MAX} AND {INT_MAX}" for column in FIGURES)
    op.execute(
        f"ALTER TABLE points_entry ADD CONSTRAINT points_entry_bounds CHECK ({bounds}) NOT VALID"
    )
    op.execute(
        "ALTER TABLE points_entry ADD CONSTRAINT points_entry_explanation_bounds CHECK (NOT"
        f" jsonb_path_exists(explanation, '$.lines[*].points ? (@ > {INT_MAX} || @ < -{INT_MAX})'))"
        " NOT VALID"
    )


def downgrade() -> None:
    op.drop_constraint("points_entry_explanation_bounds", "points_entry")
    op.drop_constraint("points_entry_bounds", "points_entry")
    _resize_actors(OLD_ACTOR_MAX, was=ACTOR_MAX)
