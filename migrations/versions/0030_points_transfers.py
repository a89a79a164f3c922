"""Points transfers between members: two new kinds of ledger entry (TRANSFER_OUT, TRANSFER_IN),
each program's transfer limits (`points_transfer_settings`, absent until an admin sets them: the
defaults of domain/transfers.py hold), and one `points_transfer` row per transfer naming both
members, the ledger entries on each side, the recipient's new lot, and its reversal once.

The ledger's trigger and guards (revisions 0002, 0008) are kind-agnostic: the transfer entries
move and check the balance like every other entry; only the kind CHECK learns the new kinds.

Revision ID: 0030
Revises: 0029
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

KINDS_BEFORE = (
    "EARN", "REDEEM", "EXPIRE", "REVERSE", "ADJUST", "ACTIVATE", "HOLD", "RELEASE", "REFUND",
)  # fmt: skip
KINDS = (*KINDS_BEFORE, "TRANSFER_OUT", "TRANSFER_IN")
ACTOR_MAX = 217  # domain.validation.ACTOR_MAX: role:subject, as points_entry.actor holds it


def _ref(name: str, table: str, *, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(
        name, sa.BigInteger, sa.ForeignKey(f"{table}.id", ondelete="RESTRICT"), nullable=nullable
    )


def _at(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.TIMESTAMP(timezone=True), nullable=nullable)


def _entry_kinds(kinds: tuple[str, ...]) -> None:
    op.drop_constraint("points_entry_kind", "points_entry")
    op.create_check_constraint("points_entry_kind", "points_entry", f"kind IN {kinds}")


def upgrade() -> None:
    _entry_kinds(KINDS)
    op.create_table(
        "points_transfer_settings",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        _ref("program_id", "program"),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("min_points", sa.Integer, nullable=False),
        sa.Column("max_points", sa.Integer, nullable=False),
        sa.Column("daily_sent_cap", sa.Integer, nullable=False),
        sa.Column("daily_received_cap", sa.Integer, nullable=False),
        sa.Column("min_membership_days", sa.Integer, nullable=False),
        _at("updated_at"),
        sa.UniqueConstraint("program_id", name="points_transfer_settings_program_id_key"),
        sa.CheckConstraint(
            "min_points >= 1 AND max_points >= min_points AND daily_sent_cap >= max_points"
            " AND daily_received_cap >= max_points AND min_membership_days >= 0",
            name="points_transfer_settings_bounds",
        ),
    )
    op.create_table(
        "points_transfer",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        _ref("program_id", "program"),
        _ref("sender_id", "member"),
        _ref("recipient_id", "member"),
        sa.Column("points", sa.Integer, nullable=False),
        sa.Column("message", sa.String(140), nullable=True),
        _ref("sent_entry_id", "points_entry"),
        _ref("received_entry_id", "points_entry"),
        _ref("received_lot_id", "points_lot"),
        # The program's day it counts toward for the daily caps (its own time zone).
        sa.Column("local_day", sa.Date, nullable=False),
        _at("created_at"),
        _at("reversed_at", nullable=True),
        sa.Column("reverse_reason", sa.String(200), nullable=True),
        sa.Column("reversed_by", sa.String(ACTOR_MAX), nullable=True),
        _ref("reverse_taken_entry_id", "points_entry", nullable=True),
        _ref("reverse_given_entry_id", "points_entry", nullable=True),
        sa.CheckConstraint("points > 0", name="points_transfer_points"),
        sa.CheckConstraint("sender_id <> recipient_id", name="points_transfer_not_self"),
        sa.CheckConstraint(
            "(reversed_at IS NULL) = (reverse_given_entry_id IS NULL)"
            " AND (reversed_at IS NULL) = (reverse_taken_entry_id IS NULL)"
            " AND (reversed_at IS NULL) = (reverse_reason IS NULL)",
            name="points_transfer_reversal",
        ),
    )
    # The daily caps, summed under each member's lock; and each member's transfers, newest first.
    op.create_index("points_transfer_sender_day", "points_transfer", ["sender_id", "local_day"])
    op.create_index(
        "points_transfer_recipient_day", "points_transfer", ["recipient_id", "local_day"]
    )
    op.create_index("points_transfer_program_id_id", "points_transfer", ["program_id", "id"])


def downgrade() -> None:
    op.drop_table("points_transfer")
    op.drop_table("points_transfer_settings")
    # Refused while transfer entries exist: the ledger is append-only, they are never dropped.
    _entry_kinds(KINDS_BEFORE)
