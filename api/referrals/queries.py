"""Queries of the referrals area: the program's settings and its referrals."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from api.auth import Role
from api.context import Context
from api.permissions import IsAdmin, roles
from api.referrals.mutations import settings_of
from api.referrals.types import CURSOR, ReferralConnection, ReferralSettings, connection_of
from api.relay import AFTER, FIRST, decode_cursor, page_size
from domain import referrals as rules
from domain.partners import Scope
from domain.validation import actor
from loyalty.referrals.reads import of_program


@strawberry.type
class ReferralQueries:
    @strawberry.field(
        description="The program's referral settings; null until configureReferrals.",
        permission_classes=[IsAdmin],
    )
    async def referral_settings(
        self, info: strawberry.Info[Context, Any]
    ) -> ReferralSettings | None:
        program = await info.context.program()
        settings = await settings_of(program.id) if program is not None else None
        return ReferralSettings.of(settings) if settings is not None else None

    @strawberry.field(
        description="The program's referrals in attribution order: all of them for admins; for a "
        "partner only those it brought (attributeReferral), without the referees.",
        permission_classes=[roles(Role.PARTNER, Role.ADMIN, scope=Scope.REFERRALS_READ)],
    )
    async def referrals(
        self,
        info: strawberry.Info[Context, Any],
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
        status: Annotated[
            rules.Status | None, strawberry.argument(description="Only referrals in this status.")
        ] = None,
    ) -> ReferralConnection:
        principal = info.context.require_principal()
        limit = page_size(first, "referrals")
        program = await info.context.program()
        if program is None:
            return await connection_of(0, [], limit, after, names=False)
        partner = principal.role is Role.PARTNER
        rows = await of_program(
            program.id,
            brought_by=actor(principal.role.value, principal.subject) if partner else None,
            status=status.value if status is not None else None,
            after_id=decode_cursor(after, CURSOR),
            limit=limit + 1,
        )
        return await connection_of(program.id, rows, limit, after, names=not partner)
