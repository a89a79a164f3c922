"""A referral's catalog rewards: each side's reward of the settings, given at conversion at no
points cost (loyalty/rewards/gifting.py), and taken back with the points when the referral is
reversed.

Both run after both members' points, with both members locked: the reward's stock and codes
are program-level rows, locked last (backbone/locks.py). A reward that cannot be given (out of
stock, withdrawn, outside its window, not for the member's tier, over its per-member limit)
does not stop the conversion: the points are given all the same, and the referral records
REFUSED with the refusal's code. A reversal cancels an unused reward; one whose code was used
is kept, and the referral records KEPT_USED.
"""

from __future__ import annotations

from typing import Any

from backbone.uow import UnitOfWork
from domain.referrals import GiftOutcome, Settings
from loyalty.programs import ProgramRef
from loyalty.rewards.gifting import grant_gift, take_back_gift

_GRANTED = """
UPDATE referral SET referee_reward_id = $2, referee_redemption_id = $3,
  referee_reward_outcome = $4, referee_reward_refusal = $5, referrer_reward_id = $6,
  referrer_redemption_id = $7, referrer_reward_outcome = $8, referrer_reward_refusal = $9
WHERE id = $1
"""
_TAKEN_BACK = """
UPDATE referral SET referee_reward_outcome = COALESCE($2, referee_reward_outcome),
  referrer_reward_outcome = COALESCE($3, referrer_reward_outcome)
WHERE id = $1
"""
_LOCK = "SELECT id FROM member WHERE id = $1 FOR NO KEY UPDATE"


async def grant_gifts(
    uow: UnitOfWork, program: ProgramRef, referral: dict[str, Any], settings: Settings
) -> None:
    sides = (
        (referral["referee_id"], settings.referee_reward_id),
        (referral["referrer_id"], settings.referrer_reward_id),
    )
    if all(reward_id is None for _, reward_id in sides):
        return
    values: list[Any] = []
    for member_id, reward_id in sides:
        if reward_id is None:
            values += [None, None, None, None]
            continue
        gift = await grant_gift(
            uow, program, member_id, reward_id, source=f"referral:{referral['id']}"
        )
        outcome = GiftOutcome.GRANTED if gift.redemption_id is not None else GiftOutcome.REFUSED
        refusal = gift.refusal.value if gift.refusal is not None else None
        values += [reward_id, gift.redemption_id, outcome.value, refusal]
    await uow.connection.execute_query_dict(_GRANTED, [referral["id"], *values])


async def take_back_gifts(uow: UnitOfWork, referral: dict[str, Any]) -> None:
    """`referral`: its members and, per side, the redemption and outcome of its reward."""
    given = [
        (side, referral[f"{side}_redemption_id"])
        for side in ("referee", "referrer")
        if referral[f"{side}_reward_outcome"] == GiftOutcome.GRANTED.value
    ]
    if not given:
        return
    # The return holds the referee; the referrer too when points were taken back, else now.
    await uow.connection.execute_query_dict(_LOCK, [referral["referrer_id"]])
    outcomes: dict[str, str | None] = {"referee": None, "referrer": None}
    for side, redemption_id in given:
        taken = await take_back_gift(uow, redemption_id)
        outcomes[side] = (GiftOutcome.TAKEN_BACK if taken else GiftOutcome.KEPT_USED).value
    await uow.connection.execute_query_dict(
        _TAKEN_BACK, [referral["id"], outcomes["referee"], outcomes["referrer"]]
    )
