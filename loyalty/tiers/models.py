"""Tortoise models of the tier tables (created by Alembic revision 0009).

Tiers and the policy are replaced whole by configureTiers; member tiers, history and buckets are
written with SQL by the in-transaction reaction and the evaluation job (loyalty/tiers/), so these
classes mostly describe the schema to the ORM and to the drift test.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from domain.validation import ACTOR_MAX
from loyalty.models import TORTOISE_APP, Member, Program, member_fk, program_fk


class TierPolicy(Model):
    """A program's qualification and downgrade policy (domain.tiers.Policy as JSON)."""

    id = fields.BigIntField(primary_key=True)
    program: fields.OneToOneRelation[Program] = fields.OneToOneField(
        f"{TORTOISE_APP}.Program", related_name=False, on_delete=fields.RESTRICT
    )
    program_id: int
    policy: Any = fields.JSONField()
    reevaluate_reason = fields.CharField(max_length=500, null=True)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "tier_policy"


class Tier(Model):
    """One tier of a program, ordered by `position` (ascending thresholds)."""

    id = fields.BigIntField(primary_key=True)
    program = program_fk()
    program_id: int
    key = fields.CharField(max_length=32)
    name = fields.CharField(max_length=100)
    description = fields.CharField(max_length=500)
    threshold = fields.DecimalField(max_digits=20, decimal_places=4)
    multiplier = fields.DecimalField(max_digits=6, decimal_places=2)
    position = fields.SmallIntField()

    class Meta:
        table = "tier"
        unique_together = (("program", "key"),)


class MemberTier(Model):
    """A member's tier when it is not simply the program's first; a pending downgrade's date."""

    id = fields.BigIntField(primary_key=True)
    member: fields.OneToOneRelation[Member] = fields.OneToOneField(
        f"{TORTOISE_APP}.Member", related_name=False, on_delete=fields.RESTRICT
    )
    member_id: int
    program = program_fk()
    program_id: int
    tier_key = fields.CharField(max_length=32)
    since = fields.DatetimeField()
    assigned_reason = fields.CharField(max_length=500, null=True)
    assigned_until = fields.DateField(null=True)
    downgrade_on = fields.DateField(null=True)
    # The first month that counts toward keeping the tier while a downgrade is pending.
    retain_since = fields.DateField(null=True)
    # The next evaluation moment; null after a policy change, until the job computes it.
    evaluate_on = fields.DateField(null=True)

    class Meta:
        table = "member_tier"
        indexes = (("program", "member"),)


class TierHistory(Model):
    """Every change of a member's tier: from, to, why, by whom, when."""

    id = fields.BigIntField(primary_key=True)
    program = program_fk()
    program_id: int
    member = member_fk()
    member_id: int
    from_key = fields.CharField(max_length=32, null=True)
    to_key = fields.CharField(max_length=32)
    reason_code = fields.CharField(max_length=32)
    note = fields.CharField(max_length=500, null=True)
    actor = fields.CharField(max_length=ACTOR_MAX)
    created_at = fields.DatetimeField()

    class Meta:
        table = "tier_history"
        indexes = (("member", "id"),)


class TierBucket(Model):
    """A member's qualifying points and money of one month (the program's time zone)."""

    id = fields.BigIntField(primary_key=True)
    member = member_fk()
    member_id: int
    month = fields.DateField()
    points = fields.BigIntField()
    spend = fields.DecimalField(max_digits=20, decimal_places=4)

    class Meta:
        table = "tier_bucket"
        unique_together = (("member", "month"),)
