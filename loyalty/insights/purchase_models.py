"""Tortoise models of the predictions' own tables (Alembic revision 0026): the lines of orders,
the program's co-purchase rules and its last fit of the BG/NBD model. The predictions
themselves (member_prediction, member_reorder) are in loyalty/insights/models.py."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from loyalty.models import TORTOISE_APP, Program, member_fk, program_fk
from loyalty.points.models import PointsOrder

SKU_MAX = 128
VERSION_MAX = 64


class PointsOrderLine(Model):
    """One line of an order as the storefront reported it, written with the order."""

    id = fields.BigIntField(primary_key=True)
    order: fields.ForeignKeyRelation[PointsOrder] = fields.ForeignKeyField(
        f"{TORTOISE_APP}.PointsOrder", related_name=False, on_delete=fields.RESTRICT
    )
    order_id: int
    program = program_fk()
    program_id: int
    member = member_fk()
    member_id: int
    line_no = fields.IntField()
    sku = fields.CharField(max_length=SKU_MAX)
    category = fields.CharField(max_length=SKU_MAX, null=True)
    quantity = fields.IntField()
    unit_price = fields.DecimalField(max_digits=20, decimal_places=4)

    class Meta:
        table = "points_order_line"
        unique_together = (("order", "line_no"),)
        indexes = (("member", "sku"), ("program", "sku"))


class ProductAssociation(Model):
    """The rule "orders holding `sku` also hold `other_sku`": support (orders with both),
    confidence (the share of `sku`'s orders that hold `other_sku`) and lift."""

    id = fields.BigIntField(primary_key=True)
    program = program_fk()
    program_id: int
    sku = fields.CharField(max_length=SKU_MAX)
    other_sku = fields.CharField(max_length=SKU_MAX)
    support = fields.IntField()
    confidence = fields.FloatField()
    lift = fields.FloatField()
    computed_at = fields.DatetimeField()

    class Meta:
        table = "product_association"
        unique_together = (("program", "sku", "other_sku"),)


class PredictionFit(Model):
    """The program's last fit of the model: its parameters, or INSUFFICIENT_DATA."""

    id = fields.BigIntField(primary_key=True)
    program: fields.OneToOneRelation[Program] = fields.OneToOneField(
        f"{TORTOISE_APP}.Program", related_name=False, on_delete=fields.RESTRICT
    )
    program_id: int
    status = fields.CharField(max_length=24)
    model_version = fields.CharField(max_length=VERSION_MAX, null=True)
    r = fields.FloatField(null=True)
    alpha = fields.FloatField(null=True)
    a = fields.FloatField(null=True)
    b = fields.FloatField(null=True)
    members = fields.IntField()
    repeat_members = fields.IntField()
    log_likelihood = fields.FloatField(null=True)
    fitted_at = fields.DatetimeField()

    class Meta:
        table = "prediction_fit"
