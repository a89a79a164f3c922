"""`Member.rewardsWithinReach`: the catalog's near goals for one member (goal-gradient)."""

from __future__ import annotations

from typing import Any

import strawberry

from api.context import Context
from api.errors import ClientError, TopLevelCode
from api.rewards.catalog_types import Reward
from api.tiers.types import tier_loader
from api.why import WHY, Why
from domain import why as why_rules
from domain.redemptions import MAX_SUGGESTIONS
from loyalty.rewards.reach import rewards_within_reach

DEFAULT_SUGGESTIONS = 3
FIRST = f"How many suggestions, 1 to {MAX_SUGGESTIONS} (default {DEFAULT_SUGGESTIONS})."
DESCRIPTION = (
    "Rewards the member cannot afford yet but nearly can: what is missing is at most the "
    "program's within-reach percentage of its spendable points (configureRewards, default 25%). "
    "Only rewards offered now, in stock, open to its tier and under its limits; nearest first."
)


@strawberry.type(description="A reward suggested because it is nearly affordable.")
class RewardSuggestion:
    reward: Reward = strawberry.field(description="The reward.")
    price: int = strawberry.field(description="What the member would pay: its tier's price.")
    points_needed: int = strawberry.field(description="Points the member still needs.")
    progress_percent: int = strawberry.field(
        description="How much of the price the member has, in percent (rounded down)."
    )
    explanation: str = strawberry.field(description="Why it was suggested, in words.")
    available: strawberry.Private[int]

    @strawberry.field(description=WHY)
    def why(self) -> Why:
        return Why.of(
            why_rules.for_suggestion(
                reward=self.reward.name,
                price=self.price,
                available=self.available,
                points_needed=self.points_needed,
                progress_percent=self.progress_percent,
            )
        )


async def within_reach(
    info: strawberry.Info[Context, Any], member_id: int, first: int
) -> list[RewardSuggestion]:
    if not 1 <= first <= MAX_SUGGESTIONS:
        raise ClientError(
            f"`first` on `rewardsWithinReach` must be 1 to {MAX_SUGGESTIONS}, got {first}.",
            TopLevelCode.BAD_USER_INPUT,
        )
    context = info.context
    program = await context.program()
    balance = await context.balance_loader.load(member_id)
    if program is None or balance is None:
        return []
    # The tier as the screen's own `tier` field reads it: one statement for both.
    status = await tier_loader(context).load(member_id)
    tier = status.tiers[status.current].key if status is not None else None
    found = await rewards_within_reach(
        program, member_id, balance.available, tier, now=context.clock.now(), limit=first
    )
    return [
        RewardSuggestion(
            reward=Reward.from_model(reward, program.currency),
            price=suggestion.price,
            points_needed=suggestion.points_needed,
            progress_percent=suggestion.progress_percent,
            explanation=suggestion.explanation,
            available=balance.available,
        )
        for suggestion, reward in found
    ]
