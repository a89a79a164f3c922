"""Mutations of the rewards area: the catalog (admins) and redemptions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import strawberry

from api.auth import Role
from api.context import Context
from api.errors import INPUT, user_errors
from api.permissions import IsAdmin, IsStorefrontOrAdmin, roles
from api.rewards.catalog_types import Reward
from api.rewards.inputs import (
    ConfigureRewardsInput,
    CreateRewardInput,
    ImportRewardCodesInput,
    RedeemRewardInput,
    RedemptionInput,
    UpdateRewardInput,
)
from api.rewards.specs import changes_of, global_key, spec_of
from api.rewards.types import (
    ConfigureRewardsPayload,
    ImportRewardCodesPayload,
    Redemption,
    RedemptionPayload,
    RewardPayload,
    RewardsSettings,
    balance_view,
)
from domain.members import require_external_id
from domain.redemptions import RewardsSettings as Settings
from domain.validation import ErrorCode, InvalidInput, Problem, actor
from loyalty.rewards import commands
from loyalty.rewards.models import Reward as RewardModel

IsMemberStorefrontOrAdmin = roles(Role.MEMBER, Role.STOREFRONT, Role.ADMIN)


@strawberry.type
class RewardMutations:
    @strawberry.mutation(description="Add a reward to the catalog.", permission_classes=[IsAdmin])
    async def create_reward(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[CreateRewardInput, strawberry.argument(description=INPUT)],
    ) -> RewardPayload:
        async def run(program: Any) -> RewardModel:
            command = commands.CreateReward(program=program, spec=spec_of(input))
            return await info.context.bus.handle(command)

        return await _reward(info, run)

    @strawberry.mutation(
        description="Change a reward: its texts, price, stock (restock), limits, window, "
        "active flag or refund policy.",
        permission_classes=[IsAdmin],
    )
    async def update_reward(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[UpdateRewardInput, strawberry.argument(description=INPUT)],
    ) -> RewardPayload:
        async def run(program: Any) -> RewardModel:
            key = global_key(input.id, "Reward", "id")
            command = commands.UpdateReward(
                program=program, reward_id=key, changes=changes_of(input)
            )
            return await info.context.bus.handle(command)

        return await _reward(info, run)

    @strawberry.mutation(
        description="Import partner-supplied discount codes into a POOL reward's pool; each "
        "is handed out once at most.",
        permission_classes=[IsAdmin],
    )
    async def import_reward_codes(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[ImportRewardCodesInput, strawberry.argument(description=INPUT)],
    ) -> ImportRewardCodesPayload:
        try:
            program = await info.context.require_program()
            key = global_key(input.reward_id, "Reward", "rewardId")
            imported = await info.context.bus.handle(
                commands.ImportCodes(program=program, reward_id=key, codes=tuple(input.codes))
            )
        except InvalidInput as refused:
            return ImportRewardCodesPayload(imported=0, user_errors=user_errors(refused))
        return ImportRewardCodesPayload(imported=imported, user_errors=[])

    @strawberry.mutation(
        description="Set how long checkout holds last and how near a reward must be to be "
        "suggested as within reach.",
        permission_classes=[IsAdmin],
    )
    async def configure_rewards(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[ConfigureRewardsInput, strawberry.argument(description=INPUT)],
    ) -> ConfigureRewardsPayload:
        try:
            program = await info.context.require_program()
            settings = await info.context.bus.handle(
                commands.ConfigureRewards(
                    program_id=program.id,
                    settings=Settings(input.hold_minutes, input.within_reach_percent),
                )
            )
        except InvalidInput as refused:
            return ConfigureRewardsPayload(settings=None, user_errors=user_errors(refused))
        view = RewardsSettings(
            hold_minutes=settings.hold_minutes, within_reach_percent=settings.within_reach_percent
        )
        return ConfigureRewardsPayload(settings=view, user_errors=[])

    @strawberry.mutation(
        description="Redeem a reward for a member in one step: its points (soonest-expiring "
        "first), one unit of stock and a code where the kind has one; or, with `hold`, reserve "
        "them for a checkout. Storefront and admin tokens name the member; a member token "
        "redeems for itself. Idempotent under its key.",
        permission_classes=[IsMemberStorefrontOrAdmin],
    )
    async def redeem_reward(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[RedeemRewardInput, strawberry.argument(description=INPUT)],
    ) -> RedemptionPayload:
        async def command(asker: dict[str, Any]) -> commands.RedeemReward:
            principal = info.context.require_principal()
            member_id, external_id = _member_of(input, principal.role, principal.subject)
            return commands.RedeemReward(
                **asker,
                idempotency_key=input.idempotency_key,
                reward_id=global_key(input.reward_id, "Reward", "rewardId"),
                member_id=member_id,
                external_id=external_id,
                hold=input.hold,
            )

        return await _redemption(info, command)

    @strawberry.mutation(
        description="Make a checkout hold final: its points are spent and its code handed "
        "out. HOLD_EXPIRED once the hold ran out.",
        permission_classes=[IsStorefrontOrAdmin],
    )
    async def confirm_redemption(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[RedemptionInput, strawberry.argument(description=INPUT)],
    ) -> RedemptionPayload:
        async def command(asker: dict[str, Any]) -> commands.ConfirmRedemption:
            key = global_key(input.redemption_id, "Redemption", "redemptionId")
            return commands.ConfirmRedemption(**asker, redemption_id=key)

        return await _redemption(info, command)

    @strawberry.mutation(
        description="Cancel a redemption: a hold returns its points and stock; a confirmed "
        "redemption is refunded (points back as a new lot, stock restored) if its reward is "
        "refundable and its code unused. Cancelling an ended one changes nothing.",
        permission_classes=[IsStorefrontOrAdmin],
    )
    async def cancel_redemption(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[RedemptionInput, strawberry.argument(description=INPUT)],
    ) -> RedemptionPayload:
        async def command(asker: dict[str, Any]) -> commands.CancelRedemption:
            key = global_key(input.redemption_id, "Redemption", "redemptionId")
            return commands.CancelRedemption(**asker, redemption_id=key)

        return await _redemption(info, command)

    @strawberry.mutation(
        description="Record that a checkout applied the redemption's code: it can no longer "
        "be refunded.",
        permission_classes=[IsStorefrontOrAdmin],
    )
    async def mark_redemption_code_used(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[RedemptionInput, strawberry.argument(description=INPUT)],
    ) -> RedemptionPayload:
        async def command(asker: dict[str, Any]) -> commands.MarkCodeUsed:
            key = global_key(input.redemption_id, "Redemption", "redemptionId")
            return commands.MarkCodeUsed(program=asker["program"], redemption_id=key)

        return await _redemption(info, command)


def _member_of(input: RedeemRewardInput, role: Role, subject: str) -> tuple[int | None, str | None]:
    """Whom to redeem for; each id given is checked at its own field first."""
    member_id = (
        global_key(input.member_id, "Member", "memberId") if input.member_id is not None else None
    )
    if input.external_id is not None:
        require_external_id(input.external_id)
    if role is Role.MEMBER:
        if member_id is not None or input.external_id is not None:
            raise InvalidInput(
                Problem(
                    ("memberId",),
                    "A member token redeems for itself: leave memberId and externalId out.",
                    ErrorCode.INVALID_ID,
                )
            )
        return None, subject
    if (member_id is None) == (input.external_id is None):
        raise InvalidInput(
            Problem(
                ("memberId",), "Name the member by memberId or externalId.", ErrorCode.INVALID_ID
            )
        )
    return member_id, input.external_id


async def _reward(
    info: strawberry.Info[Context, Any], run: Callable[[Any], Awaitable[RewardModel]]
) -> RewardPayload:
    try:
        program = await info.context.require_program()
        reward = await run(program)
    except InvalidInput as refused:
        return RewardPayload(reward=None, user_errors=user_errors(refused))
    return RewardPayload(reward=Reward.from_model(reward, program.currency), user_errors=[])


async def _redemption(
    info: strawberry.Info[Context, Any], command: Callable[[dict[str, Any]], Awaitable[Any]]
) -> RedemptionPayload:
    principal = info.context.require_principal()
    try:
        asker = {
            "program": await info.context.require_program(),
            "actor": actor(principal.role.value, principal.subject),
        }
        result: commands.RedemptionResult = await info.context.bus.handle(await command(asker))
    except InvalidInput as refused:
        return RedemptionPayload(
            redemption=None, balance=None, replayed=False, user_errors=user_errors(refused)
        )
    return RedemptionPayload(
        redemption=Redemption.from_model(result.redemption),
        balance=balance_view(result.balance),
        replayed=result.replayed,
        user_errors=[],
    )
