"""Queries of the campaigns area: the program's campaigns and one campaign, admins only."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from api.campaigns.types import Campaign, CampaignConnection, visible_campaign
from api.context import Context
from api.permissions import IsAdmin
from api.relay import AFTER, FIRST, decode_cursor, decode_global_id, keyset_connection, page_size
from loyalty.campaigns.reads import campaigns_page

CURSOR = "campaign"


@strawberry.type
class CampaignQueries:
    @strawberry.field(
        description="The program's campaigns, oldest first, with their delivery counts.",
        permission_classes=[IsAdmin],
    )
    async def campaigns(
        self,
        info: strawberry.Info[Context, Any],
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> CampaignConnection:
        limit = page_size(first, "campaigns")
        after_id = decode_cursor(after, CURSOR)
        program = await info.context.program()
        rows = (
            await campaigns_page(program.id, after_id=after_id, limit=limit + 1)
            if program is not None
            else []
        )
        return keyset_connection(
            CampaignConnection, rows, limit, CURSOR, Campaign.from_model, after=after
        )

    @strawberry.field(
        description="One campaign by its global id; null if it is not the program's.",
        permission_classes=[IsAdmin],
    )
    async def campaign(
        self,
        info: strawberry.Info[Context, Any],
        id: Annotated[strawberry.ID, strawberry.argument(description="The campaign's id.")],
    ) -> Campaign | None:
        key = decode_global_id(id, "Campaign")
        return await visible_campaign(info, key) if key is not None else None
