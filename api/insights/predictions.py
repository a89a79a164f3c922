"""GraphQL of the predictions: a member's churn prediction and reorder dates, products that go
together, the member's recommended products, and the program's fitted model.

Member fields (prediction, reorders, recommendedProducts) are for the member itself and the
program's storefront and admin tokens (FORBIDDEN for another member; partners see no members),
and ask consent in loyalty/insights/prediction_reads.py: null or empty without it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

import strawberry

from api.auth import Role
from api.context import Context
from api.errors import ClientError, TopLevelCode
from api.insights.prediction_types import (
    ComplementaryProduct,
    MemberPrediction,
    PredictionFactor,
    PredictionModel,
    RecommendedProduct,
    ReorderPrediction,
)
from api.permissions import IsAdmin, IsStorefrontOrAdmin
from domain import bgnbd
from domain import predictions as rules
from loyalty.insights import prediction_reads as reads

# What api/members/types.py reads of this module for the Member fields.
__all__ = [
    "DEFAULT_PRODUCTS",
    "DEFAULT_REORDERS",
    "MemberPrediction",
    "PredictionQueries",
    "RecommendedProduct",
    "ReorderPrediction",
    "member_prediction",
    "member_recommended",
    "member_reorders",
]

DEFAULT_REORDERS = rules.DEFAULT_REORDERS
DEFAULT_PRODUCTS = rules.DEFAULT_PRODUCTS


async def _guard(info: strawberry.Info[Context, Any], member_id: int) -> int:
    """The program id, for the member itself or the program's staff; FORBIDDEN otherwise."""
    principal = info.context.require_principal()
    allowed = principal.role in (Role.STOREFRONT, Role.ADMIN)
    if principal.role is Role.MEMBER:
        me = await info.context.me()
        allowed = me is not None and me.id == member_id
    if not allowed:
        raise ClientError(
            "Forbidden: a member's predictions are for the member itself and the program's staff.",
            TopLevelCode.FORBIDDEN,
        )
    program = await info.context.require_program()
    return program.id


def _first(first: int, maximum: int, field: str) -> int:
    if not 1 <= first <= maximum:
        raise ClientError(
            f"`first` on `{field}` must be 1 to {maximum}, got {first}.",
            TopLevelCode.BAD_USER_INPUT,
        )
    return first


Fetch = Callable[[int, list[int], datetime], Awaitable[reads.Rows]]


async def _rows_of(
    info: strawberry.Info[Context, Any], key: str, member_id: int, fetch: Fetch
) -> list[dict[str, Any]]:
    """The member's rows, fetched with the other members' of the request in one batch."""
    program_id = await _guard(info, member_id)
    context = info.context

    async def load(ids: list[int]) -> list[list[dict[str, Any]]]:
        found = await fetch(program_id, ids, context.clock.now())
        return [found.get(i, []) for i in ids]

    rows: list[dict[str, Any]] = await context.loader(key, load).load(member_id)
    return rows


async def member_prediction(
    info: strawberry.Info[Context, Any], member_id: int
) -> MemberPrediction | None:
    rows = await _rows_of(info, "predictions.prediction", member_id, reads.predictions_of)
    if not rows:
        return None
    [row] = rows
    return MemberPrediction(
        churn_probability=row["churn_probability"],
        expected_orders_next90_days=row["expected_orders_90d"],
        expected_next_order_at=row["expected_next_order_at"],
        why=[PredictionFactor.of(f) for f in row["why"]],
        model_version=row["model_version"],
        computed_at=row["computed_at"],
    )


async def member_reorders(
    info: strawberry.Info[Context, Any], member_id: int, first: int
) -> list[ReorderPrediction]:
    limit = _first(first, rules.MAX_REORDERS, "reorders")

    async def fetch(program_id: int, ids: list[int], now: datetime) -> reads.Rows:
        return await reads.reorders_of(program_id, ids, now, limit)

    rows = await _rows_of(info, f"predictions.reorders:{limit}", member_id, fetch)
    return [
        ReorderPrediction(
            sku=row["sku"],
            last_ordered_at=row["last_ordered_at"],
            cycle_days=row["cycle_days"],
            due_at=row["due_at"],
            orders=row["orders"],
            why=[PredictionFactor.of(f) for f in row["why"]],
            model_version=row["model_version"],
        )
        for row in rows
    ]


async def member_recommended(
    info: strawberry.Info[Context, Any], member_id: int, first: int
) -> list[RecommendedProduct]:
    limit = _first(first, rules.MAX_PRODUCTS, "recommendedProducts")

    async def fetch(program_id: int, ids: list[int], now: datetime) -> reads.Rows:
        return await reads.recommended_for(program_id, ids, now, limit)

    rows = await _rows_of(info, f"predictions.recommended:{limit}", member_id, fetch)
    return [
        RecommendedProduct(
            sku=row["sku"],
            confidence=row["confidence"],
            lift=row["lift"],
            because_of=list(row["because"]),
        )
        for row in rows
    ]


@strawberry.type
class PredictionQueries:
    @strawberry.field(
        description="Products bought together with `sku` in the program's orders, most "
        "confident first (recomputed daily by the predictions job).",
        permission_classes=[IsStorefrontOrAdmin],
    )
    async def complementary_products(
        self,
        info: strawberry.Info[Context, Any],
        sku: Annotated[str, strawberry.argument(description="The product (its SKU).")],
        first: Annotated[
            int,
            strawberry.argument(description=f"How many, 1 to {rules.MAX_PRODUCTS}."),
        ] = rules.DEFAULT_PRODUCTS,
    ) -> list[ComplementaryProduct]:
        limit = _first(first, rules.MAX_PRODUCTS, "complementaryProducts")
        if not rules.is_sku(sku):
            raise ClientError(
                "`sku` must be 1-128 printable characters on one line.",
                TopLevelCode.BAD_USER_INPUT,
            )
        program = await info.context.program()
        if program is None:
            return []
        rows = await reads.complementary(program.id, sku, limit)
        return [
            ComplementaryProduct(
                sku=r["sku"], support=r["support"], confidence=r["confidence"], lift=r["lift"]
            )
            for r in rows
        ]

    @strawberry.field(
        description="The program's last fit of the churn model, or why there is none yet; null "
        "before the predictions job first ran.",
        permission_classes=[IsAdmin],
    )
    async def prediction_model(self, info: strawberry.Info[Context, Any]) -> PredictionModel | None:
        program = await info.context.program()
        found = await reads.fit_of(program.id) if program is not None else None
        if found is None:
            return None
        return PredictionModel(
            status=found.status,
            model_version=found.model_version,
            r=found.r, alpha=found.alpha, a=found.a, b=found.b,
            members=found.members,
            repeat_members=found.repeat_members,
            minimum_members=bgnbd.MIN_MEMBERS,
            minimum_repeat_members=bgnbd.MIN_REPEAT_MEMBERS,
            fitted_at=found.fitted_at,
        )  # fmt: skip
