"""Consent: purposes with their policy versions, the consent ledger, members' preferences and
messages (for weekly caps), and the data-usage log.

The consent ledger and the data-usage log are append-only (a trigger refuses UPDATE and DELETE):
a member's current consent is its latest ledger row for the purpose. Every existing program gets
the default purposes (domain/consent.py DEFAULT_PURPOSES, copied here as they were when written);
programs created later get them from the consent area's reaction to program.created.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

ACTOR_MAX = 217  # domain.validation.ACTOR_MAX when written
BASES = "('CONSENT', 'CONTRACT', 'LEGITIMATE_INTEREST')"
CAP = "CHECK ({0} IS NULL OR {0} BETWEEN 0 AND 1000)"
MINUTE = "CHECK ({0} IS NULL OR {0} BETWEEN 0 AND 1439)"

DEFAULTS = (
    (
        "account",
        "Running your loyalty account: points, rewards, tiers and support by the program's staff.",
        "CONTRACT",
    ),
    ("marketing_email", "Offers and news by email.", "CONSENT"),
    ("marketing_push", "Offers and news by push notification.", "CONSENT"),
    ("marketing_sms", "Offers and news by text message.", "CONSENT"),
    (
        "personalization",
        "Suggestions chosen from your points, tier and activity, such as rewards within reach.",
        "LEGITIMATE_INTEREST",
    ),
    ("profiling", "Segments and predictions built from your activity.", "CONSENT"),
    ("partner_sharing", "Sharing your personal data with the program's partners.", "CONSENT"),
    (
        "analytics",
        "Statistics about how the program is used, to improve it.",
        "LEGITIMATE_INTEREST",
    ),
)

TABLES = (
    f"""
    CREATE TABLE consent_purpose (
        id bigserial PRIMARY KEY,
        program_id bigint NOT NULL REFERENCES program (id) ON DELETE RESTRICT,
        key varchar(40) NOT NULL CHECK (key ~ '^[a-z][a-z0-9_]{{1,39}}$'),
        description varchar(500) NOT NULL,
        legal_basis varchar(24) NOT NULL CHECK (legal_basis IN {BASES}),
        policy_version integer NOT NULL CHECK (policy_version >= 1),
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        UNIQUE (program_id, key)
    )
    """,
    f"""
    CREATE TABLE consent_record (
        id bigserial PRIMARY KEY,
        program_id bigint NOT NULL REFERENCES program (id) ON DELETE RESTRICT,
        member_id bigint NOT NULL REFERENCES member (id) ON DELETE RESTRICT,
        purpose_key varchar(40) NOT NULL,
        granted boolean NOT NULL,
        policy_version integer NOT NULL CHECK (policy_version >= 1),
        source varchar(16) NOT NULL CHECK (source IN ('APP', 'STOREFRONT', 'PARTNER', 'ADMIN')),
        actor varchar({ACTOR_MAX}) NOT NULL,
        recorded_at timestamptz NOT NULL
    )
    """,
    # The latest say of a member on a purpose, and its history newest first.
    "CREATE INDEX consent_record_member_id_purpose_key_id_idx"
    " ON consent_record (member_id, purpose_key, id)",
    "CREATE INDEX consent_record_member_id_id_idx ON consent_record (member_id, id)",
    f"""
    CREATE TABLE data_usage (
        id bigserial PRIMARY KEY,
        program_id bigint NOT NULL REFERENCES program (id) ON DELETE RESTRICT,
        member_id bigint NOT NULL REFERENCES member (id) ON DELETE RESTRICT,
        purpose_key varchar(40) NOT NULL,
        categories jsonb NOT NULL,
        actor varchar({ACTOR_MAX}) NOT NULL,
        reason varchar(200) NOT NULL,
        used_at timestamptz NOT NULL,
        once_on date,
        UNIQUE (member_id, purpose_key, actor, once_on)
    )
    """,
    "CREATE INDEX data_usage_member_id_id_idx ON data_usage (member_id, id)",
    f"""
    CREATE TABLE member_preference (
        id bigserial PRIMARY KEY,
        member_id bigint NOT NULL UNIQUE REFERENCES member (id) ON DELETE RESTRICT,
        program_id bigint NOT NULL REFERENCES program (id) ON DELETE RESTRICT,
        email boolean NOT NULL,
        push boolean NOT NULL,
        sms boolean NOT NULL,
        email_weekly_cap integer {CAP.format("email_weekly_cap")},
        push_weekly_cap integer {CAP.format("push_weekly_cap")},
        sms_weekly_cap integer {CAP.format("sms_weekly_cap")},
        topics jsonb NOT NULL,
        quiet_start smallint {MINUTE.format("quiet_start")},
        quiet_end smallint {MINUTE.format("quiet_end")},
        timezone varchar(64),
        locale varchar(35),
        updated_at timestamptz NOT NULL,
        CHECK ((quiet_start IS NULL) = (quiet_end IS NULL))
    )
    """,
    """
    CREATE TABLE member_message (
        id bigserial PRIMARY KEY,
        program_id bigint NOT NULL REFERENCES program (id) ON DELETE RESTRICT,
        member_id bigint NOT NULL REFERENCES member (id) ON DELETE RESTRICT,
        channel varchar(8) NOT NULL CHECK (channel IN ('EMAIL', 'PUSH', 'SMS')),
        sent_at timestamptz NOT NULL
    )
    """,
    "CREATE INDEX member_message_member_id_channel_sent_at_idx"
    " ON member_message (member_id, channel, sent_at)",
    """
    CREATE FUNCTION consent_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
    END $$
    """,
    "CREATE TRIGGER consent_record_append_only BEFORE UPDATE OR DELETE ON consent_record"
    " FOR EACH ROW EXECUTE FUNCTION consent_append_only()",
    "CREATE TRIGGER data_usage_append_only BEFORE UPDATE OR DELETE ON data_usage"
    " FOR EACH ROW EXECUTE FUNCTION consent_append_only()",
)


def upgrade() -> None:
    for statement in TABLES:
        op.execute(statement)
    seed = sa.text(
        "INSERT INTO consent_purpose (program_id, key, description, legal_basis,"
        " policy_version, created_at, updated_at)"
        " SELECT id, :key, :description, :basis, 1, now(), now() FROM program"
    )
    for key, description, basis in DEFAULTS:
        op.execute(seed.bindparams(key=key, description=description, basis=basis))


def downgrade() -> None:
    for table in ("member_message", "member_preference", "data_usage", "consent_record"):
        op.execute(f"DROP TABLE {table}")
    op.execute("DROP TABLE consent_purpose")
    op.execute("DROP FUNCTION consent_append_only()")
