"""Tortoise models of the consent area, mapping the tables of Alembic revision 0011.

Foreign keys name the loyalty app's models by string: consent imports nothing of loyalty."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from domain.validation import ACTOR_MAX

MEMBER = "loyalty.Member"
PROGRAM = "loyalty.Program"


def _program() -> Any:
    return fields.ForeignKeyField(PROGRAM, related_name=False, on_delete=fields.RESTRICT)


def _member() -> Any:
    return fields.ForeignKeyField(MEMBER, related_name=False, on_delete=fields.RESTRICT)


class ConsentPurpose(Model):
    """Something a program uses members' data for, its legal basis and its policy's version."""

    id = fields.BigIntField(primary_key=True)
    program = _program()
    program_id: int
    key = fields.CharField(max_length=40)
    description = fields.CharField(max_length=500)
    legal_basis = fields.CharField(max_length=24)
    policy_version = fields.IntField()
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "consent_purpose"
        unique_together = (("program", "key"),)


class ConsentRecord(Model):
    """One say of a member on a purpose (append-only): the latest per purpose is in force."""

    id = fields.BigIntField(primary_key=True)
    program = _program()
    program_id: int
    member = _member()
    member_id: int
    purpose_key = fields.CharField(max_length=40)
    granted = fields.BooleanField()
    policy_version = fields.IntField()
    source = fields.CharField(max_length=16)
    actor = fields.CharField(max_length=ACTOR_MAX)
    recorded_at = fields.DatetimeField()

    class Meta:
        table = "consent_record"
        indexes = (("member", "purpose_key", "id"), ("member", "id"))


class DataUsage(Model):
    """One use of a member's personal data for a purpose (append-only). `once_on`: the day of a
    use logged at most once a day per member, purpose and actor (a read polled all day)."""

    id = fields.BigIntField(primary_key=True)
    program = _program()
    program_id: int
    member = _member()
    member_id: int
    purpose_key = fields.CharField(max_length=40)
    categories: Any = fields.JSONField()
    actor = fields.CharField(max_length=ACTOR_MAX)
    reason = fields.CharField(max_length=200)
    used_at = fields.DatetimeField()
    once_on = fields.DateField(null=True)

    class Meta:
        table = "data_usage"
        unique_together = (("member", "purpose_key", "actor", "once_on"),)
        indexes = (("member", "id"),)


class MemberPreference(Model):
    """A member's preference center; no row means the defaults (domain/preferences.py)."""

    id = fields.BigIntField(primary_key=True)
    member: Any = fields.OneToOneField(MEMBER, related_name=False, on_delete=fields.RESTRICT)
    member_id: int
    program = _program()
    program_id: int
    email = fields.BooleanField()
    push = fields.BooleanField()
    sms = fields.BooleanField()
    email_weekly_cap = fields.IntField(null=True)
    push_weekly_cap = fields.IntField(null=True)
    sms_weekly_cap = fields.IntField(null=True)
    topics: Any = fields.JSONField()
    quiet_start = fields.SmallIntField(null=True)
    quiet_end = fields.SmallIntField(null=True)
    timezone = fields.CharField(max_length=64, null=True)
    locale = fields.CharField(max_length=35, null=True)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "member_preference"


class MemberMessage(Model):
    """A message sent to a member on a channel: what weekly caps count."""

    id = fields.BigIntField(primary_key=True)
    program = _program()
    program_id: int
    member = _member()
    member_id: int
    channel = fields.CharField(max_length=8)
    sent_at = fields.DatetimeField()

    class Meta:
        table = "member_message"
        indexes = (("member", "channel", "sent_at"),)
