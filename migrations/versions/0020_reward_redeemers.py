"""Social proof on rewards: an index that answers how many members redeemed a reward.

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Confirmed, redeemed (not gifted) redemptions by reward and time, with the member: counting
    # a page of rewards' distinct redeemers reads this index only.
    op.execute(
        "CREATE INDEX reward_redemption_redeemers_idx"
        " ON reward_redemption (reward_id, confirmed_at, member_id)"
        " WHERE status = 'CONFIRMED' AND gift_source IS NULL"
    )


def downgrade() -> None:
    op.drop_index("reward_redemption_redeemers_idx", table_name="reward_redemption")
