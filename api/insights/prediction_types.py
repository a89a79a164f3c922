"""GraphQL types of the predictions (api/insights/predictions.py resolves them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from api.enums import described_enum
from domain import predictions as rules

described_enum(
    rules.Direction,
    name="PredictionDirection",
    description="Which way a factor moves a member's churn risk. Member, storefront, admin.",
    values={
        "RAISES_RISK": "Makes churn more likely than the factor's reference value would.",
        "LOWERS_RISK": "Makes churn less likely than the factor's reference value would.",
        "NEUTRAL": "Changes the risk by under one percentage point, or is context only.",
    },
)


@strawberry.type(
    description="One reason behind a prediction, with its value and which way it weighs. "
    "Member, storefront, admin."
)
class PredictionFactor:
    code: str = strawberry.field(
        description="What the factor is: DAYS_SINCE_LAST_ORDER, ORDERS, TENURE (predictions); "
        "ORDERS_OF_SKU, CYCLE_DAYS, DAYS_SINCE_LAST_ORDER (reorders)."
    )
    label: str = strawberry.field(description="The factor in plain words, with its figures.")
    value: float = strawberry.field(description="The member's value (days or orders).")
    reference: float | None = strawberry.field(
        description="What it is compared with: the member's usual gap between orders, the "
        "program's median, or the reorder cycle; null when there is none."
    )
    effect: float | None = strawberry.field(
        description="Churn probability as it is minus the probability had the value been the "
        "reference, everything else unchanged; null for reorder factors."
    )
    direction: rules.Direction = strawberry.field(description="Which way it weighs.")

    @classmethod
    def of(cls, found: dict[str, Any]) -> PredictionFactor:
        effect = found.get("effect")
        reference = found.get("reference")
        return cls(
            code=found["code"],
            label=found["label"],
            value=float(found["value"]),
            reference=None if reference is None else float(reference),
            effect=None if effect is None else float(effect),
            direction=rules.Direction(found["direction"]),
        )


@strawberry.type(
    description="A member's churn risk and next order from the program's BG/NBD model, with its "
    "reasons. Member, storefront, admin."
)
class MemberPrediction:
    churn_probability: float = strawberry.field(
        description="1 - P(still active): the probability the member has stopped ordering."
    )
    expected_orders_next90_days: float = strawberry.field(
        name="expectedOrdersNext90Days", description="Orders expected in the next 90 days."
    )
    expected_next_order_at: datetime | None = strawberry.field(
        description="When the next order is expected if the member is still active: the day "
        "by which it has ordered again with probability one half under its posterior order "
        "rate (the median wait); null when that is over ten years away."
    )
    why: list[PredictionFactor] = strawberry.field(description="The reasons, one per factor.")
    model_version: str = strawberry.field(
        description="The model, the day it was fitted and a hash of its parameters."
    )
    computed_at: datetime = strawberry.field(description="When the prediction was computed.")


@strawberry.type(
    description="When a member will likely reorder a product, from its own purchase cycle. "
    "Member, storefront, admin."
)
class ReorderPrediction:
    sku: str = strawberry.field(description="The product (the storefront's SKU).")
    last_ordered_at: datetime = strawberry.field(description="The last order holding it.")
    cycle_days: float = strawberry.field(
        description="The median of the member's gaps between orders of it, in days."
    )
    due_at: datetime = strawberry.field(description="The last order plus the cycle.")
    orders: int = strawberry.field(description="The member's orders holding it.")
    why: list[PredictionFactor] = strawberry.field(description="How the date was reached.")
    model_version: str = strawberry.field(description="The rule and the day it was computed.")


@strawberry.type(
    description="A product bought together with another in the program's orders (an "
    "association rule). Storefront, admin."
)
class ComplementaryProduct:
    sku: str = strawberry.field(description="The product bought with the one asked about.")
    support: int = strawberry.field(description="Orders holding both products.")
    confidence: float = strawberry.field(
        description="The share of the asked product's orders that also hold this one."
    )
    lift: float = strawberry.field(
        description="Confidence over this product's share of all orders: above 1, bought "
        "together more often than by chance."
    )


@strawberry.type(
    description="A product suggested from what the member bought. Member, storefront, admin."
)
class RecommendedProduct:
    sku: str = strawberry.field(description="The suggested product.")
    confidence: float = strawberry.field(
        description="The strongest rule's confidence from one of the member's products to it."
    )
    lift: float = strawberry.field(description="The strongest rule's lift.")
    because_of: list[str] = strawberry.field(
        description="The member's products that lead to it, strongest first."
    )


@strawberry.type(description="The program's last fit of the churn model. Admin.")
class PredictionModel:
    status: str = strawberry.field(
        description="FITTED, or INSUFFICIENT_DATA: too few members (or repeat buyers) who "
        "consent to profiling, so no member has a prediction."
    )
    model_version: str | None = strawberry.field(description="Null unless FITTED.")
    r: float | None = strawberry.field(description="Shape of the order-rate gamma.")
    alpha: float | None = strawberry.field(description="Scale of the order-rate gamma, in days.")
    a: float | None = strawberry.field(description="Drop-out beta's first parameter.")
    b: float | None = strawberry.field(description="Drop-out beta's second parameter.")
    members: int = strawberry.field(description="Members the fit saw (with profiling consent).")
    repeat_members: int = strawberry.field(description="Of those, members who ordered again.")
    minimum_members: int = strawberry.field(description="Members needed to fit.")
    minimum_repeat_members: int = strawberry.field(description="Repeat buyers needed to fit.")
    fitted_at: datetime = strawberry.field(description="When the job last ran.")
