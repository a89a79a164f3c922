"""Referrals: each program's referral settings, members' referral codes (old ones kept with the
moment they were retired, so they attribute through a grace period), one referral per referee
(attribution, conversion, hold for review, reversal) and the audit of refused or held referrals.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

ACTOR_MAX = 217  # domain.validation.ACTOR_MAX when this revision was written
CODE_MAX = 16
# domain.consent's purpose when this revision was written.
REFERRAL_DISPLAY = "referral_display"
REFERRAL_DISPLAY_DESCRIPTION = "Showing your display name to the member who referred you."


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
        "referral_settings",
        _id(),
        sa.Column("program_id", sa.BigInteger, _fk("program"), nullable=False, unique=True),
        sa.Column("window_days", sa.Integer, nullable=False),
        sa.Column("min_order_total", sa.Numeric(20, 4), nullable=False),
        sa.Column("referrer_points", sa.Integer, nullable=False),
        sa.Column("referee_points", sa.Integer, nullable=False),
        sa.Column("velocity_cap", sa.Integer, nullable=True),
        sa.Column("velocity_days", sa.Integer, nullable=False),
        sa.Column("velocity_action", sa.String(16), nullable=False),
        sa.Column("lifetime_cap", sa.Integer, nullable=True),
        sa.Column("grace_days", sa.Integer, nullable=False),
        sa.Column("link_template", sa.String(500), nullable=False),
        _at("updated_at"),
    )
    op.create_table(
        "referral_code",
        _id(),
        _program(),
        sa.Column("member_id", sa.BigInteger, _fk("member"), nullable=False),
        sa.Column("code", sa.String(CODE_MAX), nullable=False),
        _at("created_at"),
        _at("retired_at", nullable=True),
        sa.UniqueConstraint("program_id", "code", name="referral_code_program_id_code_key"),
    )
    op.create_table(
        "referral",
        _id(),
        _program(),
        sa.Column("referrer_id", sa.BigInteger, _fk("member"), nullable=False),
        sa.Column("referee_id", sa.BigInteger, _fk("member"), nullable=False, unique=True),
        sa.Column("code", sa.String(CODE_MAX), nullable=False),
        sa.Column("brought_by", sa.String(ACTOR_MAX), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("hold_rule", sa.String(32), nullable=True),
        sa.Column("order_id", sa.String(128), nullable=True),
        sa.Column("referrer_entry_id", sa.BigInteger, nullable=True),
        sa.Column("referee_entry_id", sa.BigInteger, nullable=True),
        sa.Column("referrer_points", sa.Integer, nullable=False),
        sa.Column("referee_points", sa.Integer, nullable=False),
        _at("attributed_at"),
        _at("converted_at", nullable=True),
        _at("ended_at", nullable=True),
    )
    op.create_table(
        "referral_fraud",
        _id(),
        _program(),
        sa.Column("referral_id", sa.BigInteger, nullable=True),
        sa.Column("referrer_id", sa.BigInteger, nullable=True),
        sa.Column("referee_id", sa.BigInteger, nullable=True),
        sa.Column("code", sa.String(CODE_MAX), nullable=True),
        sa.Column("rule", sa.String(32), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(ACTOR_MAX), nullable=False),
        _at("created_at"),
    )

    # The consent purpose a referee's name is shown to its referrer under, for programs that
    # existed before this revision (new programs get it with the defaults: domain/consent.py).
    op.execute(
        sa.text(
            "INSERT INTO consent_purpose (program_id, key, description, legal_basis,"
            " policy_version, created_at, updated_at)"
            " SELECT p.id, :key, :description, 'CONSENT', 1, now(), now() FROM program p"
            " WHERE NOT EXISTS (SELECT 1 FROM consent_purpose c"
            " WHERE c.program_id = p.id AND c.key = :key)"
        ).bindparams(key=REFERRAL_DISPLAY, description=REFERRAL_DISPLAY_DESCRIPTION)
    )


def downgrade() -> None:
    # The referral_display purpose stays: members' answers to it are an append-only ledger.
    for table in ("referral_fraud", "referral", "referral_code", "referral_settings"):
        op.drop_table(table)
