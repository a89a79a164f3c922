"""Tortoise models of the transfer tables (created by Alembic revision 0030).

Rows are written with SQL by loyalty/points/transfers.py and transfer_reversal.py, under both
members' locks; these classes describe the schema to the ORM and to the drift test.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from domain.validation import ACTOR_MAX
from loyalty.models import TORTOISE_APP, Program, member_fk, program_fk


def _entry() -> Any:
    return fields.ForeignKeyField(
        f"{TORTOISE_APP}.PointsEntry", related_name=False, on_delete=fields.RESTRICT
    )


def _entry_or_none() -> Any:
    return fields.ForeignKeyField(
        f"{TORTOISE_APP}.PointsEntry", related_name=False, on_delete=fields.RESTRICT, null=True
    )


class PointsTransferSettings(Model):
    """A program's transfer limits (configureTransfers); without a row the defaults hold."""

    id = fields.BigIntField(primary_key=True)
    program: fields.OneToOneRelation[Program] = fields.OneToOneField(
        f"{TORTOISE_APP}.Program", related_name=False, on_delete=fields.RESTRICT
    )
    program_id: int
    enabled = fields.BooleanField()
    min_points = fields.IntField()
    max_points = fields.IntField()
    daily_sent_cap = fields.IntField()
    daily_received_cap = fields.IntField()
    min_membership_days = fields.IntField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "points_transfer_settings"


class PointsTransfer(Model):
    """One member's points sent to another: both ledger entries, the recipient's new lot, and
    the reversal (once) that took them back."""

    id = fields.BigIntField(primary_key=True)
    program = program_fk()
    program_id: int
    sender = member_fk()
    sender_id: int
    recipient = member_fk()
    recipient_id: int
    points = fields.IntField()
    message = fields.CharField(max_length=140, null=True)
    sent_entry = _entry()
    sent_entry_id: int
    received_entry = _entry()
    received_entry_id: int
    received_lot: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        f"{TORTOISE_APP}.PointsLot", related_name=False, on_delete=fields.RESTRICT
    )
    received_lot_id: int
    local_day = fields.DateField()
    created_at = fields.DatetimeField()
    reversed_at = fields.DatetimeField(null=True)
    reverse_reason = fields.CharField(max_length=200, null=True)
    reversed_by = fields.CharField(max_length=ACTOR_MAX, null=True)
    reverse_taken_entry = _entry_or_none()
    reverse_taken_entry_id: int | None
    reverse_given_entry = _entry_or_none()
    reverse_given_entry_id: int | None

    class Meta:
        table = "points_transfer"
        indexes = (
            Index(fields=("sender_id", "local_day")),
            Index(fields=("recipient_id", "local_day")),
            Index(fields=("program_id", "id")),
        )
