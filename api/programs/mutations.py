"""Mutations of the programs area: an admin provisions and configures its own tenant."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from api.context import Context
from api.errors import INPUT, user_errors
from api.permissions import IsAdmin
from api.programs.types import CreateProgramInput, Program, ProgramPayload, UpdateProgramInput
from domain.validation import InvalidInput
from loyalty.commands import CreateProgram, UpdateProgram


@strawberry.type
class ProgramMutations:
    @strawberry.mutation(
        description=(
            "Provision the program for the tenant named in the admin's token. Retrying with the "
            "same settings returns the same program."
        ),
        permission_classes=[IsAdmin],
    )
    async def create_program(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[CreateProgramInput, strawberry.argument(description=INPUT)],
    ) -> ProgramPayload:
        try:
            program = await info.context.bus.handle(
                CreateProgram(
                    key=info.context.require_principal().program_key,
                    name=input.name,
                    currency=input.currency,
                    timezone=input.timezone,
                    default_locale=input.default_locale,
                )
            )
        except InvalidInput as refused:
            return ProgramPayload(program=None, user_errors=user_errors(refused))
        info.context.forget_program()
        return ProgramPayload(program=Program.from_model(program), user_errors=[])

    @strawberry.mutation(
        description="Change the caller's program settings. The currency cannot change.",
        permission_classes=[IsAdmin],
    )
    async def update_program(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[UpdateProgramInput, strawberry.argument(description=INPUT)],
    ) -> ProgramPayload:
        try:
            current = await info.context.require_program()
            program = await info.context.bus.handle(
                UpdateProgram(
                    program_id=current.id,
                    name=input.name,
                    timezone=input.timezone,
                    default_locale=input.default_locale,
                )
            )
        except InvalidInput as refused:
            return ProgramPayload(program=None, user_errors=user_errors(refused))
        info.context.forget_program()
        return ProgramPayload(program=Program.from_model(program), user_errors=[])
