"""Rewards catalog, discount code pools, redemptions and holds.

The database guards what is cheap to guard: stock never below zero nor above its total, a code
unique in its program and given to at most one redemption, a redemption's state and points in
range. What depends on other rows (stock left = total - live redemptions) is for the audit
(loyalty/rewards/audit.py).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

INT_MAX = 2**31 - 1
ACTOR_MAX = 217  # domain.validation.ACTOR_MAX when written

TABLES = (
    """
    CREATE TABLE reward_settings (
        id bigserial PRIMARY KEY,
        program_id bigint NOT NULL UNIQUE REFERENCES program (id) ON DELETE RESTRICT,
        hold_minutes integer NOT NULL CHECK (hold_minutes BETWEEN 1 AND 10080),
        within_reach_percent integer NOT NULL CHECK (within_reach_percent BETWEEN 1 AND 100),
        updated_at timestamptz NOT NULL
    )
    """,
    f"""
    CREATE TABLE reward (
        id bigserial PRIMARY KEY,
        program_id bigint NOT NULL REFERENCES program (id) ON DELETE RESTRICT,
        name varchar(100) NOT NULL,
        description varchar(2000) NOT NULL,
        image_url varchar(2048),
        kind varchar(16) NOT NULL
            CHECK (kind IN ('DISCOUNT_CODE', 'PHYSICAL_ITEM', 'EXPERIENCE', 'DONATION')),
        discount_type varchar(16)
            CHECK (discount_type IN ('FIXED_AMOUNT', 'PERCENTAGE', 'FREE_SHIPPING')),
        discount_value numeric(20, 4),
        code_source varchar(16) CHECK (code_source IN ('GENERATED', 'POOL')),
        points_cost integer NOT NULL CHECK (points_cost BETWEEN 1 AND {INT_MAX}),
        tier_prices jsonb NOT NULL,
        tier_gate jsonb NOT NULL,
        stock_total integer CHECK (stock_total >= 0),
        stock_left integer CHECK (stock_left >= 0 AND stock_left <= stock_total),
        limit_count integer CHECK (limit_count >= 1),
        limit_period varchar(16),
        available_from timestamptz,
        available_until timestamptz,
        active boolean NOT NULL,
        refundable boolean NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        CHECK ((stock_total IS NULL) = (stock_left IS NULL)),
        CHECK ((limit_count IS NULL) = (limit_period IS NULL)),
        CHECK ((kind = 'DISCOUNT_CODE') = (discount_type IS NOT NULL AND code_source IS NOT NULL)),
        CHECK (available_until IS NULL OR available_from IS NULL OR available_from < available_until)
    )
    """,
    "CREATE INDEX reward_program_id_id_idx ON reward (program_id, id)",
    f"""
    CREATE TABLE reward_redemption (
        id bigserial PRIMARY KEY,
        program_id bigint NOT NULL REFERENCES program (id) ON DELETE RESTRICT,
        member_id bigint NOT NULL REFERENCES member (id) ON DELETE RESTRICT,
        reward_id bigint NOT NULL REFERENCES reward (id) ON DELETE RESTRICT,
        points integer NOT NULL CHECK (points BETWEEN 1 AND {INT_MAX}),
        status varchar(16) NOT NULL CHECK (status IN ('HELD', 'CONFIRMED', 'CANCELLED', 'EXPIRED')),
        hold_expires_at timestamptz,
        held_takes jsonb,
        hold_entry_id bigint REFERENCES points_entry (id) ON DELETE RESTRICT,
        redeem_entry_id bigint REFERENCES points_entry (id) ON DELETE RESTRICT,
        return_entry_id bigint REFERENCES points_entry (id) ON DELETE RESTRICT,
        actor varchar({ACTOR_MAX}) NOT NULL,
        idempotency_key varchar(200),
        created_at timestamptz NOT NULL,
        confirmed_at timestamptz,
        ended_at timestamptz,
        CHECK (status <> 'HELD' OR (hold_expires_at IS NOT NULL AND hold_entry_id IS NOT NULL)),
        CHECK (status <> 'CONFIRMED' OR redeem_entry_id IS NOT NULL)
    )
    """,
    "CREATE INDEX reward_redemption_program_id_id_idx ON reward_redemption (program_id, id)",
    "CREATE INDEX reward_redemption_member_id_id_idx ON reward_redemption (member_id, id)",
    "CREATE INDEX reward_redemption_member_id_reward_id_created_at_idx"
    " ON reward_redemption (member_id, reward_id, created_at)",
    "CREATE INDEX reward_redemption_reward_id_idx ON reward_redemption (reward_id)",
    # The hold-expiry job reads only what is still held, by when it falls due.
    "CREATE INDEX reward_redemption_hold_due_idx ON reward_redemption (hold_expires_at)"
    " WHERE status = 'HELD'",
    """
    CREATE TABLE reward_code (
        id bigserial PRIMARY KEY,
        program_id bigint NOT NULL REFERENCES program (id) ON DELETE RESTRICT,
        reward_id bigint NOT NULL REFERENCES reward (id) ON DELETE RESTRICT,
        code varchar(64) NOT NULL,
        source varchar(16) NOT NULL CHECK (source IN ('GENERATED', 'POOL')),
        redemption_id bigint UNIQUE REFERENCES reward_redemption (id) ON DELETE RESTRICT,
        created_at timestamptz NOT NULL,
        assigned_at timestamptz,
        used_at timestamptz,
        UNIQUE (program_id, code),
        CHECK ((assigned_at IS NULL) = (redemption_id IS NULL)),
        CHECK (used_at IS NULL OR redemption_id IS NOT NULL)
    )
    """,
    # A pool's free codes, in import order: the redemption's pick reads these and nothing else.
    "CREATE INDEX reward_code_free_idx ON reward_code (reward_id, id) WHERE redemption_id IS NULL",
)


def upgrade() -> None:
    for statement in TABLES:
        op.execute(statement)


def downgrade() -> None:
    for table in ("reward_code", "reward_redemption", "reward", "reward_settings"):
        op.execute(f"DROP TABLE {table}")
