"""GraphQL inputs of the points area. Every write carries the client's idempotency key."""

from __future__ import annotations

from decimal import Decimal

import strawberry

KEY = "The client's key for this write: a retry with the same key and input returns the original result; the same key with other input is refused."
MEMBER = "The member, by the storefront's externalId."


@strawberry.input(description="One line of an order.")
class OrderLineInput:
    sku: str = strawberry.field(description="The product's SKU.")
    quantity: int = strawberry.field(description="How many, at least 1.")
    unit_price: Decimal = strawberry.field(
        description="Price of one, in the order's currency, as paid."
    )
    category: str | None = strawberry.field(
        default=None, description="The product's category, for category bonuses."
    )


@strawberry.input(description="An order whose points the program's rules compute.")
class OrderInput:
    order_id: str = strawberry.field(description="The storefront's order id: one order earns once.")
    total: Decimal = strawberry.field(
        description="The amount eligible for points: after discounts, before tax and shipping."
    )
    currency: str = strawberry.field(
        description="Must be the program's currency; nothing is converted."
    )
    lines: list[OrderLineInput] = strawberry.field(
        default_factory=list, description="The order's lines, for SKU and category bonuses."
    )


@strawberry.input(description="A named event the program rewards with fixed points.")
class EventAwardInput:
    name: str = strawberry.field(description="The event, e.g. account_created or review_posted.")
    reference: str = strawberry.field(
        default="",
        description="What it was about (e.g. the review id): each event and reference earns once.",
    )


@strawberry.input(description="An explicit number of points, with the reason.")
class ManualAwardInput:
    points: int = strawberry.field(description="Points to grant, at least 1.")
    reason: str = strawberry.field(description="Why, in words the member will see.")


@strawberry.input(
    one_of=True, description="What the points are for: exactly one of order, event or manual."
)
class AwardSource:
    order: OrderInput | None = strawberry.field(
        default=strawberry.UNSET, description="Points computed from an order."
    )
    event: EventAwardInput | None = strawberry.field(
        default=strawberry.UNSET, description="Fixed points for a named event."
    )
    manual: ManualAwardInput | None = strawberry.field(
        default=strawberry.UNSET, description="An explicit grant."
    )


@strawberry.input(description="Points to award to a member.")
class AwardPointsInput:
    idempotency_key: str = strawberry.field(description=KEY)
    external_id: str = strawberry.field(description=MEMBER)
    source: AwardSource = strawberry.field(description="What the points are for.")


@strawberry.input(description="Points a member spends, e.g. at checkout.")
class RedeemPointsInput:
    idempotency_key: str = strawberry.field(description=KEY)
    external_id: str = strawberry.field(description=MEMBER)
    points: int = strawberry.field(description="Points to spend, at least 1.")
    reason: str = strawberry.field(default="Redeemed", description="What they were spent on.")


@strawberry.input(description="A full or partial return of an order that earned points.")
class ReverseOrderInput:
    idempotency_key: str = strawberry.field(description=KEY)
    order_id: str = strawberry.field(description="The order that earned the points.")
    return_id: str = strawberry.field(
        description="The storefront's id for this return: the same return is reversed once."
    )
    amount: Decimal = strawberry.field(description="The value returned, in the order's currency.")
    currency: str = strawberry.field(description="Must be the program's currency.")


@strawberry.input(description="A manual correction of a member's points.")
class AdjustPointsInput:
    idempotency_key: str = strawberry.field(description=KEY)
    external_id: str = strawberry.field(description=MEMBER)
    points: int = strawberry.field(description="Signed points: positive grants, negative deducts.")
    reason: str = strawberry.field(description="Why; required, and shown to the member.")
