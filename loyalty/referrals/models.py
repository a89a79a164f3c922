"""Tortoise models of the referral tables (created by Alembic revision 0013, changed by 0016).

Rows are written with SQL by loyalty/referrals/ (under the members' locks); these classes
describe the schema to the ORM and to the drift test.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from domain.validation import ACTOR_MAX
from loyalty.models import TORTOISE_APP, Member, Program, member_fk, program_fk

CODE_MAX = 16


class _UniqueIndex(Index):
    """A unique index, partial with `extra` (Tortoise's own unique indexes take no predicate)."""

    def get_sql(self, schema_generator: Any, model: type[Model], safe: bool) -> str:
        name = self.name or schema_generator._get_index_name("uidx", model, self.field_names)
        columns = ", ".join(f'"{column}"' for column in self.field_names)
        exists = "IF NOT EXISTS " if safe else ""
        return f'CREATE UNIQUE INDEX {exists}"{name}" ON "{model._meta.db_table}" ({columns}){self.extra};'


def _partial(index: Index, where: str) -> Index:
    index.extra = f" WHERE {where}"
    return index


def _reward() -> Any:
    return fields.ForeignKeyField(
        f"{TORTOISE_APP}.Reward", related_name=False, on_delete=fields.RESTRICT, null=True
    )


def _redemption() -> Any:
    return fields.ForeignKeyField(
        f"{TORTOISE_APP}.Redemption", related_name=False, on_delete=fields.RESTRICT, null=True
    )


class ReferralSettings(Model):
    """A program's referral settings (configureReferrals); no row: referrals are off."""

    id = fields.BigIntField(primary_key=True)
    program: fields.OneToOneRelation[Program] = fields.OneToOneField(
        f"{TORTOISE_APP}.Program", related_name=False, on_delete=fields.RESTRICT
    )
    program_id: int
    window_days = fields.IntField()
    min_order_total = fields.DecimalField(max_digits=20, decimal_places=4)
    referrer_points = fields.IntField()
    referee_points = fields.IntField()
    velocity_cap = fields.IntField(null=True)
    velocity_days = fields.IntField()
    velocity_action = fields.CharField(max_length=16)
    lifetime_cap = fields.IntField(null=True)
    grace_days = fields.IntField()
    link_template = fields.CharField(max_length=500)
    referrer_reward = _reward()  # a catalog reward given to each side at conversion, or none
    referrer_reward_id: int | None
    referee_reward = _reward()
    referee_reward_id: int | None
    updated_at = fields.DatetimeField()

    class Meta:
        table = "referral_settings"


class ReferralCode(Model):
    """A member's code; a retired one still attributes until its grace period ends."""

    id = fields.BigIntField(primary_key=True)
    program = program_fk()
    program_id: int
    member = member_fk()
    member_id: int
    code = fields.CharField(max_length=CODE_MAX)
    created_at = fields.DatetimeField()
    retired_at = fields.DatetimeField(null=True)

    class Meta:
        table = "referral_code"
        unique_together = (("program", "code"),)
        # One current code per member, whoever makes it first.
        indexes = (_partial(_UniqueIndex(fields=("member_id",)), "retired_at IS NULL"),)


class Referral(Model):
    """One referee's referral: at most one per referee, the first valid attribution."""

    id = fields.BigIntField(primary_key=True)
    program = program_fk()
    program_id: int
    referrer = member_fk()
    referrer_id: int
    referee: fields.OneToOneRelation[Member] = fields.OneToOneField(
        f"{TORTOISE_APP}.Member", related_name=False, on_delete=fields.RESTRICT
    )
    referee_id: int
    code = fields.CharField(max_length=CODE_MAX)
    brought_by = fields.CharField(max_length=ACTOR_MAX)
    status = fields.CharField(max_length=16)
    hold_rule = fields.CharField(max_length=32, null=True)
    order_id = fields.CharField(max_length=128, null=True)
    referrer_entry_id = fields.BigIntField(null=True)
    referee_entry_id = fields.BigIntField(null=True)
    referrer_points = fields.IntField()
    referee_points = fields.IntField()
    attributed_at = fields.DatetimeField()
    converted_at = fields.DatetimeField(null=True)
    ended_at = fields.DatetimeField(null=True)
    # Per side, the catalog reward of the settings at conversion, the redemption that gave it,
    # what became of it (domain.referrals.GiftOutcome) and, when refused, the refusal's code.
    referrer_reward = _reward()
    referrer_reward_id: int | None
    referrer_redemption = _redemption()
    referrer_redemption_id: int | None
    referrer_reward_outcome = fields.CharField(max_length=16, null=True)
    referrer_reward_refusal = fields.CharField(max_length=32, null=True)
    referee_reward = _reward()
    referee_reward_id: int | None
    referee_redemption = _redemption()
    referee_redemption_id: int | None
    referee_reward_outcome = fields.CharField(max_length=16, null=True)
    referee_reward_refusal = fields.CharField(max_length=32, null=True)

    class Meta:
        table = "referral"
        # The expiry job's: only what is still pending, by program and attribution time.
        indexes = (_partial(Index(fields=("program_id", "attributed_at")), "status = 'PENDING'"),)


class ReferralFraud(Model):
    """The audit of a refused or held referral: which rule, what verdict, who asked."""

    id = fields.BigIntField(primary_key=True)
    program = program_fk()
    program_id: int
    referral_id = fields.BigIntField(null=True)
    referrer_id = fields.BigIntField(null=True)
    referee_id = fields.BigIntField(null=True)
    code = fields.CharField(max_length=CODE_MAX, null=True)
    rule = fields.CharField(max_length=32)
    verdict = fields.CharField(max_length=16)
    actor = fields.CharField(max_length=ACTOR_MAX)
    created_at = fields.DatetimeField()

    class Meta:
        table = "referral_fraud"
