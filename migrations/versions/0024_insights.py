"""Insights: behavioural scores, predictions, segments and campaigns — the tables the insights,
campaign, survey and experiment parts share.

`member_rfm` and `member_prediction` hold one row per scored member (only members who consent to
profiling are scored: the jobs delete the rows of those who withdraw). `member_reorder` is a
member's predicted reorder date per SKU from their own purchase cycle. `segment` is an admin's
rules over member fields, tier, points, activity, RFM and predictions (`behavioural` when a rule
reads behaviour: such a segment only ever holds members who consent to profiling).

`campaign` targets a segment (or a trigger: a reorder due, a member at risk) with a message
and/or an offer, optionally as an experiment (arms with weights and a holdout share).
`campaign_delivery` is one decision per campaign, member and occasion (the unique key makes a
job that runs twice, or two workers at once, deliver once): sent, offered, held out, skipped
with its reason, or deferred to `due_at` (quiet hours).

Revision ID: 0024
Revises: 0023
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

SKU_MAX = 128  # domain/earning.py REFERENCE_MAX when this revision was written
VERSION_MAX = 64
TRIGGERS = "('SCHEDULED', 'REORDER_DUE', 'AT_RISK')"
STATUSES = "('DRAFT', 'SCHEDULED', 'RUNNING', 'ENDED', 'CANCELLED')"
CHANNELS = "('EMAIL', 'PUSH', 'SMS')"
OFFERS = "('POINTS_MULTIPLIER', 'REWARD_DISCOUNT', 'GIFT')"
DELIVERY_STATUSES = "('SENT', 'OFFERED', 'HELD_OUT', 'SKIPPED', 'DEFERRED')"


def _fk(table: str) -> sa.ForeignKey:
    return sa.ForeignKey(f"{table}.id", ondelete="RESTRICT")


def _program() -> sa.Column[int]:
    return sa.Column("program_id", sa.BigInteger, _fk("program"), nullable=False)


def _at(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.TIMESTAMP(timezone=True), nullable=nullable)


def _scores() -> None:
    op.create_table(
        "member_rfm",
        sa.Column("member_id", sa.BigInteger, _fk("member"), primary_key=True),
        _program(),
        sa.Column("recency_days", sa.Integer, nullable=False),
        sa.Column("frequency", sa.Integer, nullable=False),
        sa.Column("monetary", sa.Numeric(20, 4), nullable=False),
        sa.Column("recency_score", sa.SmallInteger, nullable=False),
        sa.Column("frequency_score", sa.SmallInteger, nullable=False),
        sa.Column("monetary_score", sa.SmallInteger, nullable=False),
        _at("computed_at"),
        sa.CheckConstraint(
            "recency_days >= 0 AND frequency >= 1 AND monetary >= 0", name="member_rfm_values"
        ),
        sa.CheckConstraint(
            "recency_score BETWEEN 1 AND 5 AND frequency_score BETWEEN 1 AND 5"
            " AND monetary_score BETWEEN 1 AND 5",
            name="member_rfm_scores",
        ),
    )
    op.create_index("member_rfm_program", "member_rfm", ["program_id"])
    op.create_table(
        "member_prediction",
        sa.Column("member_id", sa.BigInteger, _fk("member"), primary_key=True),
        _program(),
        sa.Column("churn_probability", sa.Float, nullable=False),
        sa.Column("expected_orders_90d", sa.Float, nullable=False),
        _at("expected_next_order_at", nullable=True),
        sa.Column("why", JSONB, nullable=False),
        sa.Column("model_version", sa.String(VERSION_MAX), nullable=False),
        _at("computed_at"),
        sa.CheckConstraint(
            "churn_probability BETWEEN 0 AND 1 AND expected_orders_90d >= 0",
            name="member_prediction_values",
        ),
    )
    op.create_index(
        "member_prediction_program", "member_prediction", ["program_id", "churn_probability"]
    )
    op.create_table(
        "member_reorder",
        sa.Column("member_id", sa.BigInteger, _fk("member"), primary_key=True),
        sa.Column("sku", sa.String(SKU_MAX), primary_key=True),
        _program(),
        _at("last_ordered_at"),
        sa.Column("cycle_days", sa.Float, nullable=False),
        _at("due_at"),
        sa.Column("orders", sa.Integer, nullable=False),
        sa.Column("why", JSONB, nullable=False),
        sa.Column("model_version", sa.String(VERSION_MAX), nullable=False),
        _at("computed_at"),
        sa.CheckConstraint("cycle_days > 0 AND orders >= 2", name="member_reorder_values"),
    )
    op.create_index("member_reorder_due", "member_reorder", ["program_id", "due_at"])


def _segments() -> None:
    op.create_table(
        "segment",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        _program(),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("description", sa.String(500), nullable=True),
        sa.Column("rules", JSONB, nullable=False),
        sa.Column("behavioural", sa.Boolean, nullable=False),
        sa.Column("member_visible", sa.Boolean, nullable=False),
        _at("archived_at", nullable=True),
        _at("created_at"),
        _at("updated_at"),
        sa.UniqueConstraint("program_id", "name", name="segment_program_name"),
    )


def _campaigns() -> None:
    op.create_table(
        "campaign",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        _program(),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("segment_id", sa.BigInteger, _fk("segment"), nullable=True),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _at("starts_at"),
        _at("ends_at", nullable=True),
        sa.Column("channel", sa.String(8), nullable=True),
        sa.Column("template_key", sa.String(64), nullable=True),
        sa.Column("survey_id", sa.BigInteger, nullable=True),
        sa.Column("offer_kind", sa.String(24), nullable=True),
        sa.Column("offer_multiplier", sa.Numeric(6, 2), nullable=True),
        sa.Column("offer_reward_id", sa.BigInteger, _fk("reward"), nullable=True),
        sa.Column("offer_discount_percent", sa.Integer, nullable=True),
        sa.Column("offer_points", sa.Integer, nullable=True),
        _at("offer_starts_at", nullable=True),
        _at("offer_ends_at", nullable=True),
        sa.Column("at_risk_threshold", sa.Float, nullable=True),
        sa.Column("reorder_lead_days", sa.Integer, nullable=True),
        sa.Column("holdout_percent", sa.Integer, nullable=False, server_default="0"),
        sa.Column("arms", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("conversion_window_days", sa.Integer, nullable=False, server_default="14"),
        _at("created_at"),
        _at("updated_at"),
        sa.UniqueConstraint("program_id", "name", name="campaign_program_name"),
        sa.CheckConstraint(f"trigger IN {TRIGGERS}", name="campaign_trigger"),
        sa.CheckConstraint(f"status IN {STATUSES}", name="campaign_status"),
        sa.CheckConstraint(f"channel IS NULL OR channel IN {CHANNELS}", name="campaign_channel"),
        sa.CheckConstraint(
            f"offer_kind IS NULL OR offer_kind IN {OFFERS}", name="campaign_offer_kind"
        ),
        sa.CheckConstraint(
            "channel IS NOT NULL OR offer_kind IS NOT NULL", name="campaign_message_or_offer"
        ),
        sa.CheckConstraint("holdout_percent BETWEEN 0 AND 50", name="campaign_holdout"),
        sa.CheckConstraint(
            "conversion_window_days BETWEEN 1 AND 365", name="campaign_conversion_window"
        ),
        sa.CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name="campaign_window"),
    )
    op.create_index("campaign_due", "campaign", ["status", "starts_at"])
    op.create_table(
        "campaign_delivery",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        _program(),
        sa.Column("campaign_id", sa.BigInteger, _fk("campaign"), nullable=False),
        sa.Column("member_id", sa.BigInteger, _fk("member"), nullable=False),
        sa.Column("occasion", sa.String(200), nullable=False),
        sa.Column("arm", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(32), nullable=True),
        _at("due_at"),
        _at("delivered_at", nullable=True),
        _at("created_at"),
        sa.UniqueConstraint("campaign_id", "member_id", "occasion", name="campaign_delivery_once"),
        sa.CheckConstraint(f"status IN {DELIVERY_STATUSES}", name="campaign_delivery_status"),
    )
    op.create_index(
        "campaign_delivery_deferred",
        "campaign_delivery",
        ["due_at"],
        postgresql_where=sa.text("status = 'DEFERRED'"),
    )
    op.create_index("campaign_delivery_member", "campaign_delivery", ["member_id", "campaign_id"])


def upgrade() -> None:
    _scores()
    _segments()
    _campaigns()


def downgrade() -> None:
    for table in (
        "campaign_delivery",
        "campaign",
        "segment",
        "member_reorder",
        "member_prediction",
        "member_rfm",
    ):
        op.drop_table(table)
