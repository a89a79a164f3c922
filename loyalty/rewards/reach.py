"""Rewards within a member's reach: the catalog's near goals for the member status document."""

from __future__ import annotations

from datetime import datetime

from tortoise import connections

from domain.redemptions import DEFAULT_WITHIN_REACH_PERCENT, Suggestion, within_reach
from loyalty.programs import ProgramRef
from loyalty.rewards.models import Reward
from loyalty.rewards.reads import within_reach_candidates
from loyalty.tiers.published import tier_of


async def rewards_within_reach(
    program: ProgramRef, member_id: int, available: int, *, now: datetime, limit: int
) -> list[tuple[Suggestion, Reward]]:
    """Nearest first, each with its explanation: two statements (the tier, the candidates)."""
    rewards, candidates, percent = await within_reach_candidates(
        program.id,
        member_id,
        await member_tier(program.id, member_id),
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
