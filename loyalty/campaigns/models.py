"""Tortoise models of the campaign tables (created by Alembic revision 0024).

Deliveries are written with SQL by loyalty/campaigns/delivery.py (INSERT ... ON CONFLICT on the
one-decision-per-occasion key); these classes describe the schema to the ORM and to the drift
test.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.fields.db_defaults import SqlDefault
from tortoise.indexes import Index
from tortoise.models import Model

from loyalty.models import TORTOISE_APP, member_fk, program_fk
from loyalty.rewards.models import Reward


class Campaign(Model):
    """An admin's campaign: who (segment or trigger), when (window), what (message, offer)."""

    id = fields.BigIntField(primary_key=True)
    program = program_fk()
    program_id: int
    name = fields.CharField(max_length=80)
    segment: fields.ForeignKeyNullableRelation[Any] = fields.ForeignKeyField(
        f"{TORTOISE_APP}.Segment", related_name=False, on_delete=fields.RESTRICT, null=True
    )
    segment_id: int | None
    trigger = fields.CharField(max_length=16)
    status = fields.CharField(max_length=16)
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField(null=True)
    channel = fields.CharField(max_length=8, null=True)
    template_key = fields.CharField(max_length=64, null=True)
    survey: fields.ForeignKeyNullableRelation[Any] = fields.ForeignKeyField(
        f"{TORTOISE_APP}.Survey", related_name=False, on_delete=fields.RESTRICT, null=True
    )
    survey_id: int | None
    offer_kind = fields.CharField(max_length=24, null=True)
    offer_multiplier = fields.DecimalField(max_digits=6, decimal_places=2, null=True)
    offer_reward: fields.ForeignKeyNullableRelation[Reward] = fields.ForeignKeyField(
        f"{TORTOISE_APP}.Reward", related_name=False, on_delete=fields.RESTRICT, null=True
    )
    offer_reward_id: int | None
    offer_discount_percent = fields.IntField(null=True)
    offer_points = fields.IntField(null=True)
    offer_starts_at = fields.DatetimeField(null=True)
    offer_ends_at = fields.DatetimeField(null=True)
    at_risk_threshold = fields.FloatField(null=True)
    reorder_lead_days = fields.IntField(null=True)
    holdout_percent = fields.IntField(db_default=0)
    arms: Any = fields.JSONField(db_default=SqlDefault("'[]'::jsonb"))  # [{key, weight}, ...]
    conversion_window_days = fields.IntField(db_default=14)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "campaign"
        unique_together = (("program", "name"),)
        indexes = (Index(fields=("status", "starts_at")),)


def _partial(index: Index, where: str) -> Index:
    index.extra = f" WHERE {where}"
    return index


class CampaignDelivery(Model):
    """One decision per campaign, member and occasion: SENT, OFFERED, HELD_OUT, SKIPPED (with
    its reason) or DEFERRED until `due_at`. `created_at` is the exposure time."""

    id = fields.BigIntField(primary_key=True)
    program = program_fk()
    program_id: int
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        f"{TORTOISE_APP}.Campaign", related_name=False, on_delete=fields.RESTRICT
    )
    campaign_id: int
    member = member_fk()
    member_id: int
    occasion = fields.CharField(max_length=200)
    arm = fields.CharField(max_length=32)
    status = fields.CharField(max_length=16)
    reason = fields.CharField(max_length=32, null=True)
    due_at = fields.DatetimeField()
    delivered_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "campaign_delivery"
        unique_together = (("campaign", "member", "occasion"),)
        indexes = (
            _partial(Index(fields=("due_at",)), "status = 'DEFERRED'"),
            Index(fields=("member_id", "campaign_id")),
        )
