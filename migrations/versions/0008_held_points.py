"""Points on hold: a fifth bucket of every balance and entry, for checkout holds of reward
redemptions. Held points are the member's but not spendable; they return to `available` when a
hold is released, or leave the ledger when it is confirmed. The ledger trigger now moves and
checks `held` like the other buckets, a balance never holds a negative amount, and entries may
be of the kinds HOLD, RELEASE (a hold given back) and REFUND (a cancelled redemption's points).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

INT_MAX = 2**31 - 1
KINDS_BEFORE = ("EARN", "REDEEM", "EXPIRE", "REVERSE", "ADJUST", "ACTIVATE")
KINDS = (*KINDS_BEFORE, "HOLD", "RELEASE", "REFUND")

# The ledger's trigger (revision 0002) with the held bucket.
POST = """
CREATE OR REPLACE FUNCTION points_entry_post() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE b points_balance%ROWTYPE;
BEGIN
  UPDATE points_balance SET
    available = available + NEW.available_delta,
    pending = pending + NEW.pending_delta,
    debt = debt + NEW.debt_delta,
    lifetime_earned = lifetime_earned + NEW.lifetime_delta,
    held = held + NEW.held_delta,
    updated_at = NEW.created_at
  WHERE member_id = NEW.member_id
  RETURNING * INTO b;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'member % has no points balance', NEW.member_id USING ERRCODE = 'foreign_key_violation';
  END IF;
  IF (b.available, b.pending, b.debt, b.lifetime_earned, b.held)
     IS DISTINCT FROM (NEW.available_after, NEW.pending_after, NEW.debt_after, NEW.lifetime_after, NEW.held_after) THEN
    RAISE EXCEPTION 'entry for member % disagrees with its balance', NEW.member_id
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$
"""
POST_BEFORE = """
CREATE OR REPLACE FUNCTION points_entry_post() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE b points_balance%ROWTYPE;
BEGIN
  UPDATE points_balance SET
    available = available + NEW.available_delta,
    pending = pending + NEW.pending_delta,
    debt = debt + NEW.debt_delta,
    lifetime_earned = lifetime_earned + NEW.lifetime_delta,
    updated_at = NEW.created_at
  WHERE member_id = NEW.member_id
  RETURNING * INTO b;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'member % has no points balance', NEW.member_id USING ERRCODE = 'foreign_key_violation';
  END IF;
  IF (b.available, b.pending, b.debt, b.lifetime_earned)
     IS DISTINCT FROM (NEW.available_after, NEW.pending_after, NEW.debt_after, NEW.lifetime_after) THEN
    RAISE EXCEPTION 'entry for member % disagrees with its balance', NEW.member_id
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$
"""


GUARD = """
CREATE OR REPLACE FUNCTION points_balance_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF (NEW.available, NEW.pending, NEW.debt, NEW.lifetime_earned, NEW.held)
       IS DISTINCT FROM (0, 0, 0, 0, 0) THEN
      RAISE EXCEPTION 'a points balance starts at zero' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
  END IF;
  -- Depth 1 is a statement from a client; the ledger's own trigger runs at depth 2.
  IF pg_trigger_depth() < 2 THEN
    RAISE EXCEPTION 'points balances change only through ledger entries' USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END $$
"""
GUARD_BEFORE = GUARD.replace(", NEW.held)", ")").replace(", 0, 0, 0, 0)", ", 0, 0, 0)")


def _points(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger, nullable=False, server_default=sa.text("0"))


def _entry_kinds(kinds: tuple[str, ...]) -> None:
    op.drop_constraint("points_entry_kind", "points_entry")
    op.create_check_constraint("points_entry_kind", "points_entry", f"kind IN {kinds}")


def upgrade() -> None:
    op.add_column("points_balance", _points("held"))
    op.create_check_constraint(
        "points_balance_held_bounds", "points_balance", f"held BETWEEN 0 AND {INT_MAX}"
    )
    op.add_column("points_entry", _points("held_delta"))
    op.add_column("points_entry", _points("held_after"))
    op.create_check_constraint(
        "points_entry_held_bounds",
        "points_entry",
        f"held_delta BETWEEN -{INT_MAX} AND {INT_MAX} AND held_after BETWEEN 0 AND {INT_MAX}",
    )
    _entry_kinds(KINDS)
    op.execute(POST)
    op.execute(GUARD)


def downgrade() -> None:
    op.execute(GUARD_BEFORE)
    op.execute(POST_BEFORE)
    _entry_kinds(KINDS_BEFORE)
    op.drop_constraint("points_entry_held_bounds", "points_entry")
    op.drop_column("points_entry", "held_after")
    op.drop_column("points_entry", "held_delta")
    op.drop_constraint("points_balance_held_bounds", "points_balance")
    op.drop_column("points_balance", "held")
