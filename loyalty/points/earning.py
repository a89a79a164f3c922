"""Earning: points for orders, named events and explicit grants, each explained."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from backbone.uow import UnitOfWork
from domain.earning import (
    Computation,
    cap_period_start,
    capped,
    event_points,
    order_points,
    validate_event,
    validate_order,
)
from domain.ledger import ExplanationLine, Posting, earn
from domain.offers import best_offer
from domain.validation import ErrorCode, InvalidInput, Problem, clean_text
from loyalty.points.account import Account
from loyalty.points.commands import AwardEvent, AwardManual, AwardOrder
from loyalty.points.results import PointsResult
from loyalty.points.writes import by_external_id, write_points
from loyalty.programs import ProgramRef
from loyalty.tiers.published import tier_of

MAX_GRANT = 10_000_000
REASON_MAX = 500

_EARNED_IN_PERIOD = """
SELECT COALESCE(SUM(points), 0) AS earned FROM points_entry
WHERE member_id = $1 AND kind = 'EARN' AND reason_code IN ('ORDER', 'EVENT') AND created_at >= $2
"""
# The order and its lines (purchase cycles and co-purchases read them) in one statement.
_RECORD_ORDER = """
WITH recorded AS (
  INSERT INTO points_order (program_id, member_id, order_id, total, currency, points_earned,
    returned_total, points_reversed, entry_id, lot_id, created_at)
  VALUES ($1, $2, $3, $4, $5, $6, 0, 0, $7, $8, $9)
  ON CONFLICT (program_id, order_id) DO NOTHING
  RETURNING id
), lined AS (
  INSERT INTO points_order_line
    (order_id, program_id, member_id, line_no, sku, category, quantity, unit_price)
  SELECT r.id, $1, $2, l.n::int, l.sku, l.category, l.quantity, l.unit_price FROM recorded r
  CROSS JOIN unnest($10::varchar[], $11::varchar[], $12::int[], $13::numeric[])
    WITH ORDINALITY AS l(sku, category, quantity, unit_price, n)
)
SELECT id FROM recorded
"""
_EVENT_SEEN = (
    "SELECT 1 FROM points_event_award WHERE member_id = $1 AND event = $2 AND reference = $3"
)
_RECORD_EVENT = (
    "INSERT INTO points_event_award (member_id, event, reference, entry_id) VALUES ($1, $2, $3, $4)"
)


async def award_order(command: AwardOrder, uow: UnitOfWork) -> PointsResult:
    """Points for an order, computed by the program's rules. One order id earns once, under
    any idempotency key; another currency than the program's is refused, never converted."""
    order = command.order
    validate_order(order, command.program.currency, at=("source", "order"))

    async def work(account: Account, program: ProgramRef) -> list[int]:
        account.require_active()
        # The member's tier before this order: an upgrade the order causes applies from the next.
        tier = await tier_of(account.connection, account.program_id, account.member_id)
        multiplier = tier.multiplier if tier is not None else Decimal(1)
        # A campaign's multiplier the member was reached with, in force now (the best one).
        offer = best_offer(account.multiplier_offers, account.now)
        priced = order_points(
            order,
            program.points,
            tier_multiplier=multiplier,
            offer_multiplier=offer.value if offer is not None else Decimal(1),
        )
        computation = await _within_cap(account, priced, program)
        posted = await account.post(
            _earning(account, computation, program, returnable=True),
            reason_code="ORDER",
            reason=f"Order {order.order_id}",
            source_ref=f"order:{order.order_id}",
        )
        recorded = await account.connection.execute_query_dict(
            _RECORD_ORDER,
            [
                account.program_id,
                account.member_id,
                order.order_id,
                order.total,
                order.currency,
                computation.points,
                posted.entry_id,
                posted.lot_id,
                account.now,
                [line.sku for line in order.lines],
                [line.category for line in order.lines],
                [line.quantity for line in order.lines],
                [line.unit_price for line in order.lines],
            ],
        )
        if not recorded:
            # The order earned before (maybe a moment ago, under another key): this whole
            # transaction, entry included, rolls back.
            raise InvalidInput(
                Problem(
                    ("source", "order", "orderId"),
                    f"Order {order.order_id!r} already earned points.",
                    ErrorCode.ALREADY_AWARDED,
                )
            )
        return [posted.entry_id]

    return await write_points(
        command,
        uow,
        member=by_external_id(command.external_id),
        work=work,
        spends=False,
        offers=True,
    )


