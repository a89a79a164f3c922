"""Webhooks: partner subscriptions, deliveries and their attempts.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

ACTOR_MAX = 217  # domain.validation.ACTOR_MAX when this revision was written


def _at(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.TIMESTAMP(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "webhook_subscription",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column(
            "program_id",
            sa.BigInteger,
            sa.ForeignKey("program.id", ondelete="RESTRICT"),
            nullable=False,
        ),
        sa.Column("owner", sa.String(ACTOR_MAX), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("event_types", sa.dialects.postgresql.JSONB, nullable=False),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("secret", sa.String(100), nullable=False),
        sa.Column("previous_secret", sa.String(100), nullable=True),
        _at("previous_secret_until", nullable=True),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("disabled_reason", sa.String(500), nullable=True),
        sa.Column("consecutive_failures", sa.Integer, nullable=False),
        _at("created_at"),
    )
    op.create_index("webhook_subscription_program_id_idx", "webhook_subscription", ["program_id"])
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column(
            "subscription_id",
            sa.BigInteger,
            sa.ForeignKey("webhook_subscription.id", ondelete="CASCADE"),
            nullable=False,
        ),
        # No foreign key: the event log is pruned, its deliveries keep what they send. Null for
        # a test ping (sendTestWebhook).
        sa.Column("event_id", sa.BigInteger, nullable=True),
        sa.Column("message_id", sa.String(64), nullable=False, unique=True),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        _at("next_attempt_at"),
        _at("created_at"),
        _at("finished_at", nullable=True),
        sa.UniqueConstraint(
            "subscription_id", "event_id", name="webhook_delivery_subscription_id_event_id_key"
        ),
    )
    op.create_index(
        "webhook_delivery_status_next_attempt_at_idx",
        "webhook_delivery",
        ["status", "next_attempt_at"],
    )
    op.create_table(
        "webhook_attempt",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column(
            "delivery_id",
            sa.BigInteger,
            sa.ForeignKey("webhook_delivery.id", ondelete="CASCADE"),
            nullable=False,
        ),
        _at("attempted_at"),
        sa.Column("status_code", sa.Integer, nullable=True),
        sa.Column("latency_ms", sa.Integer, nullable=False),
        sa.Column("response", sa.Text, nullable=False),
        sa.Column("error", sa.String(500), nullable=True),
    )
    op.create_index("webhook_attempt_delivery_id_idx", "webhook_attempt", ["delivery_id"])


def downgrade() -> None:
    op.drop_index("webhook_attempt_delivery_id_idx", table_name="webhook_attempt")
    op.drop_table("webhook_attempt")
    op.drop_index("webhook_delivery_status_next_attempt_at_idx", table_name="webhook_delivery")
    op.drop_table("webhook_delivery")
    op.drop_index("webhook_subscription_program_id_idx", table_name="webhook_subscription")
    op.drop_table("webhook_subscription")
