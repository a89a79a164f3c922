"""GraphQL types of redemptions and the rewards area's payloads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay

from api.auth import Role
from api.context import Context
from api.enums import described_enum
from api.errors import UserError
from api.members.types import Member, visible_member
from api.points.types import PointsBalance
from api.rewards.catalog_types import Reward, reward_loader
from domain.ledger import Balance
from domain.redemptions import RedemptionStatus
from loyalty.rewards import reads
from loyalty.rewards.models import Redemption as RedemptionModel
from loyalty.rewards.models import RewardCode

described_enum(
    RedemptionStatus,
    name="RedemptionStatus",
    description="Where a redemption stands.",
    values={
        "HELD": "Points and stock reserved for a checkout until `holdExpiresAt`.",
        "CONFIRMED": "Points spent, stock taken, the code (if any) handed out.",
        "CANCELLED": "Cancelled: points and stock returned (a confirmed one refunded).",
        "EXPIRED": "The hold ran out: points and stock returned.",
    },
)


def code_loader(context: Context) -> Any:
    async def load(ids: list[int]) -> list[RewardCode | None]:
        found = await reads.codes_of(ids)
        return [found.get(i) for i in ids]

    return context.loader("rewards.code", load)


@strawberry.type(
    description="A member's redemption of a reward. Seen by its member and by the program's "
    "storefront and admin tokens; partners see none."
)
class Redemption(relay.Node):
    redemption_id: relay.NodeID[int]
    points: int = strawberry.field(
        description="The points it costs (the member's tier price); 0 for a gift."
    )
    gift_source: str | None = strawberry.field(
        description="For a reward given at no points cost, why (e.g. `referral:12`, a referral's "
        "reward); null for a redemption."
    )
    status: RedemptionStatus = strawberry.field(description="Where it stands.")
    hold_expires_at: datetime | None = strawberry.field(
        description="For a checkout hold: when its points and stock return unless confirmed."
    )
    created_at: datetime = strawberry.field(description="When it was redeemed (or held).")
    confirmed_at: datetime | None = strawberry.field(description="When it became final.")
    ended_at: datetime | None = strawberry.field(description="When it was cancelled or expired.")
    reward_key: strawberry.Private[int]
    member_key: strawberry.Private[int]

    @strawberry.field(description="The reward redeemed.")
    async def reward(self, info: strawberry.Info[Context, Any]) -> Reward | None:
        found = await reward_loader(info.context).load(self.reward_key)
        program = await info.context.program()
        return Reward.from_model(found, program.currency) if found and program else None

    @strawberry.field(description="The member who redeemed it.")
    async def member(self, info: strawberry.Info[Context, Any]) -> Member | None:
        return await visible_member(info, self.member_key)

    @strawberry.field(
        description="The discount code, once the redemption is confirmed (null while held, and "
        "for kinds without codes). It stays with a refunded redemption: never reissued."
    )
    async def code(self, info: strawberry.Info[Context, Any]) -> str | None:
        if self.status is RedemptionStatus.HELD:
            return None
        found: RewardCode | None = await code_loader(info.context).load(self.redemption_id)
        return found.code if found else None

    @strawberry.field(
        description="Whether the checkout reported the code used (markRedemptionCodeUsed)."
    )
    async def code_used(self, info: strawberry.Info[Context, Any]) -> bool:
        found: RewardCode | None = await code_loader(info.context).load(self.redemption_id)
        return found is not None and found.used_at is not None

    @classmethod
    def from_model(cls, redemption: RedemptionModel) -> Redemption:
        return cls(
            redemption_id=redemption.id,
            points=redemption.points,
            gift_source=redemption.gift_source,
            status=redemption.status,
            hold_expires_at=redemption.hold_expires_at,
            created_at=redemption.created_at,
            confirmed_at=redemption.confirmed_at,
            ended_at=redemption.ended_at,
            reward_key=redemption.reward_id,
            member_key=redemption.member_id,
        )


async def visible_redemption(info: strawberry.Info[Context, Any], key: int) -> Redemption | None:
    """A redemption of the caller's program; a member token sees only its own."""
    context = info.context
    principal = context.require_principal()
    if principal.role is Role.PARTNER:
        return None
    program = await context.program()
    if program is None:
        return None
    found = (await reads.redemptions_by_ids(program.id, [key])).get(key)
    if found is None:
        return None
    if principal.role is Role.MEMBER:
        me = await context.me()
        if me is None or me.id != found.member_id:
            return None
    return Redemption.from_model(found)


@strawberry.type(description="A page of redemptions, newest first.")
class RedemptionConnection(relay.Connection[Redemption]):
    """Keyset-paginated by redemption id, newest first."""


@strawberry.type(description="Result of createReward or updateReward.")
class RewardPayload:
    reward: Reward | None = strawberry.field(description="The reward; null if refused.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(description="Result of importRewardCodes.")
class ImportRewardCodesPayload:
    imported: int = strawberry.field(
        description="Codes added to the pool; codes already known in the program are skipped."
    )
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(description="The program's rewards settings.")
class RewardsSettings:
    hold_minutes: int = strawberry.field(description="How long a checkout hold lasts.")
    within_reach_percent: int = strawberry.field(
        description="How near a reward must be to be suggested: the missing points as a "
        "percentage of the member's spendable points."
    )


@strawberry.type(description="Result of configureRewards.")
class ConfigureRewardsPayload:
    settings: RewardsSettings | None = strawberry.field(description="The settings now.")
    user_errors: list[UserError] = strawberry.field(description="Why the input was refused.")


@strawberry.type(description="Result of a redemption write.")
class RedemptionPayload:
    redemption: Redemption | None = strawberry.field(description="The redemption; null if refused.")
    balance: PointsBalance | None = strawberry.field(
        description="The member's points right after the write (for a replay: after the original)."
    )
    replayed: bool = strawberry.field(
        description="True when this idempotency key was seen before and the original result is returned."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why it was refused; nothing was written and the member keeps its points."
    )


def balance_view(balance: Balance | None) -> PointsBalance | None:
    if balance is None:
        return None
    return PointsBalance(
        available=balance.available,
        pending=balance.pending,
        debt=balance.debt,
        lifetime_earned=balance.lifetime,
        held=balance.held,
    )
