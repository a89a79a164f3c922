"""Tortoise models of the rewards tables (created by Alembic revision 0010, changed by 0016).

Stock and codes change only through the conditional statements of loyalty/rewards/stock.py;
these classes read and create rows.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from domain.redemptions import RedemptionStatus
from domain.rewards import CodeSource, DiscountType, LimitPeriod, RewardKind
from domain.validation import ACTOR_MAX
from loyalty.models import TORTOISE_APP, Program, member_fk, program_fk
from loyalty.points.models import PointsEntry


def _entry() -> fields.ForeignKeyNullableRelation[PointsEntry]:
    return fields.ForeignKeyField(
        f"{TORTOISE_APP}.PointsEntry", related_name=False, on_delete=fields.RESTRICT, null=True
    )


class RewardSettings(Model):
    """A program's rewards settings; a program without a row has the defaults."""

    id = fields.BigIntField(primary_key=True)
    program: fields.OneToOneRelation[Program] = fields.OneToOneField(
        f"{TORTOISE_APP}.Program", related_name=False, on_delete=fields.RESTRICT
    )
    program_id: int
    hold_minutes = fields.IntField()
    within_reach_percent = fields.IntField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "reward_settings"


class Reward(Model):
    """One reward of a program's catalog. `stock_left` is null when the stock is unlimited."""

    id = fields.BigIntField(primary_key=True)
    program = program_fk()
    program_id: int
    name = fields.CharField(max_length=100)
    description = fields.CharField(max_length=2000)
    image_url = fields.CharField(max_length=2048, null=True)
    kind = fields.CharEnumField(RewardKind, max_length=16)
    discount_type = fields.CharEnumField(DiscountType, max_length=16, null=True)
    discount_value: Decimal | None = fields.DecimalField(max_digits=20, decimal_places=4, null=True)
    code_source = fields.CharEnumField(CodeSource, max_length=16, null=True)
    points_cost = fields.IntField()
    tier_prices: Any = fields.JSONField()  # {tier key: points}
    tier_gate: Any = fields.JSONField()  # [tier key]; empty admits every tier
    stock_total = fields.IntField(null=True)
    stock_left = fields.IntField(null=True)
    limit_count = fields.IntField(null=True)
    limit_period = fields.CharEnumField(LimitPeriod, max_length=16, null=True)
    available_from = fields.DatetimeField(null=True)
    available_until = fields.DatetimeField(null=True)
    active = fields.BooleanField()
    refundable = fields.BooleanField()
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "reward"
        indexes = (("program", "id"),)


class Redemption(Model):
    """A member's redemption of a reward, with the ledger entries it wrote."""

    id = fields.BigIntField(primary_key=True)
    program = program_fk()
    program_id: int
    member = member_fk()
    member_id: int
    reward: fields.ForeignKeyRelation[Reward] = fields.ForeignKeyField(
        f"{TORTOISE_APP}.Reward", related_name=False, on_delete=fields.RESTRICT
    )
    reward_id: int
    points = fields.IntField()
    status = fields.CharEnumField(RedemptionStatus, max_length=16)
    hold_expires_at = fields.DatetimeField(null=True)
    held_takes: Any = fields.JSONField(null=True)  # [[lot id, points]] the hold took, to release
    hold_entry = _entry()
    hold_entry_id: int | None
    redeem_entry = _entry()
    redeem_entry_id: int | None
    return_entry = _entry()  # the release or refund that gave the points back
    return_entry_id: int | None
    actor = fields.CharField(max_length=ACTOR_MAX)
    idempotency_key = fields.CharField(max_length=200, null=True)
    # A gift (e.g. `referral:12`): given at no points, with no ledger entry; null when redeemed.
    gift_source = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField()
    confirmed_at = fields.DatetimeField(null=True)
    ended_at = fields.DatetimeField(null=True)

    class Meta:
        table = "reward_redemption"
        hold_due = Index(fields=("hold_expires_at",))
        hold_due.extra = " WHERE status = 'HELD'"
        redeemers = Index(
            fields=("reward_id", "confirmed_at", "member_id"),
            name="reward_redemption_redeemers_idx",
        )
        redeemers.extra = " WHERE status = 'CONFIRMED' AND gift_source IS NULL"
        indexes = (
            ("program", "id"),
            ("member", "id"),
            ("member", "reward", "created_at"),
            ("reward",),
            hold_due,
            redeemers,
        )


class RewardCode(Model):
    """A discount code: generated at redemption, or imported into a pool and assigned once."""

    id = fields.BigIntField(primary_key=True)
    program = program_fk()
    program_id: int
    reward: fields.ForeignKeyRelation[Reward] = fields.ForeignKeyField(
        f"{TORTOISE_APP}.Reward", related_name=False, on_delete=fields.RESTRICT
    )
    reward_id: int
    code = fields.CharField(max_length=64)
    source = fields.CharEnumField(CodeSource, max_length=16)
    redemption: fields.OneToOneNullableRelation[Redemption] = fields.OneToOneField(
        f"{TORTOISE_APP}.Redemption", related_name=False, on_delete=fields.RESTRICT, null=True
    )
    redemption_id: int | None
    created_at = fields.DatetimeField()
    assigned_at = fields.DatetimeField(null=True)
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "reward_code"
        unique_together = (("program", "code"),)
        free = Index(fields=("reward_id", "id"))
        free.extra = " WHERE redemption_id IS NULL"
        indexes = (free,)
