"""Queries of webhooks: subscriptions and their deliveries."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from tortoise import connections

from api.context import Context
from api.errors import ClientError, TopLevelCode
from api.relay import AFTER, FIRST, decode_cursor, decode_global_id, encode_cursor, page_size
from api.webhooks.access import IsAdminOrPartner, scope
from api.webhooks.types import (
    WebhookDelivery,
    WebhookDeliveryConnection,
    WebhookDeliveryStatus,
    WebhookSubscription,
    WebhookSubscriptionConnection,
)
from loyalty.webhooks import deliveries, subscriptions

SUBSCRIPTIONS = "webhook_subscription"
DELIVERIES = "webhook_delivery"


@strawberry.type
class WebhookQueries:
    @strawberry.field(
        description="The program's webhook subscriptions, oldest first (a partner sees its own "
        "only). `first` at most 100.",
        permission_classes=[IsAdminOrPartner],
    )
    async def webhook_subscriptions(
        self,
        info: strawberry.Info[Context, Any],
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> WebhookSubscriptionConnection:
        limit = page_size(first, "webhookSubscriptions")
        after_id = decode_cursor(after, SUBSCRIPTIONS) or 0
        program = await info.context.program()
        rows = (
            await subscriptions.list_subscriptions(
                program.id, scope(info), after_id=after_id, limit=limit + 1
            )
            if program
            else []
        )
        page = rows[:limit]
        return WebhookSubscriptionConnection(
            nodes=[WebhookSubscription.of(row) for row in page],
            end_cursor=encode_cursor(SUBSCRIPTIONS, page[-1].id) if page else None,
            has_next_page=len(rows) > limit,
        )

    @strawberry.field(
        description="A subscription's deliveries, newest first, each with its attempts (status "
        "code, latency, the first KiB of the answer). `first` at most 100.",
        permission_classes=[IsAdminOrPartner],
    )
    async def webhook_deliveries(
        self,
        info: strawberry.Info[Context, Any],
        subscription: Annotated[
            strawberry.ID, strawberry.argument(description="The subscription's global id.")
        ],
        status: Annotated[
            WebhookDeliveryStatus | None,
            strawberry.argument(description="Only deliveries in this state; all when omitted."),
        ] = None,
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
    ) -> WebhookDeliveryConnection:
        limit = page_size(first, "webhookDeliveries")
        before_id = decode_cursor(after, DELIVERIES)
        key = decode_global_id(subscription, "WebhookSubscription")
        if key is None:
            raise ClientError(
                "`subscription` is not a WebhookSubscription id.", TopLevelCode.BAD_USER_INPUT
            )
        program = await info.context.program()
        found = (
            await subscriptions.find_subscription(
                connections.get("default"), program.id, key, scope(info)
            )
            if program
            else None
        )
        if found is None:
            return WebhookDeliveryConnection(nodes=[], end_cursor=None, has_next_page=False)
        rows = await deliveries.list_deliveries(
            found.id,
            status.value if status is not None else None,
            before_id=before_id if before_id is not None else 2**63 - 1,
            limit=limit + 1,
        )
        page = rows[:limit]
        attempts = await deliveries.attempts_of([row.id for row in page])
        return WebhookDeliveryConnection(
            nodes=[WebhookDelivery.of(row, attempts[row.id]) for row in page],
            end_cursor=encode_cursor(DELIVERIES, page[-1].id) if page else None,
            has_next_page=len(rows) > limit,
        )
