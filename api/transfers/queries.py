"""Queries of points transfers: the program's limits, and (for admins) every transfer."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from tortoise import connections

from api.auth import Role
from api.context import Context
from api.permissions import IsAdmin, roles
from api.relay import AFTER, FIRST, decode_cursor, page_size
from api.transfers.types import PointsTransferConnection, TransferSettings, connection_of
from domain import transfers as rules
from loyalty.points import transfer_reads as reads
from loyalty.points.transfer_settings import settings_of


@strawberry.type
class TransferQueries:
    @strawberry.field(
        description="The program's limits on transfers between members: whether they are on, "
        "points per transfer, daily caps and the membership age needed to send. Member, "
        "storefront and admin tokens.",
        permission_classes=[roles(Role.MEMBER, Role.STOREFRONT, Role.ADMIN)],
    )
    async def transfer_settings(self, info: strawberry.Info[Context, Any]) -> TransferSettings:
        program = await info.context.program()
        if program is None:
            return TransferSettings.of(rules.DEFAULTS)
        return TransferSettings.of(await settings_of(connections.get("default"), program.id))

    @strawberry.field(
        description="Every transfer between the program's members, newest first. Admin tokens "
        "only.",
        permission_classes=[IsAdmin],
    )
    async def points_transfers(
        self,
        info: strawberry.Info[Context, Any],
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> PointsTransferConnection:
        limit = page_size(first, "pointsTransfers")
        before_id = decode_cursor(after, "transfer")
        program = await info.context.program()
        if program is None:
            return connection_of([], limit, after, None)
        rows = await reads.program_page(program.id, before_id=before_id, limit=limit + 1)
        return connection_of(rows, limit, after, None)
