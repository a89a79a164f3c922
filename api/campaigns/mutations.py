"""Mutations of the campaigns area, admins only: createCampaign (once per idempotency key),
updateCampaign (while DRAFT), scheduleCampaign and cancelCampaign."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import strawberry

from api.campaigns.inputs import CampaignInput, spec_of
from api.campaigns.types import Campaign, visible_campaign
from api.context import Context
from api.errors import INPUT, UserError, user_errors
from api.permissions import IsAdmin
from api.relay import decode_global_id
from backbone.idempotency import check_key
from domain.campaigns import CampaignSpec
from domain.validation import ErrorCode, InvalidInput, Problem, actor
from loyalty.campaigns import commands


@strawberry.input(description="A new campaign, created as a DRAFT.")
class CreateCampaignInput(CampaignInput):
    idempotency_key: str = strawberry.field(
        description="Retries with it create the campaign once (1-200 printable characters)."
    )


@strawberry.input(description="A DRAFT campaign's new settings, replacing all of them.")
class UpdateCampaignInput(CampaignInput):
    id: strawberry.ID = strawberry.field(description="The campaign's global id.")


@strawberry.input(description="The campaign to schedule or cancel.")
class CampaignIdInput:
    id: strawberry.ID = strawberry.field(description="The campaign's global id.")


@strawberry.type(description="Result of the campaign mutations.")
class CampaignPayload:
    campaign: Campaign | None = strawberry.field(description="The campaign; null if refused.")
    user_errors: list[UserError] = strawberry.field(description="Why; nothing changed.")


def _campaign_key(value: str) -> int:
    key = decode_global_id(value, "Campaign")
    if key is None:
        raise InvalidInput(Problem(("id",), "Not a Campaign id.", ErrorCode.INVALID_ID))
    return key


def _checked(input: CampaignInput, check: Callable[[], object]) -> CampaignSpec:
    """The input's spec, with the problems of `check` (the key or id beside it) at once."""
    problems: list[Problem] = []
    try:
        check()
    except InvalidInput as refused:
        problems.extend(refused.problems)
    try:
        spec = spec_of(input)
    except InvalidInput as refused:
        problems.extend(refused.problems)
    if problems:
        raise InvalidInput(*problems)
    return spec


async def _payload(
    info: strawberry.Info[Context, Any], run: Callable[[int], Awaitable[int]]
) -> CampaignPayload:
    try:
        key = await run((await info.context.require_program()).id)
    except InvalidInput as refused:
        return CampaignPayload(campaign=None, user_errors=user_errors(refused))
    return CampaignPayload(campaign=await visible_campaign(info, key), user_errors=[])


@strawberry.type
class CampaignMutations:
    @strawberry.mutation(
        description="Create a DRAFT campaign: a trigger (and optionally a segment), a window, a "
        "message and/or an offer, optionally arms and a holdout. Once per idempotency key.",
        permission_classes=[IsAdmin],
    )
    async def create_campaign(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[CreateCampaignInput, strawberry.argument(description=INPUT)],
    ) -> CampaignPayload:
        async def run(program_id: int) -> int:
            spec = _checked(input, lambda: check_key(input.idempotency_key))
            principal = info.context.require_principal()
            return await info.context.bus.handle(
                commands.CreateCampaign(
                    program_id=program_id,
                    actor=actor(principal.role.value, principal.subject),
                    spec=spec,
                    idempotency_key=input.idempotency_key,
                )
            )

        return await _payload(info, run)

    @strawberry.mutation(
        description="Replace a DRAFT campaign's settings (a scheduled one no longer changes).",
        permission_classes=[IsAdmin],
    )
    async def update_campaign(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[UpdateCampaignInput, strawberry.argument(description=INPUT)],
    ) -> CampaignPayload:
        async def run(program_id: int) -> int:
            spec = _checked(input, lambda: _campaign_key(input.id))
            key = _campaign_key(input.id)  # well-formed: _checked refused it otherwise
            command = commands.UpdateCampaign(program_id=program_id, campaign_id=key, spec=spec)
            return await info.context.bus.handle(command)

        return await _payload(info, run)

    @strawberry.mutation(
        description="Schedule a DRAFT campaign: SCHEDULED, then RUNNING from startsAt (at once "
        "if it has come). Scheduling again is refused (INVALID_CAMPAIGN_STATE).",
        permission_classes=[IsAdmin],
    )
    async def schedule_campaign(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[CampaignIdInput, strawberry.argument(description=INPUT)],
    ) -> CampaignPayload:
        async def run(program_id: int) -> int:
            command = commands.ScheduleCampaign(
                program_id=program_id, campaign_id=_campaign_key(input.id)
            )
            return await info.context.bus.handle(command)

        return await _payload(info, run)

    @strawberry.mutation(
        description="Cancel a campaign that has not ended: nobody more is reached, its offers "
        "stop applying; its deliveries so far stay recorded.",
        permission_classes=[IsAdmin],
    )
    async def cancel_campaign(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[CampaignIdInput, strawberry.argument(description=INPUT)],
    ) -> CampaignPayload:
        async def run(program_id: int) -> int:
            command = commands.CancelCampaign(
                program_id=program_id, campaign_id=_campaign_key(input.id)
            )
            return await info.context.bus.handle(command)

        return await _payload(info, run)
