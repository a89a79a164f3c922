"""GraphQL types of the rewards catalog (kept apart from redemptions, which name members: the
Member type shows rewards within reach, so this module must not import the members area)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry import relay

from api.auth import Role
from api.community import types as community_fields
from api.context import Context
from api.enums import described_enum
from api.rewards.redeemers import Redeemers, redeemers_of
from domain.currency import minor_unit_exponent
from domain.rewards import PERCENT_SCALE, CodeSource, DiscountType, LimitPeriod, RewardKind
from loyalty.rewards import reads
from loyalty.rewards.models import Reward as RewardModel

described_enum(
    RewardKind,
    name="RewardKind",
    description="What a member gets for its points.",
    values={
        "DISCOUNT_CODE": "A discount code for the shop (see `discount`).",
        "PHYSICAL_ITEM": "An item shipped or handed over.",
        "EXPERIENCE": "An event, a service or an experience.",
        "DONATION": "A donation made on the member's behalf.",
    },
)
described_enum(
    DiscountType,
    name="DiscountType",
    description="What a discount code takes off an order.",
    values={
        "FIXED_AMOUNT": "A fixed amount in the program's currency.",
        "PERCENTAGE": "A percentage of the order.",
        "FREE_SHIPPING": "The shipping costs.",
    },
)
described_enum(
    CodeSource,
    name="RewardCodeSource",
    description="Where a discount reward's codes come from; never is a code handed out twice.",
    values={
        "GENERATED": "Made at redemption: 12 unguessable characters, unique in the program.",
        "POOL": "Drawn from partner-supplied codes an admin imported (importRewardCodes).",
    },
)
described_enum(
    LimitPeriod,
    name="RewardLimitPeriod",
    description="The period of a per-member limit, in the program's time zone.",
    values={
        "DAY": "A calendar day.",
        "WEEK": "A calendar week, from Monday.",
        "MONTH": "A calendar month.",
        "YEAR": "A calendar year.",
        "LIFETIME": "The whole membership.",
    },
)


@strawberry.type(description="Money: an exact decimal amount and its ISO 4217 currency.")
class Money:
    amount: Decimal = strawberry.field(description="The amount, exact.")
    currency: str = strawberry.field(description="The ISO 4217 currency code.")


@strawberry.type(description="What a discount code takes off an order.")
class Discount:
    type: DiscountType = strawberry.field(description="Fixed amount, percentage or free shipping.")
    amount: Money | None = strawberry.field(description="For FIXED_AMOUNT: the amount off.")
    percentage: Decimal | None = strawberry.field(description="For PERCENTAGE: 0.01 to 100.")


@strawberry.type(description="A price for the members of one tier.")
class TierPrice:
    tier: str = strawberry.field(description="The tier's key.")
    points: int = strawberry.field(description="What its members pay, in points.")


@strawberry.type(description="A reward's counted stock.")
class RewardStock:
    total: int = strawberry.field(description="Units ever offered (restocks included).")
    left: int = strawberry.field(description="Units left; held checkouts count as taken.")


@strawberry.type(description="How often one member may redeem a reward.")
class MemberLimit:
    count: int = strawberry.field(description="Redemptions allowed per period.")
    period: LimitPeriod = strawberry.field(description="The period, in the program's time zone.")


@strawberry.type(
    description="A reward of the program's catalog. Members, storefront and admin tokens read "
    "it (members and storefronts only while it is offered); partners see none."
)
class Reward(relay.Node):
    reward_id: relay.NodeID[int]
    name: str = strawberry.field(description="The reward's name, 1-100 characters.")
    description: str = strawberry.field(description="What it is, up to 2,000 characters.")
    image_url: str | None = strawberry.field(description="An https URL of its picture.")
    kind: RewardKind = strawberry.field(description="What the member gets.")
    discount: Discount | None = strawberry.field(
        description="For DISCOUNT_CODE: what it takes off."
    )
    code_source: CodeSource | None = strawberry.field(
        description="For DISCOUNT_CODE: generated codes or a pool of imported ones."
    )
    points_cost: int = strawberry.field(description="Its price in points, unless a tier's applies.")
    tier_prices: list[TierPrice] = strawberry.field(description="Other prices for named tiers.")
    tier_gate: list[str] = strawberry.field(
        description="The tiers whose members may redeem it; empty: every member."
    )
    stock: RewardStock | None = strawberry.field(description="Counted stock; null: unlimited.")
    member_limit: MemberLimit | None = strawberry.field(
        description="How often one member may redeem it; null: no limit."
    )
    available_from: datetime | None = strawberry.field(description="Offered from this instant.")
    available_until: datetime | None = strawberry.field(description="Offered until this instant.")
    active: bool = strawberry.field(description="Offered at all; false: withdrawn by the admin.")
    refundable: bool = strawberry.field(
        description="Whether cancelling a confirmed redemption refunds its points (never once "
        "its code was used)."
    )
    created_at: datetime = strawberry.field(description="When it was added to the catalog.")
    updated_at: datetime = strawberry.field(description="When it last changed.")

    @strawberry.field(description="How many members redeemed it, in the last 30 days and ever.")
    async def redeemed_by(self, info: strawberry.Info[Context, Any]) -> Redeemers:
        return await redeemers_of(info, self.reward_id)

    @strawberry.field(description="Its approved community reviews: how many, average rating.")
    async def reviews(self, info: strawberry.Info[Context, Any]) -> community_fields.ReviewSummary:
        return await community_fields.reviews_of(info, sku=None, reward_id=self.reward_id)

    @classmethod
    def from_model(cls, reward: RewardModel, currency: str) -> Reward:
        discount = None
        if reward.discount_type is not None:
            value = reward.discount_value
            if value is not None:  # stored at 4 decimals, shown at the figure's own precision
                scale = PERCENT_SCALE
                if reward.discount_type is DiscountType.FIXED_AMOUNT:
                    scale = minor_unit_exponent(currency)
                value = value.quantize(Decimal(1).scaleb(-scale))
            discount = Discount(
                type=reward.discount_type,
                amount=Money(amount=value, currency=currency)
                if reward.discount_type is DiscountType.FIXED_AMOUNT and value is not None
                else None,
                percentage=value if reward.discount_type is DiscountType.PERCENTAGE else None,
            )
        counted = reward.stock_total is not None and reward.stock_left is not None
        return cls(
            reward_id=reward.id,
            name=reward.name,
            description=reward.description,
            image_url=reward.image_url,
            kind=reward.kind,
            discount=discount,
            code_source=reward.code_source,
            points_cost=reward.points_cost,
            tier_prices=[
                TierPrice(tier=k, points=v) for k, v in sorted(reward.tier_prices.items())
            ],
            tier_gate=list(reward.tier_gate),
            stock=RewardStock(total=reward.stock_total, left=reward.stock_left)  # type: ignore[arg-type]
            if counted
            else None,
            member_limit=MemberLimit(count=reward.limit_count, period=reward.limit_period)
            if reward.limit_count is not None and reward.limit_period is not None
            else None,
            available_from=reward.available_from,
            available_until=reward.available_until,
            active=reward.active,
            refundable=reward.refundable,
            created_at=reward.created_at,
            updated_at=reward.updated_at,
        )


@strawberry.type(description="A page of rewards, in catalog order.")
class RewardConnection(relay.Connection[Reward]):
    """Keyset-paginated by reward id."""


def reward_loader(context: Context) -> Any:
    """Rewards by id inside the caller's program, one query per request tick."""

    async def load(ids: list[int]) -> list[RewardModel | None]:
        program = await context.program()
        found = await reads.rewards_by_ids(program.id, ids) if program is not None else {}
        return [found.get(i) for i in ids]

    return context.loader("rewards.reward", load)


async def visible_reward(info: strawberry.Info[Context, Any], key: int) -> Reward | None:
    """A reward of the caller's program; partners see none."""
    context = info.context
    if context.require_principal().role is Role.PARTNER:
        return None
    found: RewardModel | None = await reward_loader(context).load(key)
    program = await context.program()
    if found is None or program is None:
        return None
    return Reward.from_model(found, program.currency)
