"""Queries of the gifts area: the program's gifts settings with their budgets, and the gifts
that came due (given and skipped, with reasons)."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from api.context import Context
from api.gifts.types import CURSOR, GiftConnection, GiftSetting, connection_of
from api.permissions import IsAdmin
from api.relay import AFTER, FIRST, decode_cursor, page_size
from domain import gifts as rules
from loyalty.gifts import reads


@strawberry.type
class GiftQueries:
    @strawberry.field(
        description="The program's gifts (one per kind configured) with each budget account "
        "in the current period.",
        permission_classes=[IsAdmin],
    )
    async def gifts(self, info: strawberry.Info[Context, Any]) -> list[GiftSetting]:
        program = await info.context.program()
        if program is None:
            return []
        found = await reads.settings_now(program.id, program.timezone, info.context.clock.now())
        return [GiftSetting.of(setting) for setting in found]

    @strawberry.field(
        description="The gifts that came due, given or skipped with the reason, oldest first.",
        permission_classes=[IsAdmin],
    )
    async def gifts_given(
        self,
        info: strawberry.Info[Context, Any],
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
        kind: Annotated[
            rules.GiftKind | None, strawberry.argument(description="Only gifts of this kind.")
        ] = None,
    ) -> GiftConnection:
        limit = page_size(first, "giftsGiven")
        after_id = decode_cursor(after, CURSOR)
        program = await info.context.program()
        if program is None:
            return connection_of([], limit, after)
        rows = await reads.gifts_page(
            program.id, after_id=after_id, kind=kind, member_id=None, limit=limit + 1
        )
        return connection_of(rows, limit, after)
