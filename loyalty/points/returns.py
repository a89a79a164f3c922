"""Returns: take back the points an order earned, in proportion to the value returned."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from backbone.uow import UnitOfWork
from domain.clawback import clawback
from domain.currency import format_money
from domain.earning import clawback_points, validate_return
from domain.events import OrderReturned
from domain.validation import ErrorCode, InvalidInput, Problem
from loyalty.points.account import Account
from loyalty.points.commands import ReverseOrder
from loyalty.points.results import Earlier, PointsResult
from loyalty.points.writes import write_points
from loyalty.programs import ProgramRef

_MEMBER_OF = "SELECT member_id FROM points_order WHERE program_id = $1 AND order_id = $2"
# Read again under the member's lock, which every change of an order's row is made under.
_ORDER = """
SELECT id, total, currency, points_earned, returned_total, points_reversed, lot_id
FROM points_order WHERE program_id = $1 AND order_id = $2
"""
_RETURN = "SELECT amount, entry_id FROM points_order_return WHERE order_id = $1 AND return_id = $2"
_RECORD_RETURN = """
INSERT INTO points_order_return (order_id, return_id, amount, points, entry_id, created_at)
VALUES ($1, $2, $3, $4, $5, $6)
"""
_UPDATE_ORDER = """
UPDATE points_order SET returned_total = returned_total + $2, points_reversed = points_reversed + $3
WHERE id = $1
"""


async def reverse_order(command: ReverseOrder, uow: UnitOfWork) -> PointsResult:
    """Claw back points for a full or partial return, from the order's pending points first.

    Points the member already spent follow the program's clawback policy (debt, negative balance,
    or refusal). The same returnId again writes nothing: it answers as already processed, with
    the first return's entry and the balance now. Returning more than the order's total is refused.
    """
    order_id, return_id, amount, currency = (
        command.order_id,
        command.return_id,
        command.amount,
        command.currency,
    )
    validate_return(order_id, return_id, amount, currency, command.program.currency)

    async def locate(connection: BaseDBAsyncClient) -> dict[str, Any]:
        # Unlocked: the member's lock comes first (backbone/locks.py).
        rows = await connection.execute_query_dict(_MEMBER_OF, [command.program.id, order_id])
        if not rows:
            raise InvalidInput(
                Problem(
                    ("orderId",),
                    f"No order {order_id!r} earned points here.",
                    ErrorCode.ORDER_NOT_FOUND,
                )
            )
        return {"member_id": rows[0]["member_id"]}

    async def work(account: Account, program: ProgramRef) -> list[int] | Earlier:
        [found] = await account.connection.execute_query_dict(_ORDER, [program.id, order_id])
        earlier = await account.connection.execute_query_dict(_RETURN, [found["id"], return_id])
        if earlier:
            if Decimal(earlier[0]["amount"]) != amount:
                raise InvalidInput(
                    Problem(
                        ("returnId",),
                        "This returnId was already used with another amount.",
                        ErrorCode.RETURN_ID_REUSED,
                    )
                )
            return Earlier([earlier[0]["entry_id"]] if earlier[0]["entry_id"] else [])
        total, returned = Decimal(found["total"]), Decimal(found["returned_total"])
        if returned + amount > total:
            raise InvalidInput(
                Problem(
                    ("amount",),
                    f"Only {format_money(total - returned, currency)} of this order is left to return.",
                    ErrorCode.RETURN_EXCEEDS_ORDER,
                )
            )
        points = clawback_points(
            earned=found["points_earned"],
            order_total=total,
            returned_before=returned,
            returning=amount,
            clawed_before=found["points_reversed"],
            rounding=program.points.rounding,
        )
        entry_id = None
        if points > 0 and found["lot_id"] is not None:
            await account.load_lot(found["lot_id"])
        if points > 0:
            label = f"Returned {format_money(amount, currency)} of {format_money(total, currency)}"
            posting = clawback(
                account.balance,
                account.lots,
                points,
                order_lot=found["lot_id"],
                policy=program.points.clawback,
                now=account.now,
                label=label,
            )
            posted = await account.post(
                posting,
                reason_code="RETURN",
                reason=f"Return {return_id} of order {order_id}",
                source_ref=f"order:{order_id}",
            )
            entry_id = posted.entry_id
        await account.connection.execute_query_dict(
            _RECORD_RETURN, [found["id"], return_id, amount, points, entry_id, account.now]
        )
        await account.connection.execute_query_dict(_UPDATE_ORDER, [found["id"], amount, points])
        account.uow.record(
            OrderReturned(
                program_id=program.id,
                member_id=account.member_id,
                order_id=order_id,
                return_id=return_id,
                amount=str(amount),
                currency=currency,
                fully_returned=returned + amount == total,
                points_reversed=points,
            )
        )
        return [entry_id] if entry_id else []

    return await write_points(command, uow, member=locate, work=work)
