"""Tortoise models of the campaign gift tables (created by Alembic revision 0028).

Rows are written with SQL by loyalty/campaigns/offers.py under the member's lock; these
classes describe the schema to the ORM and to the drift test.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from loyalty.campaigns.models import Campaign, CampaignDelivery
from loyalty.models import TORTOISE_APP, member_fk, program_fk
from loyalty.points.models import PointsEntry


class CampaignGiftAccount(Model):
    """A GIFT campaign's program-level account: what it gave, in points and gifts."""

    id = fields.BigIntField(primary_key=True)
    campaign: fields.OneToOneRelation[Campaign] = fields.OneToOneField(
        f"{TORTOISE_APP}.Campaign", related_name=False, on_delete=fields.RESTRICT
    )
    campaign_id: int
    program = program_fk()
    program_id: int
    given_points = fields.BigIntField()
    gifts = fields.IntField()

    class Meta:
        table = "campaign_gift_account"


class CampaignGift(Model):
    """One delivery's gift: a debit of its campaign's account, credited by a ledger entry."""

    id = fields.BigIntField(primary_key=True)
    program = program_fk()
    program_id: int
    account: fields.ForeignKeyRelation[CampaignGiftAccount] = fields.ForeignKeyField(
        f"{TORTOISE_APP}.CampaignGiftAccount", related_name=False, on_delete=fields.RESTRICT
    )
    account_id: int
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        f"{TORTOISE_APP}.Campaign", related_name=False, on_delete=fields.RESTRICT
    )
    campaign_id: int
    delivery: fields.OneToOneRelation[CampaignDelivery] = fields.OneToOneField(
        f"{TORTOISE_APP}.CampaignDelivery", related_name=False, on_delete=fields.RESTRICT
    )
    delivery_id: int
    member = member_fk()
    member_id: int
    points = fields.IntField()
    entry: fields.ForeignKeyRelation[PointsEntry] = fields.ForeignKeyField(
        f"{TORTOISE_APP}.PointsEntry", related_name=False, on_delete=fields.RESTRICT
    )
    entry_id: int
    created_at = fields.DatetimeField()

    class Meta:
        table = "campaign_gift"
        indexes = (("campaign_id",), ("member_id",))
