"""Queries of the consent area."""

from __future__ import annotations

from typing import Any

import strawberry

from api.consent.types import ConsentPurpose
from api.context import Context
from api.permissions import IsAnyRole
from consent import reads


@strawberry.type
class ConsentQueries:
    @strawberry.field(
        description="The program's purposes for members' data, with their legal basis and "
        "current policy version.",
        permission_classes=[IsAnyRole],
    )
    async def consent_purposes(self, info: strawberry.Info[Context, Any]) -> list[ConsentPurpose]:
        program = await info.context.program()
        if program is None:
            return []
        return [ConsentPurpose.from_model(p) for p in await reads.purposes(program.id)]
