"""Points ledger: append-only entries, trigger-maintained balances, lots, orders, idempotency keys.

The database guards the ledger as well as the code: entries can never be updated or deleted; each
entry applies its deltas to the member's balance and must agree with the balance it states after
itself; balances cannot be changed except through an entry.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ENTRY_KINDS = "('EARN', 'REDEEM', 'EXPIRE', 'REVERSE', 'ADJUST', 'ACTIVATE')"


def _fk(table: str) -> sa.ForeignKey:
    return sa.ForeignKey(f"{table}.id", ondelete="RESTRICT")


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True)


def _at(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.TIMESTAMP(timezone=True), nullable=nullable)


def _points(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger, nullable=False)


def upgrade() -> None:
    op.add_column(
        "program", sa.Column("points_config", sa.dialects.postgresql.JSONB, nullable=True)
    )
    op.create_table(
        "points_balance",
        _id(),
        sa.Column("member_id", sa.BigInteger, _fk("member"), nullable=False, unique=True),
        sa.Column("program_id", sa.BigInteger, _fk("program"), nullable=False),
        _points("available"),
        _points("pending"),
        _points("debt"),
        _points("lifetime_earned"),
        _at("updated_at"),
        sa.CheckConstraint(
            "pending >= 0 AND debt >= 0 AND lifetime_earned >= 0",
            name="points_balance_non_negative",
        ),
    )
    op.create_table(
        "points_entry",
        _id(),
        sa.Column("program_id", sa.BigInteger, _fk("program"), nullable=False),
        sa.Column("member_id", sa.BigInteger, _fk("member"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        _points("points"),
        *(
            _points(f"{part}_{suffix}")
            for suffix in ("delta", "after")
            for part in ("available", "pending", "debt", "lifetime")
        ),
        sa.Column("reason_code", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("source_ref", sa.String(200), nullable=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.Column("explanation", sa.dialects.postgresql.JSONB, nullable=False),
        _at("created_at"),
        sa.CheckConstraint(f"kind IN {ENTRY_KINDS}", name="points_entry_kind"),
    )
    op.create_index("points_entry_member_id_id_idx", "points_entry", ["member_id", "id"])
    op.create_index(
        "points_entry_member_id_created_at_idx", "points_entry", ["member_id", "created_at"]
    )
    op.create_table(
        "points_lot",
        _id(),
        sa.Column("program_id", sa.BigInteger, _fk("program"), nullable=False),
        sa.Column("member_id", sa.BigInteger, _fk("member"), nullable=False),
        sa.Column("entry_id", sa.BigInteger, _fk("points_entry"), nullable=False),
        _points("points"),
        _points("remaining"),
        sa.Column("status", sa.String(16), nullable=False),
        _at("activates_at", nullable=True),
        _at("expires_at", nullable=True),
        sa.CheckConstraint("remaining >= 0 AND remaining <= points", name="points_lot_remaining"),
        sa.CheckConstraint("status IN ('PENDING', 'ACTIVE')", name="points_lot_status"),
    )
    op.create_index("points_lot_member_id_remaining_idx", "points_lot", ["member_id", "remaining"])
    op.create_index("points_lot_status_activates_at_idx", "points_lot", ["status", "activates_at"])
    op.create_index("points_lot_status_expires_at_idx", "points_lot", ["status", "expires_at"])
    op.create_table(
        "points_order",
        _id(),
        sa.Column("program_id", sa.BigInteger, _fk("program"), nullable=False),
        sa.Column("member_id", sa.BigInteger, _fk("member"), nullable=False),
        sa.Column("order_id", sa.String(128), nullable=False),
        sa.Column("total", sa.Numeric(20, 4), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        _points("points_earned"),
        sa.Column("returned_total", sa.Numeric(20, 4), nullable=False),
        _points("points_reversed"),
        sa.Column("entry_id", sa.BigInteger, _fk("points_entry"), nullable=False),
        sa.Column("lot_id", sa.BigInteger, _fk("points_lot"), nullable=True),
        _at("created_at"),
        sa.UniqueConstraint("program_id", "order_id", name="points_order_program_order_key"),
    )
    op.create_table(
        "points_order_return",
        _id(),
        sa.Column("order_id", sa.BigInteger, _fk("points_order"), nullable=False),
        sa.Column("return_id", sa.String(128), nullable=False),
        sa.Column("amount", sa.Numeric(20, 4), nullable=False),
        _points("points"),
        sa.Column("entry_id", sa.BigInteger, _fk("points_entry"), nullable=True),
        _at("created_at"),
        sa.UniqueConstraint("order_id", "return_id", name="points_order_return_key"),
    )
    op.create_table(
        "points_event_award",
        _id(),
        sa.Column("member_id", sa.BigInteger, _fk("member"), nullable=False),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("reference", sa.String(128), nullable=False),
        sa.Column("entry_id", sa.BigInteger, _fk("points_entry"), nullable=False),
        sa.UniqueConstraint("member_id", "event", "reference", name="points_event_award_key"),
    )
    op.create_table(
        "idempotency_key",
        _id(),
        sa.Column("program_id", sa.BigInteger, _fk("program"), nullable=False),
        sa.Column("client", sa.String(200), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("operation", sa.String(64), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("result", sa.dialects.postgresql.JSONB, nullable=True),
        _at("created_at"),
        sa.UniqueConstraint("program_id", "client", "key", name="idempotency_key_scope_key"),
    )
    for statement in GUARDS:
        op.execute(statement)
    # Members enrolled before the ledger existed start from an empty balance.
    op.execute(
        "INSERT INTO points_balance (member_id, program_id, available, pending, debt, lifetime_earned, updated_at)"
        " SELECT id, program_id, 0, 0, 0, 0, now() FROM member"
    )


GUARDS = (
    """
CREATE FUNCTION points_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'points_entry is append-only: % refused', TG_OP USING ERRCODE = 'restrict_violation';
END $$
""",
    """
CREATE TRIGGER points_entry_append_only BEFORE UPDATE OR DELETE ON points_entry
  FOR EACH ROW EXECUTE FUNCTION points_entry_append_only()
""",
    """
CREATE FUNCTION points_entry_post() RETURNS trigger LANGUAGE plpgsql AS $$
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
""",
    """
CREATE TRIGGER points_entry_post AFTER INSERT ON points_entry
  FOR EACH ROW EXECUTE FUNCTION points_entry_post()
""",
    """
CREATE FUNCTION points_balance_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF (NEW.available, NEW.pending, NEW.debt, NEW.lifetime_earned) IS DISTINCT FROM (0, 0, 0, 0) THEN
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
""",
    """
CREATE TRIGGER points_balance_guard BEFORE INSERT OR UPDATE OR DELETE ON points_balance
  FOR EACH ROW EXECUTE FUNCTION points_balance_guard()
""",
)


def downgrade() -> None:
    for table in (
        "idempotency_key",
        "points_event_award",
        "points_order_return",
        "points_order",
        "points_lot",
        "points_entry",
        "points_balance",
    ):
        op.drop_table(table)
    for function in ("points_entry_append_only", "points_entry_post", "points_balance_guard"):
        op.execute(f"DROP FUNCTION {function}()")
    op.drop_column("program", "points_config")
