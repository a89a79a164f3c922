"""Partner clients: OAuth 2 client credentials, their hashed secrets and scopes.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

ACTOR_MAX = 217  # domain.validation.ACTOR_MAX when this revision was written


def _at(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.TIMESTAMP(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "partner_client",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column(
            "program_id",
            sa.BigInteger,
            sa.ForeignKey("program.id", ondelete="RESTRICT"),
            nullable=False,
        ),
        # The public id a partner sends to /oauth/token: unique across programs, so the token
        # endpoint finds the client (and its program) from the id alone.
        sa.Column("client_id", sa.String(32), nullable=False, unique=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("scopes", sa.dialects.postgresql.JSONB, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_by", sa.String(ACTOR_MAX), nullable=False),
        _at("created_at"),
        _at("revoked_at", nullable=True),
        # Revoked is final: nothing makes a revoked client active again.
        sa.CheckConstraint(
            "active = (revoked_at IS NULL)", name="partner_client_revoked_is_inactive"
        ),
        sa.CheckConstraint(
            "jsonb_typeof(scopes) = 'array' AND jsonb_array_length(scopes) > 0",
            name="partner_client_has_scopes",
        ),
    )
    op.create_index("partner_client_program_id_idx", "partner_client", ["program_id"])
    op.create_table(
        "partner_client_secret",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column(
            "client_id",
            sa.BigInteger,
            sa.ForeignKey("partner_client.id", ondelete="CASCADE"),
            nullable=False,
        ),
        # SHA-256 of the secret in hex (domain/partners.py says why not a slow hash); never the
        # secret itself.
        sa.Column("digest", sa.String(64), nullable=False, unique=True),
        sa.Column("hint", sa.String(8), nullable=False),
        _at("created_at"),
        # Null while current; set by a rotation to the end of the overlap.
        _at("expires_at", nullable=True),
        sa.CheckConstraint("length(digest) = 64", name="partner_client_secret_digest_size"),
    )
    op.create_index("partner_client_secret_client_id_idx", "partner_client_secret", ["client_id"])


def downgrade() -> None:
    op.drop_table("partner_client_secret")
    op.drop_table("partner_client")
