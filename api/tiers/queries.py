"""Queries of the tiers area (a member's tier status is the Member type's `tier` field)."""

from __future__ import annotations

from typing import Any

import strawberry

from api.context import Context
from api.members.types import visible_member
from api.permissions import IsAnyRole
from api.tiers.types import TierChange, TierConfiguration, configuration
from loyalty.tiers import reads


@strawberry.type
class TierQueries:
    @strawberry.field(
        description="The program's tiers and policy; null until configured.",
        permission_classes=[IsAnyRole],
    )
    async def tier_configuration(
        self, info: strawberry.Info[Context, Any]
    ) -> TierConfiguration | None:
        program = await info.context.program()
        setup = await reads.setup(program.id) if program else None
        return configuration(setup.tiers, setup.policy) if setup else None


async def visible_tier_change(info: strawberry.Info[Context, Any], key: int) -> TierChange | None:
    """A tier change by key (`node(id:)`) if the caller may see its member: inside the caller's
    program, a member only its own."""
    change = await reads.change(key)
    if change is None or await visible_member(info, change.member_id) is None:
        return None
    return TierChange.from_model(change)
