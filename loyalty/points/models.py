"""Tortoise models of the points tables (created by Alembic revision 0002, changed by later ones).

Entries are append-only and balances are maintained by a database trigger from entries, so code
never saves a PointsBalance or changes a PointsEntry: it inserts entries (loyalty/points/account.py).
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from domain.ledger import EntryKind, LotStatus
from domain.validation import ACTOR_MAX
from loyalty.models import TORTOISE_APP, Member, member_fk, program_fk


def _partial(column: str, *, where: str) -> Index:
    """An index of the rows `where` holds for (Tortoise's PartialIndex takes equalities only)."""
    index = Index(fields=(column,))
    index.extra = f" WHERE {where}"
    return index


class PointsBalance(Model):
    """A member's points: the running sums of its ledger entries' deltas."""

    id = fields.BigIntField(primary_key=True)
    member: fields.OneToOneRelation[Member] = fields.OneToOneField(
        f"{TORTOISE_APP}.Member", related_name=False, on_delete=fields.RESTRICT
    )
    member_id: int
    program = program_fk()
    program_id: int
    available = fields.BigIntField()
    pending = fields.BigIntField()
    debt = fields.BigIntField()
    lifetime_earned = fields.BigIntField()
    held = fields.BigIntField(db_default=0)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "points_balance"


class PointsEntry(Model):
    """One immutable change of a member's points, with the balance it leaves behind."""

    id = fields.BigIntField(primary_key=True)
    program = program_fk()
    program_id: int
    member = member_fk()
    member_id: int
    kind = fields.CharEnumField(EntryKind, max_length=16)
    points = fields.BigIntField()
    available_delta = fields.BigIntField()
    pending_delta = fields.BigIntField()
    debt_delta = fields.BigIntField()
    lifetime_delta = fields.BigIntField()
    available_after = fields.BigIntField()
    pending_after = fields.BigIntField()
    debt_after = fields.BigIntField()
    lifetime_after = fields.BigIntField()
    held_delta = fields.BigIntField(db_default=0)
    held_after = fields.BigIntField(db_default=0)
    reason_code = fields.CharField(max_length=32)
    reason = fields.CharField(max_length=500)
    source_ref = fields.CharField(max_length=200, null=True)
    actor = fields.CharField(max_length=ACTOR_MAX)
    idempotency_key = fields.CharField(max_length=200, null=True)
    explanation: Any = fields.JSONField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "points_entry"
        indexes = (("member", "id"), ("member", "created_at"))


class PointsLot(Model):
    """Points earned together, spent and expired together; `remaining` is what is left."""

    id = fields.BigIntField(primary_key=True)
    program = program_fk()
    program_id: int
    member = member_fk()
    member_id: int
    entry: fields.ForeignKeyRelation[PointsEntry] = fields.ForeignKeyField(
        f"{TORTOISE_APP}.PointsEntry", related_name=False, on_delete=fields.RESTRICT
    )
    entry_id: int
    points = fields.BigIntField()
    remaining = fields.BigIntField()
    # Lost to expiry and not yet written off by a return of the order that earned the lot.
    expired = fields.BigIntField(db_default=0)
    status = fields.CharEnumField(LotStatus, max_length=16)
    activates_at = fields.DatetimeField(null=True)
    expires_at = fields.DatetimeField(null=True)

    class Meta:
        table = "points_lot"
        # Lots that can still activate or expire, by the time they fall due (jobs.py).
        indexes = (
            ("member", "remaining"),
            _partial("activates_at", where="status = 'PENDING' AND remaining > 0"),
            _partial("expires_at", where="status = 'ACTIVE' AND remaining > 0"),
        )


class PointsOrder(Model):
    """An order that earned points: one per order id, with what its returns took back."""

    id = fields.BigIntField(primary_key=True)
    program = program_fk()
    program_id: int
    member = member_fk()
    member_id: int
    order_id = fields.CharField(max_length=128)
    total = fields.DecimalField(max_digits=20, decimal_places=4)
    currency = fields.CharField(max_length=3)
    points_earned = fields.BigIntField()
    returned_total = fields.DecimalField(max_digits=20, decimal_places=4)
    points_reversed = fields.BigIntField()
    entry: fields.ForeignKeyRelation[PointsEntry] = fields.ForeignKeyField(
        f"{TORTOISE_APP}.PointsEntry", related_name=False, on_delete=fields.RESTRICT
    )
    entry_id: int
    lot: fields.ForeignKeyNullableRelation[PointsLot] = fields.ForeignKeyField(
        f"{TORTOISE_APP}.PointsLot", related_name=False, on_delete=fields.RESTRICT, null=True
    )
    lot_id: int | None
    created_at = fields.DatetimeField()

    class Meta:
        table = "points_order"
        unique_together = (("program", "order_id"),)


class PointsOrderReturn(Model):
    """One return against an order; `return_id` makes a repeated reversal a no-op."""

    id = fields.BigIntField(primary_key=True)
    order: fields.ForeignKeyRelation[PointsOrder] = fields.ForeignKeyField(
        f"{TORTOISE_APP}.PointsOrder", related_name=False, on_delete=fields.RESTRICT
    )
    order_id: int
    return_id = fields.CharField(max_length=128)
    amount = fields.DecimalField(max_digits=20, decimal_places=4)
    points = fields.BigIntField()
    entry: fields.ForeignKeyNullableRelation[PointsEntry] = fields.ForeignKeyField(
        f"{TORTOISE_APP}.PointsEntry", related_name=False, on_delete=fields.RESTRICT, null=True
    )
    entry_id: int | None
    created_at = fields.DatetimeField()

    class Meta:
        table = "points_order_return"
        unique_together = (("order", "return_id"),)
        indexes = (("entry",),)


class PointsEventAward(Model):
    """A named event that earned points, once per member, event and reference."""

    id = fields.BigIntField(primary_key=True)
    member = member_fk()
    member_id: int
    event = fields.CharField(max_length=64)
    reference = fields.CharField(max_length=128)
    entry: fields.ForeignKeyRelation[PointsEntry] = fields.ForeignKeyField(
        f"{TORTOISE_APP}.PointsEntry", related_name=False, on_delete=fields.RESTRICT
    )
    entry_id: int

    class Meta:
        table = "points_event_award"
        unique_together = (("member", "event", "reference"),)
