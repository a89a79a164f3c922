"""Privacy: data exports, erasure requests and the tombstones that keep an erased identity from
being enrolled again by accident, with the key their digests are made with.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

ACTOR_MAX = 217  # domain.validation.ACTOR_MAX when this revision was written


def _fk(table: str) -> sa.ForeignKey:
    return sa.ForeignKey(f"{table}.id", ondelete="RESTRICT")


def _at(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.TIMESTAMP(timezone=True), nullable=nullable)


# Ledger entries stay append-only, with one exception: erasure may forget which member token
# wrote an entry (`member:<externalId>` becomes `member`), changing nothing else.
_APPEND_ONLY_WITH_ERASURE = """
CREATE OR REPLACE FUNCTION points_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.actor LIKE 'member:%' AND NEW.actor = 'member'
     AND (to_jsonb(NEW) - 'actor') = (to_jsonb(OLD) - 'actor') THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'points_entry is append-only: % refused', TG_OP USING ERRCODE = 'restrict_violation';
END $$
"""
_APPEND_ONLY = """
CREATE OR REPLACE FUNCTION points_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'points_entry is append-only: % refused', TG_OP USING ERRCODE = 'restrict_violation';
END $$
"""


def upgrade() -> None:
    op.execute(_APPEND_ONLY_WITH_ERASURE)
    # One row: the HMAC key of tombstone digests, random (gen_random_uuid draws from the
    # server's strong random source). backbone/tombstones.py makes it again if it is missing.
    op.create_table(
        "privacy_key",
        sa.Column("id", sa.SmallInteger, primary_key=True, autoincrement=False),
        sa.Column("secret", sa.LargeBinary, nullable=False),
        sa.CheckConstraint("id = 1", name="privacy_key_single_row"),
    )
    op.execute(
        "INSERT INTO privacy_key (id, secret) VALUES (1, decode(replace("
        "gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex'))"
    )
    op.create_table(
        "member_tombstone",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("program_id", sa.BigInteger, _fk("program"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        _at("created_at"),
        sa.UniqueConstraint(
            "program_id", "kind", "digest", name="member_tombstone_program_id_kind_digest_key"
        ),
    )
    op.create_table(
        "erasure_request",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("program_id", sa.BigInteger, _fk("program"), nullable=False),
        sa.Column("member_id", sa.BigInteger, _fk("member"), nullable=False, unique=True),
        sa.Column("requested_by", sa.String(16), nullable=False),
        _at("created_at"),
    )
    op.create_table(
        "data_export",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("program_id", sa.BigInteger, _fk("program"), nullable=False),
        sa.Column("member_id", sa.BigInteger, _fk("member"), nullable=False),
        sa.Column("actor", sa.String(ACTOR_MAX), nullable=False),
        sa.Column("document", sa.dialects.postgresql.JSONB, nullable=False),
        _at("created_at"),
        _at("expires_at"),
    )
    op.create_index("data_export_member_id_idx", "data_export", ["member_id"])


def downgrade() -> None:
    op.drop_index("data_export_member_id_idx", table_name="data_export")
    op.drop_table("data_export")
    op.drop_table("erasure_request")
    op.drop_table("member_tombstone")
    op.drop_table("privacy_key")
    op.execute(_APPEND_ONLY)
