"""From GraphQL inputs to the domain's reward spec and changes; ids decoded as user errors."""

from __future__ import annotations

from typing import Any

import strawberry

from api.relay import decode_global_id
from api.rewards.inputs import (
    CreateRewardInput,
    MemberLimitInput,
    TierPriceInput,
    UpdateRewardInput,
)
from domain.rewards import CodeSource, Discount, MemberLimit, RewardKind, RewardSpec
from domain.validation import ErrorCode, InvalidInput, Problem

# Fields whose null means "clear"; for the others a null is refused.
CLEARABLE = frozenset({"image_url", "stock", "limit", "available_from", "available_until"})
_CAMEL = {"points_cost": "pointsCost", "tier_prices": "tierPrices", "tier_gate": "tierGate"}


def global_key(global_id: str, type_name: str, field: str) -> int:
    key = decode_global_id(global_id, type_name)
    if key is None:
        raise InvalidInput(Problem((field,), f"Not the id of a {type_name}.", ErrorCode.INVALID_ID))
    return key


def spec_of(input: CreateRewardInput) -> RewardSpec:
    discount = (
        Discount(input.discount.type, input.discount.value) if input.discount is not None else None
    )
    source = input.code_source
    if source is None and input.kind is RewardKind.DISCOUNT_CODE:
        source = CodeSource.GENERATED
    return RewardSpec(
        name=input.name,
        description=input.description,
        image_url=input.image_url,
        kind=input.kind,
        discount=discount,
        code_source=source,
        points_cost=input.points_cost,
        tier_prices=_prices(input.tier_prices),
        tier_gate=tuple(input.tier_gate),
        stock=input.stock,
        limit=_limit(input.member_limit),
        available_from=input.available_from,
        available_until=input.available_until,
        active=input.active,
        refundable=input.refundable,
    )


def changes_of(input: UpdateRewardInput) -> dict[str, Any]:
    """The fields the client sent, under RewardSpec's names."""
    sent: dict[str, Any] = {
        "name": input.name,
        "description": input.description,
        "image_url": input.image_url,
        "points_cost": input.points_cost,
        "tier_prices": input.tier_prices,
        "tier_gate": input.tier_gate,
        "stock": input.stock,
        "limit": input.member_limit,
        "available_from": input.available_from,
        "available_until": input.available_until,
        "active": input.active,
        "refundable": input.refundable,
    }
    changes = {name: value for name, value in sent.items() if value is not strawberry.UNSET}
    nulls = sorted(
        name for name, value in changes.items() if value is None and name not in CLEARABLE
    )
    if nulls:
        raise InvalidInput(
            *(
                Problem((_CAMEL.get(name, name),), "It cannot be null.", ErrorCode.INVALID_REWARD)
                for name in nulls
            )
        )
    if "tier_prices" in changes:
        changes["tier_prices"] = _prices(changes["tier_prices"])
    if "tier_gate" in changes:
        changes["tier_gate"] = tuple(changes["tier_gate"])
    if "limit" in changes:
        changes["limit"] = _limit(changes["limit"])
    return changes


def _prices(prices: list[TierPriceInput]) -> tuple[tuple[str, int], ...]:
    return tuple((price.tier, price.points) for price in prices)


def _limit(limit: MemberLimitInput | None) -> MemberLimit | None:
    return MemberLimit(limit.count, limit.period) if limit is not None else None
