"""Tortoise models of the privacy tables (Alembic revision 0012): exports, erasure requests,
tombstones and their key. Services write them with SQL of their own (consent/export.py,
consent/erasure.py, backbone/tombstones.py); the models map them for the drift test."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from domain.validation import ACTOR_MAX

# The loyalty app's models, named by string: consent imports nothing of loyalty.
_PROGRAM = "loyalty.Program"
_MEMBER = "loyalty.Member"


class PrivacyKey(Model):
    """The one HMAC key of tombstone digests (random, made by revision 0012)."""

    id = fields.SmallIntField(primary_key=True, generated=False)
    secret = fields.BinaryField()

    class Meta:
        table = "privacy_key"


class MemberTombstone(Model):
    """A salted digest of an erased member's email or externalId, per program: enrolling the
    same identity again is refused, yet the identity cannot be read back."""

    id = fields.BigIntField(primary_key=True)
    program: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        _PROGRAM, related_name=False, on_delete=fields.RESTRICT
    )
    kind = fields.CharField(max_length=16)
    digest = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()

    class Meta:
        table = "member_tombstone"
        unique_together = (("program", "kind", "digest"),)


class ErasureRequest(Model):
    """That a member was erased, when and at whose request (a role): nothing of the data."""

    id = fields.BigIntField(primary_key=True)
    program: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        _PROGRAM, related_name=False, on_delete=fields.RESTRICT
    )
    member: fields.OneToOneRelation[Any] = fields.OneToOneField(
        _MEMBER, related_name=False, on_delete=fields.RESTRICT
    )
    requested_by = fields.CharField(max_length=16)
    created_at = fields.DatetimeField()

    class Meta:
        table = "erasure_request"


class DataExport(Model):
    """One export of everything held about a member, downloadable until `expires_at`."""

    id = fields.BigIntField(primary_key=True)
    program: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        _PROGRAM, related_name=False, on_delete=fields.RESTRICT
    )
    member: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        _MEMBER, related_name=False, on_delete=fields.RESTRICT, db_index=True
    )
    actor = fields.CharField(max_length=ACTOR_MAX)
    document: Any = fields.JSONField()
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()

    class Meta:
        table = "data_export"
