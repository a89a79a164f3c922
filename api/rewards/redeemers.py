"""Social proof on a reward: how many members redeemed it, lately and ever (counts only, so
every caller that sees the reward may see them)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import strawberry

from api.context import Context
from loyalty.rewards import reads

RECENT = timedelta(days=30)


@strawberry.type(
    description="How many members redeemed a reward (confirmed redemptions, not gifts; a member "
    "who redeemed it twice counts once). Exact: counted from the redemptions themselves."
)
class Redeemers:
    last_30_days: int = strawberry.field(
        name="last30Days", description="Members whose redemption was confirmed in the last 30 days."
    )
    all_time: int = strawberry.field(description="Members who ever redeemed it.")


async def redeemers_of(info: strawberry.Info[Context, Any], reward_id: int) -> Redeemers:
    """One reward's figures, batched per request: a page of rewards costs one statement."""
    context = info.context
    since = context.clock.now() - RECENT

    async def load(keys: list[int]) -> list[Redeemers]:
        found = await reads.redeemers(keys, since)
        return [
            Redeemers(last_30_days=found.get(key, (0, 0))[1], all_time=found.get(key, (0, 0))[0])
            for key in keys
        ]

    loaded: Redeemers = await context.loader("rewards.redeemers", load).load(reward_id)
    return loaded
