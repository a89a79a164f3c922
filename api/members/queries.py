"""Queries of the members area."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from api.consent.fields import log_profile_reads
from api.context import Context
from api.members.types import Member, MemberConnection, visible_member
from api.permissions import IsAdmin, IsMember, IsStorefrontOrAdmin
from api.relay import AFTER, FIRST, decode_cursor, decode_global_id, keyset_connection, page_size
from domain.members import is_external_id
from loyalty import members

CURSOR_KIND = "member"


@strawberry.type
class MemberQueries:
    @strawberry.field(description="The member the token speaks for.", permission_classes=[IsMember])
    async def me(self, info: strawberry.Info[Context, Any]) -> Member | None:
        member = await info.context.me()
        return Member.from_model(member) if member else None

    @strawberry.field(
        description="A member of the caller's program by global id; null if there is none.",
        permission_classes=[IsStorefrontOrAdmin],
    )
    async def member(
        self,
        info: strawberry.Info[Context, Any],
        id: Annotated[strawberry.ID, strawberry.argument(description="The member's global id.")],
    ) -> Member | None:
        key = decode_global_id(id, Member.__name__)
        return await visible_member(info, key) if key is not None else None

    @strawberry.field(
        description="A member of the caller's program by the storefront's externalId.",
        permission_classes=[IsStorefrontOrAdmin],
    )
    async def member_by_external_id(
        self,
        info: strawberry.Info[Context, Any],
        external_id: Annotated[str, strawberry.argument(description="The storefront's id.")],
    ) -> Member | None:
        program = await info.context.program()
        if program is None or not is_external_id(external_id):
            return None
        member = await members.member_by_external_id(program.id, external_id)
        if member is None:
            return None
        await log_profile_reads(info, [member.id])
        return Member.from_model(member)

    @strawberry.field(
        description="All members of the program in enrollment order, `first` at most 100.",
        permission_classes=[IsAdmin],
    )
    async def members(
        self,
        info: strawberry.Info[Context, Any],
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> MemberConnection:
        limit = page_size(first, "members")
        after_id = decode_cursor(after, CURSOR_KIND)
        program = await info.context.program()
        rows = (
            await members.list_members(program.id, after_id=after_id, limit=limit + 1)
            if program
            else []
        )
        await log_profile_reads(info, [row.id for row in rows[:limit]])
        return keyset_connection(
            MemberConnection, rows, limit, CURSOR_KIND, Member.from_model, after=after
        )
