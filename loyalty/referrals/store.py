"""Referral settings and codes in the database."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from domain.referrals import Settings, VelocityAction, new_code

_SETTINGS = """
SELECT window_days, min_order_total, referrer_points, referee_points, velocity_cap,
       velocity_days, velocity_action, lifetime_cap, grace_days, link_template,
       referrer_reward_id, referee_reward_id
FROM referral_settings WHERE program_id = $1
"""
_SAVE = """
INSERT INTO referral_settings (program_id, window_days, min_order_total, referrer_points,
  referee_points, velocity_cap, velocity_days, velocity_action, lifetime_cap, grace_days,
  link_template, updated_at, referrer_reward_id, referee_reward_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
ON CONFLICT (program_id) DO UPDATE SET window_days = EXCLUDED.window_days,
  min_order_total = EXCLUDED.min_order_total, referrer_points = EXCLUDED.referrer_points,
  referee_points = EXCLUDED.referee_points, velocity_cap = EXCLUDED.velocity_cap,
  velocity_days = EXCLUDED.velocity_days, velocity_action = EXCLUDED.velocity_action,
  lifetime_cap = EXCLUDED.lifetime_cap, grace_days = EXCLUDED.grace_days,
  link_template = EXCLUDED.link_template, updated_at = EXCLUDED.updated_at,
  referrer_reward_id = EXCLUDED.referrer_reward_id, referee_reward_id = EXCLUDED.referee_reward_id
"""
# A member's current code. At most one exists: a partial unique index on the member's current
# code (revision 0016) makes a second, concurrent maker of a first code insert nothing, after
# waiting for the first one's commit, and then read the first one's code.
_CURRENT = """
SELECT code FROM referral_code WHERE member_id = $1 AND retired_at IS NULL ORDER BY id LIMIT 1
"""
_ADD = """
INSERT INTO referral_code (program_id, member_id, code, created_at) VALUES ($1, $2, $3, $4)
ON CONFLICT DO NOTHING RETURNING code
"""
_REWARDS = "SELECT id FROM reward WHERE program_id = $1 AND id = ANY($2::bigint[])"
_RETIRE = "UPDATE referral_code SET retired_at = $2 WHERE member_id = $1 AND retired_at IS NULL"
_AUDIT = """
INSERT INTO referral_fraud (program_id, referral_id, referrer_id, referee_id, code, rule, verdict,
  actor, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
"""


def settings_from(row: dict[str, Any]) -> Settings:
    return Settings(
        window_days=row["window_days"],
        min_order_total=Decimal(row["min_order_total"]),
        referrer_points=row["referrer_points"],
        referee_points=row["referee_points"],
        velocity_cap=row["velocity_cap"],
        velocity_days=row["velocity_days"],
        velocity_action=VelocityAction(row["velocity_action"]),
        lifetime_cap=row["lifetime_cap"],
        grace_days=row["grace_days"],
        link_template=row["link_template"],
        referrer_reward_id=row["referrer_reward_id"],
        referee_reward_id=row["referee_reward_id"],
    )


async def load_settings(connection: BaseDBAsyncClient, program_id: int) -> Settings | None:
    rows = await connection.execute_query_dict(_SETTINGS, [program_id])
    return settings_from(rows[0]) if rows else None


async def save_settings(
    connection: BaseDBAsyncClient, program_id: int, settings: Settings, now: datetime
) -> None:
    s = settings
    await connection.execute_query_dict(
        _SAVE,
        [
            program_id, s.window_days, s.min_order_total, s.referrer_points, s.referee_points,
            s.velocity_cap, s.velocity_days, s.velocity_action.value, s.lifetime_cap,
            s.grace_days, s.link_template, now, s.referrer_reward_id, s.referee_reward_id,
        ],
    )  # fmt: skip


async def rewards_of_program(
    connection: BaseDBAsyncClient, program_id: int, reward_ids: list[int]
) -> set[int]:
    """Which of these catalog rewards belong to the program."""
    rows = await connection.execute_query_dict(_REWARDS, [program_id, reward_ids])
    return {row["id"] for row in rows}


async def current_code(connection: BaseDBAsyncClient, member_id: int) -> str | None:
    rows = await connection.execute_query_dict(_CURRENT, [member_id])
    return rows[0]["code"] if rows else None


async def add_code(
    connection: BaseDBAsyncClient, program_id: int, member_id: int, now: datetime
) -> str:
    """A fresh code for a member without a current one; drawn again on the (one in 10^12)
    collision with another member's code. When another write gave the member its current code
    meanwhile (the insert conflicts on the member's current code), that code is the answer."""
    while True:
        rows = await connection.execute_query_dict(_ADD, [program_id, member_id, new_code(), now])
        if rows:
            code: str = rows[0]["code"]
            return code
        if (current := await current_code(connection, member_id)) is not None:
            return current


async def ensure_code(
    connection: BaseDBAsyncClient, program_id: int, member_id: int, now: datetime
) -> str:
    """The member's current code, made at first read for members enrolled before referrals;
    concurrent first reads all answer the one code that was made."""
    return await current_code(connection, member_id) or await add_code(
        connection, program_id, member_id, now
    )


async def retire_codes(connection: BaseDBAsyncClient, member_id: int, now: datetime) -> None:
    await connection.execute_query_dict(_RETIRE, [member_id, now])


async def audit(
    connection: BaseDBAsyncClient,
    program_id: int,
    *,
    rule: str,
    verdict: str,
    actor: str,
    at: datetime,
    referral_id: int | None = None,
    referrer_id: int | None = None,
    referee_id: int | None = None,
    code: str | None = None,
) -> None:
    await connection.execute_query_dict(
        _AUDIT,
        [program_id, referral_id, referrer_id, referee_id, code, rule, verdict, actor, at],
    )
