"""Mutations of webhooks: subscriptions, secret rotation, redelivery and test pings."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from api.context import Context
from api.errors import INPUT, user_errors
from api.relay import decode_global_id
from api.webhooks.access import IsAdminOrPartner, SubscribesToEvents, owner, scope
from api.webhooks.types import (
    CreateWebhookSubscriptionInput,
    RedeliverWebhookInput,
    UpdateWebhookSubscriptionInput,
    WebhookDelivery,
    WebhookDeliveryPayload,
    WebhookSecretPayload,
    WebhookSubscription,
    WebhookSubscriptionInput,
    WebhookSubscriptionPayload,
)
from domain.validation import ErrorCode, InvalidInput, Problem
from loyalty.webhooks import commands


def _key(global_id: str, kind: str, field: str) -> int:
    key = decode_global_id(global_id, kind)
    if key is None:
        raise InvalidInput(Problem((field,), f"Not a {kind} id.", ErrorCode.INVALID_ID))
    return key


@strawberry.type
class WebhookMutations:
    @strawberry.mutation(
        description="Subscribe an endpoint to event types of the program: each event is POSTed "
        "to it, signed with its own secret (answered here, once). Owned by the calling token "
        "(a partner manages only its own). Payloads carry ids only.",
        permission_classes=[SubscribesToEvents],
    )
    async def create_webhook_subscription(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[CreateWebhookSubscriptionInput, strawberry.argument(description=INPUT)],
    ) -> WebhookSecretPayload:
        try:
            program = await info.context.require_program()
            subscription, secret = await info.context.bus.handle(
                commands.CreateSubscription(
                    program_id=program.id,
                    owner=owner(info),
                    url=input.url,
                    event_types=tuple(input.event_types),
                    description=input.description,
                )
            )
        except InvalidInput as refused:
            return WebhookSecretPayload(
                subscription=None, secret=None, user_errors=user_errors(refused)
            )
        return WebhookSecretPayload(
            subscription=WebhookSubscription.of(subscription), secret=secret, user_errors=[]
        )

    @strawberry.mutation(
        description="Change a subscription's URL, event types, note, or pause and resume it "
        "(resuming clears a disabled endpoint's reason).",
        permission_classes=[SubscribesToEvents],
    )
    async def update_webhook_subscription(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[UpdateWebhookSubscriptionInput, strawberry.argument(description=INPUT)],
    ) -> WebhookSubscriptionPayload:
        try:
            program = await info.context.require_program()
            subscription = await info.context.bus.handle(
                commands.UpdateSubscription(
                    program_id=program.id,
                    scope=scope(info),
                    subscription_id=_key(
                        input.subscription_id, "WebhookSubscription", "subscriptionId"
                    ),
                    url=input.url,
                    event_types=tuple(input.event_types) if input.event_types is not None else None,
                    description=input.description,
                    active=input.active,
                )
            )
        except InvalidInput as refused:
            return WebhookSubscriptionPayload(subscription=None, user_errors=user_errors(refused))
        return WebhookSubscriptionPayload(
            subscription=WebhookSubscription.of(subscription), user_errors=[]
        )

    @strawberry.mutation(
        description="Replace a subscription's signing secret (answered here, once). For 24 hours "
        "the previous secret signs too: both signatures are sent in webhook-signature.",
        permission_classes=[IsAdminOrPartner],
    )
    async def rotate_webhook_secret(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[WebhookSubscriptionInput, strawberry.argument(description=INPUT)],
    ) -> WebhookSecretPayload:
        try:
            program = await info.context.require_program()
            subscription, secret = await info.context.bus.handle(
                commands.RotateSecret(
                    program_id=program.id,
                    scope=scope(info),
                    subscription_id=_key(
                        input.subscription_id, "WebhookSubscription", "subscriptionId"
                    ),
                )
            )
        except InvalidInput as refused:
            return WebhookSecretPayload(
                subscription=None, secret=None, user_errors=user_errors(refused)
            )
        return WebhookSecretPayload(
            subscription=WebhookSubscription.of(subscription), secret=secret, user_errors=[]
        )

    @strawberry.mutation(
        description="Delete a subscription with its deliveries and their attempts.",
        permission_classes=[IsAdminOrPartner],
    )
    async def delete_webhook_subscription(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[WebhookSubscriptionInput, strawberry.argument(description=INPUT)],
    ) -> WebhookSubscriptionPayload:
        try:
            program = await info.context.require_program()
            subscription = await info.context.bus.handle(
                commands.DeleteSubscription(
                    program_id=program.id,
                    scope=scope(info),
                    subscription_id=_key(
                        input.subscription_id, "WebhookSubscription", "subscriptionId"
                    ),
                )
            )
        except InvalidInput as refused:
            return WebhookSubscriptionPayload(subscription=None, user_errors=user_errors(refused))
        return WebhookSubscriptionPayload(
            subscription=WebhookSubscription.of(subscription), user_errors=[]
        )

    @strawberry.mutation(
        description="Send a delivery again (pending, delivered or failed), with the same body "
        "and webhook-id; the worker's sender sends it within seconds.",
        permission_classes=[IsAdminOrPartner],
    )
    async def redeliver_webhook(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[RedeliverWebhookInput, strawberry.argument(description=INPUT)],
    ) -> WebhookDeliveryPayload:
        try:
            program = await info.context.require_program()
            delivery = await info.context.bus.handle(
                commands.Redeliver(
                    program_id=program.id,
                    scope=scope(info),
                    delivery_id=_key(input.delivery_id, "WebhookDelivery", "deliveryId"),
                )
            )
        except InvalidInput as refused:
            return WebhookDeliveryPayload(delivery=None, user_errors=user_errors(refused))
        return WebhookDeliveryPayload(delivery=WebhookDelivery.of(delivery, []), user_errors=[])

    @strawberry.mutation(
        description="Ping an endpoint: a `webhook.test` delivery, due now, which the worker's "
        "sender sends within seconds (follow it with webhookDeliveries).",
        permission_classes=[IsAdminOrPartner],
    )
    async def send_test_webhook(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[WebhookSubscriptionInput, strawberry.argument(description=INPUT)],
    ) -> WebhookDeliveryPayload:
        try:
            program = await info.context.require_program()
            delivery = await info.context.bus.handle(
                commands.SendTest(
                    program_id=program.id,
                    scope=scope(info),
                    subscription_id=_key(
                        input.subscription_id, "WebhookSubscription", "subscriptionId"
                    ),
                )
            )
        except InvalidInput as refused:
            return WebhookDeliveryPayload(delivery=None, user_errors=user_errors(refused))
        return WebhookDeliveryPayload(delivery=WebhookDelivery.of(delivery, []), user_errors=[])
