"""GraphQL inputs of the rewards area."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from api.points.inputs import KEY
from domain.rewards import CodeSource, DiscountType, LimitPeriod, RewardKind

KEEP = "Omitted: unchanged."


@strawberry.input(description="What a discount code takes off.")
class DiscountInput:
    type: DiscountType = strawberry.field(description="Fixed amount, percentage or free shipping.")
    value: Decimal | None = strawberry.field(
        default=None,
        description="FIXED_AMOUNT: the amount in the program's currency, at its precision; "
        "PERCENTAGE: 0.01 to 100; FREE_SHIPPING: none.",
    )


@strawberry.input(description="A price for the members of one tier.")
class TierPriceInput:
    tier: str = strawberry.field(description="The tier's key.")
    points: int = strawberry.field(description="What its members pay, 1 or more points.")


@strawberry.input(description="How often one member may redeem a reward.")
class MemberLimitInput:
    count: int = strawberry.field(description="Redemptions per period, 1 to 1000.")
    period: LimitPeriod = strawberry.field(description="The period, in the program's time zone.")


@strawberry.input(description="A new reward of the catalog.")
class CreateRewardInput:
    name: str = strawberry.field(description="1-100 characters on one line.")
    kind: RewardKind = strawberry.field(description="What the member gets.")
    points_cost: int = strawberry.field(description="Its price in points.")
    description: str = strawberry.field(default="", description="Up to 2,000 characters.")
    image_url: str | None = strawberry.field(default=None, description="An https URL.")
    discount: DiscountInput | None = strawberry.field(
        default=None, description="Required for DISCOUNT_CODE, refused for other kinds."
    )
    code_source: CodeSource | None = strawberry.field(
        default=None, description="For DISCOUNT_CODE: GENERATED when omitted."
    )
    tier_prices: list[TierPriceInput] = strawberry.field(
        default_factory=list, description="Other prices for named tiers (at most 20)."
    )
    tier_gate: list[str] = strawberry.field(
        default_factory=list, description="Only these tiers may redeem it; empty: everyone."
    )
    stock: int | None = strawberry.field(
        default=None, description="Units offered, 0 to 1,000,000,000; null: unlimited."
    )
    member_limit: MemberLimitInput | None = strawberry.field(
        default=None, description="How often one member may redeem it; null: no limit."
    )
    available_from: datetime | None = strawberry.field(
        default=None, description="Offered from this instant (with its UTC offset)."
    )
    available_until: datetime | None = strawberry.field(
        default=None, description="Offered until this instant, after availableFrom."
    )
    active: bool = strawberry.field(default=True, description="Offered at all.")
    refundable: bool = strawberry.field(
        default=False, description="Cancelling a confirmed redemption refunds its points."
    )


@strawberry.input(
    description="Changes to a reward; omitted fields keep their value, and null clears "
    "imageUrl, stock (unlimited), memberLimit and the availability window. Kind, discount and "
    "code source never change: codes already handed out were made under them."
)
class UpdateRewardInput:
    id: strawberry.ID = strawberry.field(description="The reward (its global id).")
    name: str | None = strawberry.field(default=strawberry.UNSET, description=KEEP)
    description: str | None = strawberry.field(default=strawberry.UNSET, description=KEEP)
    image_url: str | None = strawberry.field(default=strawberry.UNSET, description=KEEP)
    points_cost: int | None = strawberry.field(default=strawberry.UNSET, description=KEEP)
    tier_prices: list[TierPriceInput] | None = strawberry.field(
        default=strawberry.UNSET, description=KEEP
    )
    tier_gate: list[str] | None = strawberry.field(default=strawberry.UNSET, description=KEEP)
    stock: int | None = strawberry.field(
        default=strawberry.UNSET,
        description="Units left from now on (a restock); the total moves with it. " + KEEP,
    )
    member_limit: MemberLimitInput | None = strawberry.field(
        default=strawberry.UNSET, description=KEEP
    )
    available_from: datetime | None = strawberry.field(default=strawberry.UNSET, description=KEEP)
    available_until: datetime | None = strawberry.field(default=strawberry.UNSET, description=KEEP)
    active: bool | None = strawberry.field(default=strawberry.UNSET, description=KEEP)
    refundable: bool | None = strawberry.field(default=strawberry.UNSET, description=KEEP)


@strawberry.input(description="Partner-supplied codes for a reward with codeSource POOL.")
class ImportRewardCodesInput:
    reward_id: strawberry.ID = strawberry.field(description="The reward (its global id).")
    codes: list[str] = strawberry.field(
        description="1 to 1000 codes, each 4-64 letters, digits, '-' or '_', used as given."
    )


@strawberry.input(description="The program's rewards settings.")
class ConfigureRewardsInput:
    hold_minutes: int = strawberry.field(
        default=15, description="How long a checkout hold lasts, 1 to 10080 minutes."
    )
    within_reach_percent: int = strawberry.field(
        default=25, description="Suggest rewards missing at most this percent of the balance."
    )


@strawberry.input(
    description="A reward to redeem for a member: by memberId or externalId (storefront and "
    "admin tokens, exactly one), or neither for a member token redeeming for itself."
)
class RedeemRewardInput:
    idempotency_key: str = strawberry.field(description=KEY)
    reward_id: strawberry.ID = strawberry.field(description="The reward (its global id).")
    member_id: strawberry.ID | None = strawberry.field(
        default=None, description="The member's global id."
    )
    external_id: str | None = strawberry.field(
        default=None, description="The member, by the storefront's externalId."
    )
    hold: bool = strawberry.field(
        default=False,
        description="Reserve the points and stock for a checkout instead of spending them: "
        "confirmRedemption makes it final, cancelRedemption or the hold's expiry returns them.",
    )


@strawberry.input(description="A redemption to act on.")
class RedemptionInput:
    redemption_id: strawberry.ID = strawberry.field(description="The redemption (its global id).")
