"""GraphQL types of webhooks."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry import relay

from api.enums import described_enum
from api.errors import UserError
from loyalty.webhooks.deliveries import Attempt, Delivery
from loyalty.webhooks.subscriptions import Subscription

WHO = "Seen by the program's admins, and by a partner token for its own subscriptions."


def subscription_gid(key: int) -> strawberry.ID:
    return strawberry.ID(str(relay.GlobalID("WebhookSubscription", str(key))))


def delivery_gid(key: int) -> strawberry.ID:
    return strawberry.ID(str(relay.GlobalID("WebhookDelivery", str(key))))


class WebhookDeliveryStatus(Enum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


described_enum(
    WebhookDeliveryStatus,
    name="WebhookDeliveryStatus",
    description="Where a webhook delivery stands.",
    values={
        "PENDING": "Not delivered yet: due, or waiting to be retried.",
        "DELIVERED": "The endpoint answered 2xx.",
        "FAILED": "Given up after retrying for 3 days (redeliverWebhook sends it again).",
    },
)


@strawberry.type(
    description="A partner endpoint subscribed to event types of the program: each such event "
    "is POSTed to it as JSON with the Standard Webhooks headers (webhook-id, "
    f"webhook-timestamp, webhook-signature). {WHO}"
)
class WebhookSubscription:
    id: strawberry.ID = strawberry.field(description="The subscription's global id.")
    url: str = strawberry.field(description="Where deliveries are POSTed.")
    event_types: list[str] = strawberry.field(description="The event types sent to it.")
    description: str = strawberry.field(description="A note of its owner's.")
    owner: str = strawberry.field(
        description="Who manages it: `partner:<subject>` or `admin:<subject>` of the token that created it."
    )
    active: bool = strawberry.field(
        description="Whether deliveries are sent; false once disabled (updateWebhookSubscription "
        "with active: true resumes)."
    )
    disabled_reason: str | None = strawberry.field(
        description="Why it was disabled (its endpoint kept failing); null while active."
    )
    consecutive_failures: int = strawberry.field(
        description="Failed attempts since the last successful one."
    )
    previous_secret_valid_until: datetime | None = strawberry.field(
        description="After rotateWebhookSecret: until when the previous secret signs too (both "
        "signatures are sent); null without a rotation."
    )
    created_at: datetime = strawberry.field(description="When it was created.")

    @classmethod
    def of(cls, subscription: Subscription) -> WebhookSubscription:
        return cls(
            id=subscription_gid(subscription.id),
            url=subscription.url,
            event_types=list(subscription.event_types),
            description=subscription.description,
            owner=subscription.owner,
            active=subscription.active,
            disabled_reason=subscription.disabled_reason,
            consecutive_failures=subscription.consecutive_failures,
            previous_secret_valid_until=subscription.previous_secret_until,
            created_at=subscription.created_at,
        )


@strawberry.type(description=f"One POST of a delivery and its answer. {WHO}")
class WebhookAttempt:
    attempted_at: datetime = strawberry.field(description="When the answer (or the failure) came.")
    status_code: int | None = strawberry.field(
        description="The HTTP status answered; null when the endpoint could not be reached."
    )
    latency_ms: int = strawberry.field(description="How long the request took, in milliseconds.")
    response: str = strawberry.field(description="The first KiB of the answer's body.")
    error: str | None = strawberry.field(
        description="Why no answer came (connection refused, timeout, refused address); null otherwise."
    )

    @classmethod
    def of(cls, attempt: Attempt) -> WebhookAttempt:
        return cls(
            attempted_at=attempt.attempted_at,
            status_code=attempt.status_code,
            latency_ms=attempt.latency_ms,
            response=attempt.response,
            error=attempt.error,
        )


@strawberry.type(
    description="One event for one subscription, sent until delivered, always under the same "
    f"webhook-id. {WHO}"
)
class WebhookDelivery:
    id: strawberry.ID = strawberry.field(description="The delivery's global id.")
    message_id: str = strawberry.field(
        description="Its webhook-id header: the same for every retry and redelivery, for receivers to deduplicate on."
    )
    event_type: str = strawberry.field(description="The event's type (`webhook.test` for a ping).")
    event_id: strawberry.ID | None = strawberry.field(
        description="The event's global id (as Event.id); null for a ping."
    )
    status: WebhookDeliveryStatus = strawberry.field(description="Where it stands.")
    attempt_count: int = strawberry.field(description="How many times it was sent.")
    next_attempt_at: datetime | None = strawberry.field(
        description="When it is sent next; null once delivered or failed."
    )
    created_at: datetime = strawberry.field(description="When it was first due.")
    attempts: list[WebhookAttempt] = strawberry.field(description="Its attempts, newest first.")

    @classmethod
    def of(cls, delivery: Delivery, attempts: list[Attempt]) -> WebhookDelivery:
        return cls(
            id=delivery_gid(delivery.id),
            message_id=delivery.message_id,
            event_type=delivery.event_type,
            event_id=strawberry.ID(str(relay.GlobalID("Event", str(delivery.event_id))))
            if delivery.event_id is not None
            else None,
            status=WebhookDeliveryStatus(delivery.status),
            attempt_count=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at if delivery.status == "pending" else None,
            created_at=delivery.created_at,
            attempts=[WebhookAttempt.of(attempt) for attempt in attempts],
        )


@strawberry.type(description=f"A page of webhook subscriptions, oldest first. {WHO}")
class WebhookSubscriptionConnection:
    nodes: list[WebhookSubscription] = strawberry.field(
        description="The subscriptions of the page."
    )
    end_cursor: str | None = strawberry.field(description="Pass as `after` for the next page.")
    has_next_page: bool = strawberry.field(description="Whether another page follows.")


@strawberry.type(description=f"A page of a subscription's deliveries, newest first. {WHO}")
class WebhookDeliveryConnection:
    nodes: list[WebhookDelivery] = strawberry.field(description="The deliveries of the page.")
    end_cursor: str | None = strawberry.field(description="Pass as `after` for the next page.")
    has_next_page: bool = strawberry.field(description="Whether another page follows.")


@strawberry.input(description="A new endpoint subscription.")
class CreateWebhookSubscriptionInput:
    url: str = strawberry.field(
        description="https URL (http only to 127.0.0.1 or localhost in development); in "
        "production its host must resolve to public addresses only."
    )
    event_types: list[str] = strawberry.field(
        description="1-50 event types of the event log to send (see the README's Event log)."
    )
    description: str = strawberry.field(default="", description="A note, at most 500 characters.")


@strawberry.input(description="Changes to a subscription; omitted fields keep their value.")
class UpdateWebhookSubscriptionInput:
    subscription_id: strawberry.ID = strawberry.field(description="The subscription's global id.")
    url: str | None = strawberry.field(
        default=None, description="A new URL (same rules as on creation)."
    )
    event_types: list[str] | None = strawberry.field(default=None, description="New event types.")
    description: str | None = strawberry.field(default=None, description="A new note.")
    active: bool | None = strawberry.field(
        default=None,
        description="false pauses deliveries; true resumes them (and clears a disabled reason).",
    )


@strawberry.input(description="Which subscription.")
class WebhookSubscriptionInput:
    subscription_id: strawberry.ID = strawberry.field(description="The subscription's global id.")


@strawberry.input(description="Which delivery to send again.")
class RedeliverWebhookInput:
    delivery_id: strawberry.ID = strawberry.field(description="The delivery's global id.")


@strawberry.type(description="The subscription and its signing secret, shown this once.")
class WebhookSecretPayload:
    subscription: WebhookSubscription | None = strawberry.field(
        description="The subscription; null when refused."
    )
    secret: str | None = strawberry.field(
        description="The signing secret (`whsec_...`), for standardwebhooks' Webhook(secret).verify; "
        "never shown again. Null when refused."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why it was refused; empty on success."
    )


@strawberry.type(description="The subscription as it stands.")
class WebhookSubscriptionPayload:
    subscription: WebhookSubscription | None = strawberry.field(
        description="The subscription (as it was, when deleted); null when refused."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why it was refused; empty on success."
    )


@strawberry.type(description="The delivery, due now.")
class WebhookDeliveryPayload:
    delivery: WebhookDelivery | None = strawberry.field(
        description="The delivery; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(
        description="Why it was refused; empty on success."
    )
