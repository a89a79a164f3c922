"""Rewards given, not redeemed: another area's write (a referral's conversion) grants a member a
catalog reward at no points cost, and may take it back while it is unused.

A gift is a CONFIRMED redemption of 0 points with a `gift_source` (e.g. `referral:12`) and no
ledger entry. It obeys the reward as a redemption does: availability, tier gate and per-member
limit (redeeming.admit), one unit of stock, a pool or generated code; it counts toward the
member's limit and the stock like any redemption. Refusals do not raise: the caller's write
(an award) goes on, and the refusal's code says why nothing was given.

Runs inside the caller's unit of work, under the member's lock, after every member lock the
write takes (stock and codes are program-level rows: backbone/locks.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from backbone.uow import UnitOfWork
from domain.events import RedemptionCancelled, RewardGranted
from domain.redemptions import RedemptionStatus
from domain.validation import ErrorCode, InvalidInput
from loyalty.programs import ProgramRef
from loyalty.rewards.models import Redemption, Reward, RewardCode
from loyalty.rewards.redeeming import admit
from loyalty.rewards.stock import assign_code, pick_pool_code, return_unit, take_unit

GIFT_ACTOR = "system"
_CANCEL = """
UPDATE reward_redemption SET status = 'CANCELLED', ended_at = $2
WHERE id = $1 AND status = 'CONFIRMED' AND gift_source IS NOT NULL RETURNING id
"""


@dataclass(frozen=True, slots=True)
class Gift:
    """The redemption that gave the reward, or why none did."""

    redemption_id: int | None
    refusal: ErrorCode | None = None


async def grant_gift(
    uow: UnitOfWork, program: ProgramRef, member_id: int, reward_id: int, *, source: str
) -> Gift:
    connection, now = uow.connection, uow.now()
    reward = await Reward.get_or_none(id=reward_id, program_id=program.id, using_db=connection)
    if reward is None:
        return Gift(None, ErrorCode.REWARD_NOT_FOUND)
    try:
        await admit(connection, program, reward, member_id, now)
        await take_unit(connection, reward.id)
    except InvalidInput as refused:
        return Gift(None, refused.problems[0].code)
    try:
        picked = await pick_pool_code(connection, reward)
    except InvalidInput as refused:
        await return_unit(connection, reward.id)  # the pool is empty: the unit goes back
        return Gift(None, refused.problems[0].code)
    redemption = await Redemption.create(
        program_id=program.id,
        member_id=member_id,
        reward_id=reward.id,
        points=0,
        status=RedemptionStatus.CONFIRMED,
        actor=GIFT_ACTOR,
        gift_source=source,
        created_at=now,
        confirmed_at=now,
        using_db=connection,
    )
    await assign_code(connection, reward, redemption.id, picked, now)
    uow.record(
        RewardGranted(
            program_id=program.id,
            member_id=member_id,
            redemption_id=redemption.id,
            reward_id=reward.id,
            source_ref=source,
        )
    )
    return Gift(redemption.id)


async def take_back_gift(uow: UnitOfWork, redemption_id: int) -> bool:
    """Cancel an unused gift, its unit of stock returned (its code stays with it, void, never
    handed out again); False when its code was used, and it is kept. A gift already cancelled
    is taken back already."""
    connection = uow.connection
    redemption = await Redemption.get(id=redemption_id, using_db=connection)
    code = await RewardCode.get_or_none(redemption_id=redemption_id, using_db=connection)
    if code is not None and code.used_at is not None:
        return False
    if await connection.execute_query_dict(_CANCEL, [redemption_id, uow.now()]):
        await return_unit(connection, redemption.reward_id)
        uow.record(
            RedemptionCancelled(
                program_id=redemption.program_id,
                member_id=redemption.member_id,
                redemption_id=redemption.id,
                reward_id=redemption.reward_id,
                points=0,
            )
        )
    return True
