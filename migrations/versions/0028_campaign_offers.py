"""Campaign gifts: each campaign's gift account and the gifts it gave, one per delivery.

A GIFT campaign's points move from the campaign's account (`campaign_gift_account`, a
program-level account that counts what it gave) to the member's ledger (the `points_entry`
each `campaign_gift` names): double entry, the account's total always the sum of its gifts. The
unique delivery makes a delivery give once, however many workers deliver at once.

Revision ID: 0028
Revises: 0027
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def _fk(table: str) -> sa.ForeignKey:
    return sa.ForeignKey(f"{table}.id", ondelete="RESTRICT")


def upgrade() -> None:
    op.create_table(
        "campaign_gift_account",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("campaign_id", sa.BigInteger, _fk("campaign"), nullable=False, unique=True),
        sa.Column("program_id", sa.BigInteger, _fk("program"), nullable=False),
        sa.Column("given_points", sa.BigInteger, nullable=False),
        sa.Column("gifts", sa.Integer, nullable=False),
        sa.CheckConstraint("given_points >= 0 AND gifts >= 0", name="campaign_gift_account_totals"),
    )
    op.create_table(
        "campaign_gift",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("program_id", sa.BigInteger, _fk("program"), nullable=False),
        sa.Column("account_id", sa.BigInteger, _fk("campaign_gift_account"), nullable=False),
        sa.Column("campaign_id", sa.BigInteger, _fk("campaign"), nullable=False),
        sa.Column("delivery_id", sa.BigInteger, _fk("campaign_delivery"), nullable=False),
        sa.Column("member_id", sa.BigInteger, _fk("member"), nullable=False),
        sa.Column("points", sa.Integer, nullable=False),
        sa.Column("entry_id", sa.BigInteger, _fk("points_entry"), nullable=False),
        sa.Column("created_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.UniqueConstraint("delivery_id", name="campaign_gift_once_per_delivery"),
        sa.CheckConstraint("points > 0", name="campaign_gift_points"),
    )
    op.create_index("campaign_gift_campaign", "campaign_gift", ["campaign_id"])
    op.create_index("campaign_gift_member", "campaign_gift", ["member_id"])


def downgrade() -> None:
    op.drop_table("campaign_gift")
    op.drop_table("campaign_gift_account")
