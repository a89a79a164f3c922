"""Tortoise models of the gift tables (created by Alembic revision 0019, revocations 0022).

Rows are written with SQL by loyalty/gifts/ (gifts under their member's lock, budgets by
conditional updates); these classes describe the schema to the ORM and to the drift test.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from loyalty.models import TORTOISE_APP, member_fk, program_fk
from loyalty.points.models import PointsEntry


def _partial(index: Index, where: str) -> Index:
    index.extra = f" WHERE {where}"
    return index


def _setting() -> Any:
    return fields.ForeignKeyField(
        f"{TORTOISE_APP}.GiftSetting", related_name=False, on_delete=fields.RESTRICT
    )


class GiftSetting(Model):
    """A program's gift of one kind (configureGift): its points, budget, cap and trigger."""

    id = fields.BigIntField(primary_key=True)
    program = program_fk()
    program_id: int
    kind = fields.CharField(max_length=16)
    points = fields.IntField()
    budget_points = fields.IntField()
    budget_period = fields.CharField(max_length=8)
    member_cap = fields.IntField(null=True)
    active = fields.BooleanField()
    personalized = fields.BooleanField()
    surprise_rule = fields.CharField(max_length=16, null=True)
    every_nth_order = fields.IntField(null=True)
    draw_basis_points = fields.IntField(null=True)
    draw_seed = fields.CharField(max_length=128, null=True)
    trigger_event_type = fields.CharField(max_length=64, null=True)
    trigger_post_kind = fields.CharField(max_length=32, null=True)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "gift_setting"
        unique_together = (("program", "kind"),)


class GiftBudget(Model):
    """One period of a gift's budget: the program-level account its gifts are debited from."""

    id = fields.BigIntField(primary_key=True)
    program = program_fk()
    program_id: int
    setting = _setting()
    setting_id: int
    period = fields.CharField(max_length=8)
    period_start = fields.DateField()
    total = fields.IntField()
    remaining = fields.IntField()

    class Meta:
        table = "gift_budget"
        unique_together = (("setting", "period", "period_start"),)


class Gift(Model):
    """One gift per trigger: pending, given (a transfer from its budget to a ledger entry),
    skipped with its reason, or revoked (given, then taken back and credited to its budget)."""

    id = fields.BigIntField(primary_key=True)
    program = program_fk()
    program_id: int
    setting = _setting()
    setting_id: int
    kind = fields.CharField(max_length=16)
    member = member_fk()
    member_id: int
    trigger = fields.CharField(max_length=160)
    occasion = fields.IntField(null=True)
    status = fields.CharField(max_length=8)
    skip_reason = fields.CharField(max_length=16, null=True)
    points = fields.IntField()
    budget: fields.ForeignKeyNullableRelation[GiftBudget] = fields.ForeignKeyField(
        f"{TORTOISE_APP}.GiftBudget", related_name=False, on_delete=fields.RESTRICT, null=True
    )
    budget_id: int | None
    entry: fields.ForeignKeyNullableRelation[PointsEntry] = fields.ForeignKeyField(
        f"{TORTOISE_APP}.PointsEntry", related_name=False, on_delete=fields.RESTRICT, null=True
    )
    entry_id: int | None
    period_start = fields.DateField(null=True)
    created_at = fields.DatetimeField()
    decided_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    revoke_reason = fields.CharField(max_length=16, null=True)

    class Meta:
        table = "gift"
        unique_together = (("program", "kind", "member", "trigger"),)
        indexes = (
            Index(fields=("program_id", "id")),
            Index(fields=("program_id", "trigger")),
            Index(fields=("budget_id",)),
            _partial(Index(fields=("member_id", "kind", "period_start")), "status = 'GIVEN'"),
            _partial(Index(fields=("id",)), "status = 'PENDING'"),
        )
