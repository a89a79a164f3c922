"""Tortoise models of the backbone's tables (created by Alembic revision 0007).

Services write these with SQL of their own (backbone/outbox.py, backbone/relay.py); the models
map them so that tests/integration/test_schema_drift.py holds the revisions to them. The job
queue's tables are pgqueuer's, not mapped here.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.fields.db_defaults import SqlDefault
from tortoise.models import Model

TORTOISE_APP = "backbone"


class EventOutbox(Model):
    """One domain event of a committed write; `txid` is the transaction that wrote it."""

    id = fields.BigIntField(primary_key=True)
    program_id = fields.BigIntField()
    member_id = fields.BigIntField(null=True)
    type = fields.CharField(max_length=64)
    payload: Any = fields.JSONField()
    occurred_at = fields.DatetimeField()
    txid = fields.BigIntField(db_default=SqlDefault("(pg_current_xact_id()::text)::bigint"))

    class Meta:
        table = "event_outbox"
        indexes = (
            ("program_id", "id"),
            ("program_id", "type", "id"),
            ("txid", "id"),
            ("occurred_at",),
        )


class EventConsumer(Model):
    """Where one consumer of the event log stands: the last (txid, id) it was given, and the last
    event id written before it was registered (it is given only later ones)."""

    name = fields.CharField(max_length=64, primary_key=True)
    last_txid = fields.BigIntField()
    last_id = fields.BigIntField()
    start_id = fields.BigIntField()

    class Meta:
        table = "event_consumer"
