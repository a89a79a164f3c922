"""Queries of the partners area: the program's partner clients (admins), and the members a
partner may see (partners with `members:read`)."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from api.auth import Role
from api.context import Context
from api.partners.members import SharedMember, shared_member
from api.partners.types import PartnerClient, PartnerClientConnection
from api.permissions import IsAdmin, roles
from api.relay import AFTER, FIRST, decode_cursor, keyset_connection, page_size
from domain.partners import Scope
from loyalty.partners import service

CURSOR_KIND = "partner-client"


@strawberry.type
class PartnerQueries:
    @strawberry.field(
        description="The program's partner clients in registration order, revoked ones too. "
        "`first` at most 100.",
        permission_classes=[IsAdmin],
    )
    async def partner_clients(
        self,
        info: strawberry.Info[Context, Any],
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> PartnerClientConnection:
        limit = page_size(first, "partnerClients")
        after_id = decode_cursor(after, CURSOR_KIND) or 0
        program = await info.context.program()
        rows = (
            await service.page(
                program.id, after_id=after_id, limit=limit + 1, at=info.context.clock.now()
            )
            if program is not None
            else []
        )
        return keyset_connection(
            PartnerClientConnection, rows, limit, CURSOR_KIND, PartnerClient.of, after=after
        )

    @strawberry.field(
        description="A member by the storefront's externalId, if the calling partner brought "
        "it in or it shares its data with partners (partner_sharing); null otherwise. Reading "
        "its personal data is recorded in its data-usage log.",
        permission_classes=[roles(Role.PARTNER, scope=Scope.MEMBERS_READ)],
    )
    async def partner_member(
        self,
        info: strawberry.Info[Context, Any],
        external_id: Annotated[str, strawberry.argument(description="The storefront's id.")],
    ) -> SharedMember | None:
        return await shared_member(info, external_id)
