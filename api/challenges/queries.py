"""Queries of the challenges area: the program's challenges and badges."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from api.auth import Role
from api.challenges.types import Badge, BadgeConnection, Challenge, ChallengeConnection
from api.context import Context
from api.permissions import roles
from api.relay import AFTER, FIRST, decode_cursor, keyset_connection, page_size
from loyalty.challenges.reads import badges_page, challenges_page

CURSOR = "challenge"
BADGE_CURSOR = "badge"


@strawberry.type
class ChallengeQueries:
    @strawberry.field(
        description="The program's challenges, oldest first, each with how many members "
        "completed it: every one for admins, the active ones for members and storefronts.",
        permission_classes=[roles(Role.MEMBER, Role.STOREFRONT, Role.ADMIN)],
    )
    async def challenges(
        self,
        info: strawberry.Info[Context, Any],
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> ChallengeConnection:
        principal = info.context.require_principal()
        limit = page_size(first, "challenges")
        after_id = decode_cursor(after, CURSOR)
        program = await info.context.program()
        rows = (
            await challenges_page(
                program.id,
                after_id=after_id,
                limit=limit + 1,
                active_only=principal.role is not Role.ADMIN,
            )
            if program is not None
            else []
        )
        return keyset_connection(
            ChallengeConnection, rows, limit, CURSOR, Challenge.from_model, after=after
        )

    @strawberry.field(
        description="The program's badges, oldest first.",
        permission_classes=[roles(Role.MEMBER, Role.STOREFRONT, Role.ADMIN)],
    )
    async def badges(
        self,
        info: strawberry.Info[Context, Any],
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> BadgeConnection:
        limit = page_size(first, "badges")
        after_id = decode_cursor(after, BADGE_CURSOR)
        program = await info.context.program()
        rows = (
            await badges_page(program.id, after_id=after_id, limit=limit + 1)
            if program is not None
            else []
        )
        return keyset_connection(
            BadgeConnection, rows, limit, BADGE_CURSOR, Badge.from_model, after=after
        )
