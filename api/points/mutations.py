"""Mutations of the points area: award, redeem, reverse, adjust."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Annotated, Any, TypeVar

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
from domain.clock import Clock
from domain.earning import Order, OrderLine
from domain.validation import InvalidInput, actor, decimal_key
from loyalty.points import earning, returns, spending
from loyalty.points.writes import PointsResult, WriteRequest

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

        async def award(write: WriteRequest, clock: Clock) -> PointsResult:
            if source.order:
                lines = tuple(
                    OrderLine(li.sku, li.category, li.quantity, li.unit_price)
                    for li in source.order.lines
                )
                order = Order(
                    source.order.order_id, source.order.total, source.order.currency, lines
                )
                return await earning.award_order(
                    write, external_id=input.external_id, order=order, clock=clock
                )
            if source.event:
                return await earning.award_event(
                    write,
                    external_id=input.external_id,
                    event=source.event.name,
                    reference=source.event.reference,
                    clock=clock,
                )
            assert source.manual  # @oneOf guarantees exactly one source
            return await earning.award_manual(
                write,
                external_id=input.external_id,
                points=source.manual.points,
                reason=source.manual.reason,
                clock=clock,
            )

        return await _respond(AwardPointsPayload, info, "awardPoints", input, award)

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
            "redeemPoints",
            input,
            lambda write, clock: spending.redeem_points(
                write,
                external_id=input.external_id,
                points=input.points,
                reason=input.reason,
                clock=clock,
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
            "reverseOrder",
            input,
            lambda write, clock: returns.reverse_order(
                write,
                order_id=input.order_id,
                return_id=input.return_id,
                amount=input.amount,
                currency=input.currency,
                clock=clock,
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
            "adjustPoints",
            input,
            lambda write, clock: spending.adjust_points(
                write,
                external_id=input.external_id,
                points=input.points,
                reason=input.reason,
                clock=clock,
            ),
        )


async def _respond(
    payload: type[P],
    info: strawberry.Info[Context, Any],
    operation: str,
    input: Any,
    service: Callable[[WriteRequest, Clock], Awaitable[PointsResult]],
) -> P:
    """Call one points service for this input; its refusal becomes the payload's userErrors."""
    try:
        result = await service(await _write(info, operation, input), info.context.clock)
    except InvalidInput as refused:
        return payload(
            entry=None,
            balance=None,
            replayed=False,
            already_processed=False,
            user_errors=user_errors(refused),
        )
    return _payload(payload, result)


async def _write(info: strawberry.Info[Context, Any], operation: str, input: Any) -> WriteRequest:
    """The service's view of a write: tenant, client (role and subject) and the input to hash."""
    principal = info.context.require_principal()
    request = _plain(input)
    key = request.pop("idempotency_key")
    return WriteRequest(
        await info.context.require_program(),
        operation,
        key,
        actor(principal.role.value, principal.subject),
        request,
    )


def _plain(value: Any) -> Any:
    """Inputs as plain data for hashing: omitted fields dropped, decimals normalised so that
    10.0 and 10.00 are the same request."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if getattr(value, f.name) is not strawberry.UNSET
        }
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, Decimal):
        return decimal_key(value)
    return value


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
        )
    return cls(
        entry=view,
        balance=balance,
        replayed=result.replayed,
        already_processed=result.already_processed,
        user_errors=[],
    )
