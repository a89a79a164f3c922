"""Mutations of the points area: award, redeem, reverse, adjust."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypedDict, TypeVar

import strawberry

from api.context import Context
from api.errors import INPUT, user_errors
from api.permissions import IsAdmin, IsStorefrontOrAdmin
from api.points.inputs import (
    AdjustPointsInput,
    AwardPointsInput,
    RedeemPointsInput,
    ReverseOrderInput,
)
from api.points.types import (
    AdjustPointsPayload,
    AwardPointsPayload,
    LedgerEntry,
    PointsBalance,
    PointsWritePayload,
    RedeemPointsPayload,
    ReverseOrderPayload,
)
from domain.earning import Order, OrderLine
from domain.validation import InvalidInput, actor
from loyalty.points.commands import (
    AdjustPoints,
    AwardEvent,
    AwardManual,
    AwardOrder,
    PointsCommand,
    RedeemPoints,
    ReverseOrder,
)
from loyalty.points.results import PointsResult
from loyalty.programs import ProgramRef

P = TypeVar("P", bound=PointsWritePayload)


@strawberry.type
class PointsMutations:
    @strawberry.mutation(
        description="Award points for an order, an event or an explicit amount, with an explanation of how they were computed.",
        permission_classes=[IsStorefrontOrAdmin],
    )
    async def award_points(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[AwardPointsInput, strawberry.argument(description=INPUT)],
    ) -> AwardPointsPayload:
        source = input.source

        def command(asker: Asker) -> PointsCommand:
            if source.order:
                lines = tuple(
                    OrderLine(li.sku, li.category, li.quantity, li.unit_price)
                    for li in source.order.lines
                )
                order = Order(
                    source.order.order_id, source.order.total, source.order.currency, lines
                )
                return AwardOrder(**asker, external_id=input.external_id, order=order)
            if source.event:
                return AwardEvent(
                    **asker,
                    external_id=input.external_id,
                    event=source.event.name,
                    reference=source.event.reference,
                )
            assert source.manual  # @oneOf guarantees exactly one source
            return AwardManual(
                **asker,
                external_id=input.external_id,
                points=source.manual.points,
                reason=source.manual.reason,
            )

        return await _respond(AwardPointsPayload, info, input.idempotency_key, command)

    @strawberry.mutation(
        description="Spend a member's points, soonest-expiring first. Never below zero.",
        permission_classes=[IsStorefrontOrAdmin],
    )
    async def redeem_points(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[RedeemPointsInput, strawberry.argument(description=INPUT)],
    ) -> RedeemPointsPayload:
        return await _respond(
            RedeemPointsPayload,
            info,
            input.idempotency_key,
            lambda asker: RedeemPoints(
                **asker, external_id=input.external_id, points=input.points, reason=input.reason
            ),
        )

    @strawberry.mutation(
        description="Take back points for a full or partial return, in proportion to the value returned.",
        permission_classes=[IsStorefrontOrAdmin],
    )
    async def reverse_order(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[ReverseOrderInput, strawberry.argument(description=INPUT)],
    ) -> ReverseOrderPayload:
        return await _respond(
            ReverseOrderPayload,
            info,
            input.idempotency_key,
            lambda asker: ReverseOrder(
                **asker,
                order_id=input.order_id,
                return_id=input.return_id,
                amount=input.amount,
                currency=input.currency,
            ),
        )

    @strawberry.mutation(
        description="Correct a member's points by hand, with a mandatory reason.",
        permission_classes=[IsAdmin],
    )
    async def adjust_points(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[AdjustPointsInput, strawberry.argument(description=INPUT)],
    ) -> AdjustPointsPayload:
        return await _respond(
            AdjustPointsPayload,
            info,
            input.idempotency_key,
            lambda asker: AdjustPoints(
                **asker, external_id=input.external_id, points=input.points, reason=input.reason
            ),
        )


class Asker(TypedDict):
    """Who asks, for which program, under which key: what every points command starts with."""

    program: ProgramRef
    actor: str
    idempotency_key: str


async def _respond(
    payload: type[P],
    info: strawberry.Info[Context, Any],
    idempotency_key: str,
    command: Callable[[Asker], PointsCommand],
) -> P:
    """Run one points command for this input; its refusal becomes the payload's userErrors."""
    principal = info.context.require_principal()
    try:
        asker = Asker(
            program=await info.context.require_program(),
            actor=actor(principal.role.value, principal.subject),
            idempotency_key=idempotency_key,
        )
        result = await info.context.bus.handle(command(asker))
    except InvalidInput as refused:
        return payload(
            entry=None,
            balance=None,
            replayed=False,
            already_processed=False,
            user_errors=user_errors(refused),
        )
    return _payload(payload, result)


def _payload(cls: type[P], result: PointsResult) -> P:
    entry = result.entries[-1] if result.entries else None
    view = LedgerEntry.from_model(entry) if entry else None
    balance: PointsBalance | None = view.balance_after if view else None
    if result.balance is not None:  # not the entry's: it was written by an earlier request
        now = result.balance
        balance = PointsBalance(
            available=now.available,
            pending=now.pending,
            debt=now.debt,
            lifetime_earned=now.lifetime,
            held=now.held,
        )
    return cls(
        entry=view,
        balance=balance,
        replayed=result.replayed,
        already_processed=result.already_processed,
        user_errors=[],
    )
