"""Predictions: the lines of each order, the program's co-purchase rules and its fitted model.

`points_order_line` keeps what a storefront reported an order contained (awardPoints' `lines`),
written in the award's own statement: purchase cycles (member_reorder) and co-purchases are read
from it. `product_association` is one association rule "orders with `sku` also hold `other_sku`"
per program with its support (orders holding both), confidence and lift, recomputed by the
predictions job. `prediction_fit` is the program's last fit of the BG/NBD model: its parameters
and version, or why it could not be fitted (too little data).

Revision ID: 0026
Revises: 0025
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

SKU_MAX = 128  # domain/earning.py REFERENCE_MAX
VERSION_MAX = 64
FIT_STATUSES = "('FITTED', 'INSUFFICIENT_DATA')"


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
        "points_order_line",
        _id(),
        sa.Column("order_id", sa.BigInteger, _fk("points_order"), nullable=False),
        _program(),
        sa.Column("member_id", sa.BigInteger, _fk("member"), nullable=False),
        sa.Column("line_no", sa.Integer, nullable=False),
        sa.Column("sku", sa.String(SKU_MAX), nullable=False),
        sa.Column("category", sa.String(SKU_MAX), nullable=True),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("unit_price", sa.Numeric(20, 4), nullable=False),
        sa.UniqueConstraint("order_id", "line_no", name="points_order_line_key"),
        sa.CheckConstraint("quantity > 0 AND unit_price >= 0", name="points_order_line_values"),
    )
    op.create_index("points_order_line_member_sku", "points_order_line", ["member_id", "sku"])
    op.create_index("points_order_line_program_sku", "points_order_line", ["program_id", "sku"])
    op.create_table(
        "product_association",
        _id(),
        _program(),
        sa.Column("sku", sa.String(SKU_MAX), nullable=False),
        sa.Column("other_sku", sa.String(SKU_MAX), nullable=False),
        sa.Column("support", sa.Integer, nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("lift", sa.Float, nullable=False),
        _at("computed_at"),
        sa.UniqueConstraint("program_id", "sku", "other_sku", name="product_association_key"),
        sa.CheckConstraint(
            "support >= 1 AND confidence > 0 AND confidence <= 1 AND lift > 0 AND sku <> other_sku",
            name="product_association_values",
        ),
    )
    op.create_table(
        "prediction_fit",
        _id(),
        sa.Column("program_id", sa.BigInteger, _fk("program"), nullable=False, unique=True),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("model_version", sa.String(VERSION_MAX), nullable=True),
        sa.Column("r", sa.Float, nullable=True),
        sa.Column("alpha", sa.Float, nullable=True),
        sa.Column("a", sa.Float, nullable=True),
        sa.Column("b", sa.Float, nullable=True),
        sa.Column("members", sa.Integer, nullable=False),
        sa.Column("repeat_members", sa.Integer, nullable=False),
        sa.Column("log_likelihood", sa.Float, nullable=True),
        _at("fitted_at"),
        sa.CheckConstraint(f"status IN {FIT_STATUSES}", name="prediction_fit_status"),
        sa.CheckConstraint(
            "status <> 'FITTED' OR (model_version IS NOT NULL AND r > 0 AND alpha > 0"
            " AND a > 0 AND b > 0)",
            name="prediction_fit_parameters",
        ),
    )


def downgrade() -> None:
    for table in ("prediction_fit", "product_association", "points_order_line"):
        op.drop_table(table)
