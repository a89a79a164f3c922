"""Tortoise models of the partner client tables (Alembic revision 0015). The service writes them
with SQL of its own (loyalty/partners/service.py); the models map them for the drift test."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from domain.validation import ACTOR_MAX


class PartnerClient(Model):
    """A partner's OAuth client in one program, with the scopes its tokens may carry."""

    id = fields.BigIntField(primary_key=True)
    program: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "loyalty.Program", related_name=False, on_delete=fields.RESTRICT, db_index=True
    )
    client_id = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=100)
    scopes: Any = fields.JSONField()
    active = fields.BooleanField()
    created_by = fields.CharField(max_length=ACTOR_MAX)
    created_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    # Its own throttling bucket, or neither: the partner role's (domain/throttling.py).
    rate_limit_maximum = fields.IntField(null=True)
    rate_limit_restore = fields.IntField(null=True)

    class Meta:
        table = "partner_client"


class PartnerClientSecret(Model):
    """One of a client's secrets, as its SHA-256 digest (hex); `expires_at` set by a rotation."""

    id = fields.BigIntField(primary_key=True)
    client: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "loyalty.PartnerClient", related_name=False, on_delete=fields.CASCADE, db_index=True
    )
    digest = fields.CharField(max_length=64, unique=True)
    hint = fields.CharField(max_length=8)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(null=True)

    class Meta:
        table = "partner_client_secret"
