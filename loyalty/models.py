"""Tortoise models mapping the tables that the Alembic revisions create.

Alembic owns the schema; these classes only describe it to the ORM. tests/integration/
test_schema_drift.py fails when the two disagree. Timestamps are set by services from the injected
clock, never by the database, so tests can move time.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from domain.members import MemberStatus
from domain.validation import ACTOR_MAX

TORTOISE_APP = "loyalty"


class Program(Model):
    """A loyalty program: one tenant. Its `key` is the tenant id carried in every token."""

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=63, unique=True)
    name = fields.CharField(max_length=100)
    currency = fields.CharField(max_length=3)
    timezone = fields.CharField(max_length=64)
    default_locale = fields.CharField(max_length=35)
    # How points are earned, held, expire and clawed back; null means the defaults
    # (loyalty/points/config.py reads and writes it).
    points_config: Any = fields.JSONField(null=True)
    # Bumped by every change of the settings above: writes compare it with their cached copy.
    config_version = fields.BigIntField(db_default=0)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "program"


class Member(Model):
    """A person enrolled in one program, known to the storefront by `external_id`."""

    id = fields.BigIntField(primary_key=True)
    program: fields.ForeignKeyRelation[Program] = fields.ForeignKeyField(
        f"{TORTOISE_APP}.Program", related_name="members", on_delete=fields.RESTRICT
    )
    program_id: int
    external_id = fields.CharField(max_length=128)
    email = fields.CharField(max_length=254)
    display_name = fields.CharField(max_length=100)
    birthday = fields.DateField(null=True)
    locale = fields.CharField(max_length=35)
    status = fields.CharEnumField(MemberStatus, max_length=16)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "member"
        unique_together = (("program", "external_id"),)
        # Keyset pagination walks a program's members by id.
        indexes = (("program", "id"),)


def member_fk() -> fields.ForeignKeyRelation[Member]:
    """A foreign key to the member a row belongs to (no reverse relation; never cascades)."""
    return fields.ForeignKeyField(
        f"{TORTOISE_APP}.Member", related_name=False, on_delete=fields.RESTRICT
    )


def program_fk() -> fields.ForeignKeyRelation[Program]:
    """A foreign key to the program a row belongs to (no reverse relation; never cascades)."""
    return fields.ForeignKeyField(
        f"{TORTOISE_APP}.Program", related_name=False, on_delete=fields.RESTRICT
    )


class IdempotencyKey(Model):
    """A client's key for one write, with a hash of its input and the result to replay."""

    id = fields.BigIntField(primary_key=True)
    program: fields.ForeignKeyRelation[Program] = fields.ForeignKeyField(
        f"{TORTOISE_APP}.Program", related_name=False, on_delete=fields.RESTRICT
    )
    program_id: int
    client = fields.CharField(max_length=ACTOR_MAX)
    key = fields.CharField(max_length=200)
    operation = fields.CharField(max_length=64)
    request_hash = fields.CharField(max_length=64)
    result: Any = fields.JSONField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "idempotency_key"
        indexes = (("created_at",),)
        unique_together = (("program", "client", "key"),)
