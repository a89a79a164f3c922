"""The reciprocity engine: give-first gifts, their budgets as program accounts, and the gifts given.

`gift_setting` holds each program's gift of a kind (at most one per kind). `gift_budget` is the
program-level account of one gift's budget in one period: a gift moves its points from it to the
member's ledger (the `points_entry` it names), and a CHECK keeps it from going below zero.
`gift` is one gift per trigger, given or skipped with its reason: the unique (program, kind,
member, trigger) makes a trigger give once, however many jobs run at once.

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

KINDS = "('WELCOME', 'BIRTHDAY', 'ANNIVERSARY', 'SURPRISE', 'THANK_YOU')"
PERIODS = "('WEEK', 'MONTH', 'YEAR')"


def _fk(table: str) -> sa.ForeignKey:
    return sa.ForeignKey(f"{table}.id", ondelete="RESTRICT")


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True)


def _program() -> sa.Column[int]:
    return sa.Column("program_id", sa.BigInteger, _fk("program"), nullable=False)


def _at(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.TIMESTAMP(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "gift_setting",
        _id(),
        _program(),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("points", sa.Integer, nullable=False),
        sa.Column("budget_points", sa.Integer, nullable=False),
        sa.Column("budget_period", sa.String(8), nullable=False),
        sa.Column("member_cap", sa.Integer, nullable=True),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("personalized", sa.Boolean, nullable=False),
        sa.Column("surprise_rule", sa.String(16), nullable=True),
        sa.Column("every_nth_order", sa.Integer, nullable=True),
        sa.Column("draw_basis_points", sa.Integer, nullable=True),
        sa.Column("draw_seed", sa.String(128), nullable=True),
        sa.Column("trigger_event_type", sa.String(64), nullable=True),
        sa.Column("trigger_post_kind", sa.String(32), nullable=True),
        _at("updated_at"),
        sa.UniqueConstraint("program_id", "kind", name="gift_setting_program_id_kind_key"),
        sa.CheckConstraint(f"kind IN {KINDS}", name="gift_setting_kind"),
        sa.CheckConstraint(f"budget_period IN {PERIODS}", name="gift_setting_period"),
        sa.CheckConstraint("points > 0 AND budget_points >= 0", name="gift_setting_amounts"),
    )
    op.create_table(
        "gift_budget",
        _id(),
        _program(),
        sa.Column("setting_id", sa.BigInteger, _fk("gift_setting"), nullable=False),
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("remaining", sa.Integer, nullable=False),
        sa.UniqueConstraint(
            "setting_id", "period", "period_start", name="gift_budget_setting_period_key"
        ),
        # The account never goes below zero, nor holds more than its budget.
        sa.CheckConstraint("remaining >= 0 AND remaining <= total", name="gift_budget_remaining"),
    )
    op.create_table(
        "gift",
        _id(),
        _program(),
        sa.Column("setting_id", sa.BigInteger, _fk("gift_setting"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("member_id", sa.BigInteger, _fk("member"), nullable=False),
        sa.Column("trigger", sa.String(160), nullable=False),
        sa.Column("occasion", sa.Integer, nullable=True),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("skip_reason", sa.String(16), nullable=True),
        sa.Column("points", sa.Integer, nullable=False),
        sa.Column("budget_id", sa.BigInteger, _fk("gift_budget"), nullable=True),
        sa.Column("entry_id", sa.BigInteger, _fk("points_entry"), nullable=True),
        sa.Column("period_start", sa.Date, nullable=True),
        _at("created_at"),
        _at("decided_at", nullable=True),
        sa.UniqueConstraint(
            "program_id", "kind", "member_id", "trigger", name="gift_once_per_trigger"
        ),
        sa.CheckConstraint("status IN ('PENDING', 'GIVEN', 'SKIPPED')", name="gift_status"),
        # A given gift is a transfer: from a budget account to a ledger entry, of its points.
        sa.CheckConstraint(
            "status <> 'GIVEN' OR (points > 0 AND budget_id IS NOT NULL AND entry_id IS NOT NULL)",
            name="gift_given_transfer",
        ),
        sa.CheckConstraint(
            "(status = 'SKIPPED') = (skip_reason IS NOT NULL)", name="gift_skip_reason"
        ),
    )
    op.create_index("gift_program_id_id", "gift", ["program_id", "id"])
    op.create_index(
        "gift_member_cap", "gift", ["member_id", "kind", "period_start"],
        postgresql_where=sa.text("status = 'GIVEN'"),
    )  # fmt: skip
    op.create_index("gift_pending", "gift", ["id"], postgresql_where=sa.text("status = 'PENDING'"))
    op.create_index("gift_budget_id", "gift", ["budget_id"])


def downgrade() -> None:
    for table in ("gift", "gift_budget", "gift_setting"):
        op.drop_table(table)
