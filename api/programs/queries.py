"""Queries of the programs area."""

from __future__ import annotations

from typing import Any

import strawberry

from api.context import Context
from api.permissions import IsAnyRole
from api.programs.types import Program
from loyalty import programs


@strawberry.type
class ProgramQueries:
    @strawberry.field(
        description="The caller's program (tenant); null until it is provisioned.",
        permission_classes=[IsAnyRole],
    )
    async def program(self, info: strawberry.Info[Context, Any]) -> Program | None:
        found = await programs.find_program(info.context.require_principal().program_key)
        return Program.from_model(found) if found else None
