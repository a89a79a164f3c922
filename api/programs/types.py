"""GraphQL types of the programs area."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay

from api.context import Context
from api.errors import UserError
from api.points.configuration import PointsConfiguration
from loyalty import programs
from loyalty.models import Program as ProgramModel
from loyalty.points.config import from_json


@strawberry.type(description="A loyalty program: one tenant with its own members and rules.")
class Program(relay.Node):
    program_id: relay.NodeID[int]
    key: str = strawberry.field(description="The tenant key carried in tokens as `program`.")
    name: str = strawberry.field(description="The program's display name.")
    currency: str = strawberry.field(description="ISO 4217 currency of all money in the program.")
    timezone: str = strawberry.field(description="IANA time zone for dates and deadlines.")
    default_locale: str = strawberry.field(description="Locale for members who give none.")
    points_configuration: PointsConfiguration = strawberry.field(
        description="How points are earned, held, expire and taken back."
    )
    created_at: datetime = strawberry.field(description="When the program was provisioned.")
    updated_at: datetime = strawberry.field(description="When its settings last changed.")

    @classmethod
    def from_model(cls, program: ProgramModel) -> Program:
        return cls(
            program_id=program.id,
            key=program.key,
            name=program.name,
            currency=program.currency,
            timezone=program.timezone,
            default_locale=program.default_locale,
            points_configuration=PointsConfiguration.from_config(from_json(program.points_config)),
            created_at=program.created_at,
            updated_at=program.updated_at,
        )


async def own_program(info: strawberry.Info[Context, Any], key: int) -> Program | None:
    """The caller's own program by key; any other program is invisible."""
    current = await info.context.program()
    if current is None or current.id != key:
        return None
    found = await programs.find_program(current.key)
    return Program.from_model(found) if found else None


@strawberry.input(description="Settings of the program to provision for the caller's tenant.")
class CreateProgramInput:
    name: str = strawberry.field(description="Display name, 1-100 characters.")
    currency: str = strawberry.field(description="ISO 4217 code, e.g. EUR. Cannot change later.")
    timezone: str = strawberry.field(default="UTC", description="IANA time zone.")
    default_locale: str = strawberry.field(default="en", description="BCP 47 locale, e.g. en-GB.")


@strawberry.input(description="Settings to change; omitted fields keep their value.")
class UpdateProgramInput:
    name: str | None = strawberry.field(default=None, description="New display name.")
    timezone: str | None = strawberry.field(default=None, description="New IANA time zone.")
    default_locale: str | None = strawberry.field(default=None, description="New default locale.")


@strawberry.type(description="Result of createProgram or updateProgram.")
class ProgramPayload:
    program: Program | None = strawberry.field(description="The program; null if refused.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")
