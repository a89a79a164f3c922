"""Mutations of partner clients: register, rotate a secret, revoke (admins only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import strawberry

from api.context import Context
from api.errors import INPUT, user_errors
from api.partners.types import (
    PartnerClient,
    PartnerClientPayload,
    PartnerClientSecretPayload,
    PartnerScope,
)
from api.permissions import IsAdmin
from api.relay import decode_global_id
from backbone.bus import Command
from domain.partners import OVERLAP_DEFAULT, Scope
from domain.validation import ErrorCode, InvalidInput, Problem, actor
from loyalty.partners import commands
from loyalty.partners.service import Client

_OVERLAP_HOURS = int(OVERLAP_DEFAULT.total_seconds() // 3600)


@strawberry.input(description="A partner client to register.")
class RegisterPartnerClientInput:
    name: str = strawberry.field(description="Who the partner is, 1-100 characters.")
    scopes: list[PartnerScope] = strawberry.field(
        description="What its tokens may do; at least one."
    )
    rate_limit: PartnerRateLimitInput | None = strawberry.field(
        default=None,
        description="Its own throttling bucket; omitted: the partner role's (LOYALTY_RATE_LIMITS).",
    )


@strawberry.input(description="A partner client's throttling bucket (cost points).")
class PartnerRateLimitInput:
    maximum: int = strawberry.field(description="Points the bucket holds, 5010-1000000.")
    restore_per_second: int = strawberry.field(
        description="Points that flow back each second, 1-100000."
    )


@strawberry.input(description="A new secret for a partner client.")
class RotatePartnerClientSecretInput:
    client_id: strawberry.ID = strawberry.field(description="The client (its global id).")
    overlap_hours: int | None = strawberry.field(
        default=None,
        description=f"How long the secrets in use keep working, 0-720 hours (default "
        f"{_OVERLAP_HOURS}): time for the partner to deploy the new one.",
    )


@strawberry.input(description="A partner client to revoke.")
class RevokePartnerClientInput:
    client_id: strawberry.ID = strawberry.field(description="The client (its global id).")


def _key(global_id: str) -> int:
    key = decode_global_id(global_id, PartnerClient.__name__)
    if key is None:
        raise InvalidInput(Problem(("clientId",), "Not a PartnerClient id.", ErrorCode.INVALID_ID))
    return key


async def _with_secret(
    info: strawberry.Info[Context, Any],
    command: Callable[[int], Command[tuple[Client, str]]],
) -> PartnerClientSecretPayload:
    """Run a command answering a client and its new secret; its refusals as userErrors."""
    try:
        program = await info.context.require_program()
        client, secret = await info.context.bus.handle(command(program.id))
    except InvalidInput as refused:
        return PartnerClientSecretPayload(
            client=None, client_secret=None, user_errors=user_errors(refused)
        )
    return PartnerClientSecretPayload(
        client=PartnerClient.of(client), client_secret=secret, user_errors=[]
    )


@strawberry.type
class PartnerMutations:
    @strawberry.mutation(
        description="Register a partner's OAuth client with scopes; its secret is answered "
        "here, once (only a digest is kept).",
        permission_classes=[IsAdmin],
    )
    async def register_partner_client(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[RegisterPartnerClientInput, strawberry.argument(description=INPUT)],
    ) -> PartnerClientSecretPayload:
        principal = info.context.require_principal()

        def command(program_id: int) -> commands.RegisterPartnerClient:
            return commands.RegisterPartnerClient(
                program_id=program_id,
                name=input.name,
                scopes=tuple(Scope(scope).value for scope in input.scopes),
                actor=actor(principal.role.value, principal.subject),
                rate_limit=(
                    (input.rate_limit.maximum, input.rate_limit.restore_per_second)
                    if input.rate_limit is not None
                    else None
                ),
            )

        return await _with_secret(info, command)

    @strawberry.mutation(
        description="Issue a new secret for a client (answered here, once); the secrets in use "
        "keep working for overlapHours, then stop. Tokens already issued are not affected.",
        permission_classes=[IsAdmin],
    )
    async def rotate_partner_client_secret(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[RotatePartnerClientSecretInput, strawberry.argument(description=INPUT)],
    ) -> PartnerClientSecretPayload:

        def command(program_id: int) -> commands.RotatePartnerSecret:
            return commands.RotatePartnerSecret(
                program_id=program_id,
                client_key=_key(input.client_id),
                overlap_hours=input.overlap_hours,
            )

        return await _with_secret(info, command)

    @strawberry.mutation(
        description="Revoke a client, for good: its secrets stop at once, and so do the tokens "
        "it holds (every request checks its client).",
        permission_classes=[IsAdmin],
    )
    async def revoke_partner_client(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[RevokePartnerClientInput, strawberry.argument(description=INPUT)],
    ) -> PartnerClientPayload:
        try:
            program = await info.context.require_program()
            client = await info.context.bus.handle(
                commands.RevokePartnerClient(
                    program_id=program.id, client_key=_key(input.client_id)
                )
            )
        except InvalidInput as refused:
            return PartnerClientPayload(client=None, user_errors=user_errors(refused))
        if info.context.partner_gate is not None:
            await info.context.partner_gate.revoked(
                info.context.redis, client.client_id, program.key
            )
        return PartnerClientPayload(client=PartnerClient.of(client), user_errors=[])
