"""Rewards within a member's reach: the catalog's near goals for the member status document."""

from __future__ import annotations

from datetime import datetime

from tortoise import connections

from consent.published import use_if_allowed
from domain.consent import PERSONALIZATION, DataCategory
from domain.redemptions import DEFAULT_WITHIN_REACH_PERCENT, Suggestion, within_reach
from loyalty.programs import ProgramRef
from loyalty.rewards.models import Reward
from loyalty.rewards.reads import within_reach_candidates
from loyalty.tiers.published import tier_of

# Who uses the member's data for suggestions, in the data-usage log (domain.consent.SYSTEM_PARTS).
SUGGESTIONS_ACTOR = "system:rewards.within_reach"


async def rewards_within_reach(
    program: ProgramRef,
    member_id: int,
    available: int,
    tier: str | None,
    *,
    now: datetime,
    limit: int,
) -> list[tuple[Suggestion, Reward]]:
    """Nearest first, each with its explanation, at the member's `tier` (its key, None without
    tiers; the status screen has read it already): one statement for the candidates, after one
    that asks consent (personalization) and logs the use once a day. Without personalization
    there are no suggestions: the screen shows none, and nothing is read."""
    if not await use_if_allowed(
        connections.get("default"),
        program_id=program.id,
        member_id=member_id,
        purpose=PERSONALIZATION,
        categories=(DataCategory.LOYALTY_ACTIVITY,),
        actor=SUGGESTIONS_ACTOR,
        reason="rewards within reach of your points balance and tier",
        at=now,
    ):
        return []
    rewards, candidates, percent = await within_reach_candidates(
        program.id,
        member_id,
        tier,
        available,
        now=now,
        tz=program.timezone,
    )
    chosen = within_reach(candidates, available, percent or DEFAULT_WITHIN_REACH_PERCENT, limit)
    return [(suggestion, rewards[suggestion.reward_id]) for suggestion in chosen]


async def member_tier(program_id: int, member_id: int) -> str | None:
    """The member's tier key, None when the program has no tiers."""
    tier = await tier_of(connections.get("default"), program_id, member_id)
    return tier.key if tier is not None else None
