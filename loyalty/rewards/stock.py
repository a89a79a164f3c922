"""Stock and codes inside a redemption's transaction, after the member's lock (backbone/locks.py):
short conditional statements on program-level rows, never a lock held while deciding.

Stock: one UPDATE ... WHERE stock_left >= 1 takes a unit, or finds none (OUT_OF_STOCK); a NULL
stock is unlimited and the same statement passes. Codes: a pool's free code is picked with FOR
UPDATE SKIP LOCKED, so racing redemptions each get another one and none waits for another's
commit; a generated code is inserted, the unique index refusing a (vanishingly unlikely) repeat.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from domain.redemptions import generate_code, refuse
from domain.rewards import CodeSource, RewardKind
from domain.validation import ErrorCode
from loyalty.rewards.models import Reward

_TAKE = """
UPDATE reward SET stock_left = stock_left - 1
WHERE id = $1 AND (stock_left IS NULL OR stock_left >= 1) RETURNING id
"""
_RETURN = "UPDATE reward SET stock_left = stock_left + 1 WHERE id = $1 AND stock_left IS NOT NULL"
_PICK = """
SELECT id FROM reward_code WHERE reward_id = $1 AND redemption_id IS NULL
ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
"""
_ASSIGN = """
UPDATE reward_code SET redemption_id = $2, assigned_at = $3
WHERE id = $1 AND redemption_id IS NULL RETURNING code
"""
_GENERATE = """
INSERT INTO reward_code (program_id, reward_id, code, source, redemption_id, created_at, assigned_at)
VALUES ($1, $2, $3, 'GENERATED', $4, $5, $5)
ON CONFLICT (program_id, code) DO NOTHING RETURNING code
"""
# A held redemption's code was never shown: a pool code goes back to its pool, a generated one
# is dropped. A confirmed one's stays with it, handed out, never reassigned.
_UNASSIGN_POOL = """
UPDATE reward_code SET redemption_id = NULL, assigned_at = NULL
WHERE redemption_id = $1 AND source = 'POOL'
"""
_DROP_GENERATED = "DELETE FROM reward_code WHERE redemption_id = $1 AND source = 'GENERATED'"
GENERATE_ATTEMPTS = 5


def out_of_stock() -> Exception:
    return refuse("rewardId", "This reward is out of stock.", ErrorCode.OUT_OF_STOCK)


async def take_unit(connection: BaseDBAsyncClient, reward_id: int) -> None:
    if not await connection.execute_query_dict(_TAKE, [reward_id]):
        raise out_of_stock()


async def return_unit(connection: BaseDBAsyncClient, reward_id: int) -> None:
    await connection.execute_query_dict(_RETURN, [reward_id])


async def pick_pool_code(connection: BaseDBAsyncClient, reward: Reward) -> int | None:
    """A free code of the reward's pool, locked for this transaction; None for other kinds."""
    if reward.code_source is not CodeSource.POOL:
        return None
    rows = await connection.execute_query_dict(_PICK, [reward.id])
    if not rows:
        raise out_of_stock()  # the pool is empty: the unit of stock rolls back with this
    code_id: int = rows[0]["id"]
    return code_id


async def assign_code(
    connection: BaseDBAsyncClient,
    reward: Reward,
    redemption_id: int,
    picked: int | None,
    now: datetime,
) -> str | None:
    """Give the redemption its code: the picked pool code, or a freshly generated one."""
    if reward.kind is not RewardKind.DISCOUNT_CODE:
        return None
    if reward.code_source is CodeSource.POOL:
        assert picked is not None
        [row] = await connection.execute_query_dict(_ASSIGN, [picked, redemption_id, now])
        code: str = row["code"]
        return code
    for _ in range(GENERATE_ATTEMPTS):
        values = [reward.program_id, reward.id, generate_code(), redemption_id, now]
        if rows := await connection.execute_query_dict(_GENERATE, values):
            generated: str = rows[0]["code"]
            return generated
    raise RuntimeError("no unused code in several attempts: is the alphabet broken?")


async def unassign_code(connection: BaseDBAsyncClient, redemption_id: int) -> None:
    await connection.execute_query_dict(_UNASSIGN_POOL, [redemption_id])
    await connection.execute_query_dict(_DROP_GENERATED, [redemption_id])
