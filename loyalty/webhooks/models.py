"""Tortoise models of the webhook tables (Alembic revision 0014). The service writes them with
SQL of its own (loyalty/webhooks/subscriptions.py, deliveries.py and sender.py); the models map
them for the drift test."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from domain.validation import ACTOR_MAX


class WebhookSubscription(Model):
    """A partner's endpoint for some event types of one program, with its signing secret(s)."""

    id = fields.BigIntField(primary_key=True)
    program: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "loyalty.Program", related_name=False, on_delete=fields.RESTRICT, db_index=True
    )
    owner = fields.CharField(max_length=ACTOR_MAX)
    url = fields.CharField(max_length=2048)
    event_types: Any = fields.JSONField()
    description = fields.CharField(max_length=500)
    secret = fields.CharField(max_length=100)
    previous_secret = fields.CharField(max_length=100, null=True)
    previous_secret_until = fields.DatetimeField(null=True)
    active = fields.BooleanField()
    disabled_reason = fields.CharField(max_length=500, null=True)
    consecutive_failures = fields.IntField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "webhook_subscription"


class WebhookDelivery(Model):
    """One event for one subscription: sent until delivered or given up, always under the same
    `message_id` (the webhook-id header)."""

    id = fields.BigIntField(primary_key=True)
    subscription: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "loyalty.WebhookSubscription", related_name=False, on_delete=fields.CASCADE
    )
    event_id = fields.BigIntField(null=True)  # null: a test ping
    message_id = fields.CharField(max_length=64, unique=True)
    event_type = fields.CharField(max_length=64)
    body = fields.TextField()
    status = fields.CharField(max_length=16)
    attempts = fields.IntField()
    next_attempt_at = fields.DatetimeField()
    created_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "webhook_delivery"
        unique_together = (("subscription", "event_id"),)
        indexes = (("status", "next_attempt_at"),)


class WebhookAttempt(Model):
    """One POST of a delivery: the answer's status code (none when unreachable), how long it
    took and the first KiB of the answer."""

    id = fields.BigIntField(primary_key=True)
    delivery: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "loyalty.WebhookDelivery", related_name=False, on_delete=fields.CASCADE, db_index=True
    )
    attempted_at = fields.DatetimeField()
    status_code = fields.IntField(null=True)
    latency_ms = fields.IntField()
    response = fields.TextField()
    error = fields.CharField(max_length=500, null=True)

    class Meta:
        table = "webhook_attempt"