async def award_event(command: AwardEvent, uow: UnitOfWork) -> PointsResult:
    """Fixed points for a named event (account_created, review_posted...), once per member,
    event and reference."""
    event, reference = command.event, command.reference
    validate_event(event, reference, at=("source", "event"))

    async def work(account: Account, program: ProgramRef) -> list[int]:
        account.require_active()
        if await account.connection.execute_query_dict(
            _EVENT_SEEN, [account.member_id, event, reference]
        ):
            raise InvalidInput(
                Problem(
                    ("source", "event"),
                    f"{event} {reference!r} already earned points.",
                    ErrorCode.ALREADY_AWARDED,
                )
            )
        # Priced inside the transaction, after the key is claimed: a retry of an award that
        # was already made replays it even if the program has since dropped the event.
        priced = event_points(event, program.points, at=("source", "event"))
        computation = await _within_cap(account, priced, program)
        posted = await account.post(
            _earning(account, computation, program, returnable=False),
            reason_code="EVENT",
            reason=event.replace("_", " ").capitalize(),
            source_ref=f"event:{event}:{reference}",
        )
        await account.connection.execute_query_dict(
            _RECORD_EVENT, [account.member_id, event, reference, posted.entry_id]
        )
        return [posted.entry_id]

    return await write_points(
        command, uow, member=by_external_id(command.external_id), work=work, spends=False
    )


async def award_manual(command: AwardManual, uow: UnitOfWork) -> PointsResult:
    """An explicit grant with a reason (goodwill, a campaign): spendable at once, not capped."""
    points = command.points
    clean_reason = check_reason(command.reason, ("source", "manual", "reason"))
    if not 0 < points <= MAX_GRANT:
        raise InvalidInput(
            Problem(
                ("source", "manual", "points"),
                f"points must be 1 to {MAX_GRANT}.",
                ErrorCode.INVALID_AMOUNT,
            )
        )

    async def work(account: Account, program: ProgramRef) -> list[int]:
        account.require_active()
        expires_at = program.points.expiry.expires_at(account.now, program.timezone)
        posting = earn(
            account.balance,
            points,
            lines=(ExplanationLine("MANUAL", clean_reason, points),),
            activates_at=None,
            expires_at=expires_at,
        )
        posted = await account.post(posting, reason_code="MANUAL", reason=clean_reason)
        return [posted.entry_id]

    return await write_points(
        command, uow, member=by_external_id(command.external_id), work=work, spends=False
    )


def check_reason(reason: str, field: tuple[str, ...]) -> str:
    clean = clean_text(reason, max_length=REASON_MAX)
    if clean is None:
        raise InvalidInput(
            Problem(
                field,
                f"A reason of 1-{REASON_MAX} characters is required.",
                ErrorCode.INVALID_REASON,
            )
        )
    return clean


async def _within_cap(
    account: Account, computation: Computation, program: ProgramRef
) -> Computation:
    cap = program.points.cap
    if cap is None:
        return computation
    since = cap_period_start(cap.period, account.now, program.timezone)
    [row] = await account.connection.execute_query_dict(
        _EARNED_IN_PERIOD, [account.member_id, since]
    )
    return capped(computation, cap, int(row["earned"]))


def _earning(
    account: Account, computation: Computation, program: ProgramRef, *, returnable: bool
) -> Posting:
    """Points from something that can be returned wait out the return window; others don't."""
    config = program.points
    pending = returnable and config.pending_days > 0
    pending_until = account.now + timedelta(days=config.pending_days) if pending else None
    return earn(
        account.balance,
        computation.points,
        lines=computation.lines,
        activates_at=pending_until,
        expires_at=config.expiry.expires_at(account.now, program.timezone),
    )
