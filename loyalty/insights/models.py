"""Tortoise models of the insights tables (created by Alembic revision 0024; member_reorder's key
changed by 0025).

Scores and predictions are written set-based with SQL by the insights jobs (rfm.py here, the
predictions job for member_prediction and member_reorder); segments by the segment handlers.
These classes describe the schema to the ORM and to the drift test.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from loyalty.models import TORTOISE_APP, Member, member_fk, program_fk

VERSION_MAX = 64
SKU_MAX = 128


def _member_key() -> fields.OneToOneRelation[Member]:
    """The member a one-row-per-member table belongs to, as its primary key."""
    return fields.OneToOneField(
        f"{TORTOISE_APP}.Member", related_name=False, on_delete=fields.RESTRICT, primary_key=True
    )


class MemberRfm(Model):
    """A scored member's recency (days), frequency (orders), monetary (net spend) and their
    quintile scores 1-5 within the program (loyalty/insights/rfm.py)."""

    member: fields.OneToOneRelation[Member] = _member_key()
    member_id: int
    program = program_fk()
    program_id: int
    recency_days = fields.IntField()
    frequency = fields.IntField()
    monetary = fields.DecimalField(max_digits=20, decimal_places=4)
    recency_score = fields.SmallIntField()
    frequency_score = fields.SmallIntField()
    monetary_score = fields.SmallIntField()
    computed_at = fields.DatetimeField()

    class Meta:
        table = "member_rfm"
        indexes = (("program",),)


class MemberPrediction(Model):
    """A scored member's churn probability and expected orders, with why and the model."""

    member: fields.OneToOneRelation[Member] = _member_key()
    member_id: int
    program = program_fk()
    program_id: int
    churn_probability = fields.FloatField()
    expected_orders_90d = fields.FloatField()
    expected_next_order_at = fields.DatetimeField(null=True)
    why: Any = fields.JSONField()
    model_version = fields.CharField(max_length=VERSION_MAX)
    computed_at = fields.DatetimeField()

    class Meta:
        table = "member_prediction"
        indexes = (("program", "churn_probability"),)


class MemberReorder(Model):
    """A member's predicted reorder date of one SKU from their own purchase cycle."""

    id = fields.BigIntField(primary_key=True)
    member = member_fk()
    member_id: int
    sku = fields.CharField(max_length=SKU_MAX)
    program = program_fk()
    program_id: int
    last_ordered_at = fields.DatetimeField()
    cycle_days = fields.FloatField()
    due_at = fields.DatetimeField()
    orders = fields.IntField()
    why: Any = fields.JSONField()
    model_version = fields.CharField(max_length=VERSION_MAX)
    computed_at = fields.DatetimeField()

    class Meta:
        table = "member_reorder"
        unique_together = (("member", "sku"),)
        indexes = (("program", "due_at"),)


class Segment(Model):
    """An admin's rules over member facts (domain/segments.py); members are computed on read."""

    id = fields.BigIntField(primary_key=True)
    program = program_fk()
    program_id: int
    name = fields.CharField(max_length=80)
    description = fields.CharField(max_length=500, null=True)
    rules: Any = fields.JSONField()
    behavioural = fields.BooleanField()
    member_visible = fields.BooleanField()
    archived_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "segment"
        unique_together = (("program", "name"),)
