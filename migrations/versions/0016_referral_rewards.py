"""Referral rewards from the catalog, and the expiry of stale pending referrals.

- A member has at most one current referral code: a partial unique index, so two concurrent
  first reads of a member enrolled before referrals make one code (duplicates made before this
  revision are retired, the oldest kept as the one every read already showed).
- Referral settings may name a catalog reward for each side; a converted referral records, per
  side, the reward, the redemption that gave it, and what became of it (granted, refused and
  why, taken back, or kept because it was used).
- A redemption may be a gift (`gift_source`, e.g. `referral:12`): no points, no ledger entry.
- Pending referrals are found by the expiry job through a partial index.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

INT_MAX = 2**31 - 1
SIDES = ("referrer", "referee")

_UPGRADE = (
    """
    UPDATE referral_code c SET retired_at = now()
    WHERE c.retired_at IS NULL AND EXISTS (
      SELECT 1 FROM referral_code k
      WHERE k.member_id = c.member_id AND k.retired_at IS NULL AND k.id < c.id)
    """,
    "CREATE UNIQUE INDEX referral_code_current_idx ON referral_code (member_id)"
    " WHERE retired_at IS NULL",
    "CREATE INDEX referral_pending_idx ON referral (program_id, attributed_at)"
    " WHERE status = 'PENDING'",
    "ALTER TABLE reward_redemption ADD COLUMN gift_source varchar(64)",
    "ALTER TABLE reward_redemption DROP CONSTRAINT reward_redemption_points_check",
    "ALTER TABLE reward_redemption DROP CONSTRAINT reward_redemption_check1",
    f"""ALTER TABLE reward_redemption ADD CONSTRAINT reward_redemption_points_check
      CHECK (points BETWEEN 1 AND {INT_MAX} OR (gift_source IS NOT NULL AND points = 0))""",
    """ALTER TABLE reward_redemption ADD CONSTRAINT reward_redemption_check1
      CHECK (status <> 'CONFIRMED' OR redeem_entry_id IS NOT NULL OR gift_source IS NOT NULL)""",
    """ALTER TABLE reward_redemption ADD CONSTRAINT reward_redemption_gift_check
      CHECK (gift_source IS NULL OR (status IN ('CONFIRMED', 'CANCELLED')
        AND hold_entry_id IS NULL AND redeem_entry_id IS NULL))""",
)
_DOWNGRADE = (
    "ALTER TABLE reward_redemption DROP CONSTRAINT reward_redemption_gift_check",
    "ALTER TABLE reward_redemption DROP CONSTRAINT reward_redemption_check1",
    "ALTER TABLE reward_redemption DROP CONSTRAINT reward_redemption_points_check",
    f"""ALTER TABLE reward_redemption ADD CONSTRAINT reward_redemption_points_check
      CHECK (points BETWEEN 1 AND {INT_MAX}) NOT VALID""",
    """ALTER TABLE reward_redemption ADD CONSTRAINT reward_redemption_check1
      CHECK (status <> 'CONFIRMED' OR redeem_entry_id IS NOT NULL) NOT VALID""",
    "ALTER TABLE reward_redemption DROP COLUMN gift_source",
    "DROP INDEX referral_pending_idx",
    "DROP INDEX referral_code_current_idx",
)


def _reward() -> sa.ForeignKey:
    return sa.ForeignKey("reward.id", ondelete="RESTRICT")


def upgrade() -> None:
    for statement in _UPGRADE:
        op.execute(statement)
    for side in SIDES:
        op.add_column("referral_settings", sa.Column(f"{side}_reward_id", sa.BigInteger, _reward()))
        op.add_column("referral", sa.Column(f"{side}_reward_id", sa.BigInteger, _reward()))
        op.add_column(
            "referral",
            sa.Column(
                f"{side}_redemption_id",
                sa.BigInteger,
                sa.ForeignKey("reward_redemption.id", ondelete="RESTRICT"),
            ),
        )
        op.add_column("referral", sa.Column(f"{side}_reward_outcome", sa.String(16)))
        op.add_column("referral", sa.Column(f"{side}_reward_refusal", sa.String(32)))


def downgrade() -> None:
    for side in SIDES:
        for column in ("reward_id", "redemption_id", "reward_outcome", "reward_refusal"):
            op.drop_column("referral", f"{side}_{column}")
        op.drop_column("referral_settings", f"{side}_reward_id")
    # Gifts (no points) cannot satisfy the old checks: those are restored NOT VALID.
    for statement in _DOWNGRADE:
        op.execute(statement)
