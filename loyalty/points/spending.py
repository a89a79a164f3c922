"""Spending and corrections: redemptions at checkout and an admin's manual adjustments."""

from __future__ import annotations

from dataclasses import replace

from backbone.uow import UnitOfWork
from domain.ledger import ExplanationLine, Posting, adjust, redeem
from domain.validation import ErrorCode, InvalidInput, Problem
from loyalty.points.account import Account
from loyalty.points.commands import AdjustPoints, RedeemPoints
from loyalty.points.earning import MAX_GRANT, check_reason
from loyalty.points.results import PointsResult
from loyalty.points.writes import by_external_id, write_points
from loyalty.programs import ProgramRef


async def redeem_points(command: RedeemPoints, uow: UnitOfWork) -> PointsResult:
    """Spend points, soonest-expiring first. Never below zero: a spend beyond what is
    spendable is refused with INSUFFICIENT_POINTS, also under concurrent spends."""
    points = command.points
    clean_reason = check_reason(command.reason, ("reason",))
    _check_points(points)

    async def work(account: Account, program: ProgramRef) -> list[int]:
        account.require_active()
        posting = redeem(account.balance, account.lots.values(), points, account.now)
        posting = _explained(posting, clean_reason)
        posted = await account.post(posting, reason_code="REDEMPTION", reason=clean_reason)
        return [posted.entry_id]

    return await write_points(command, uow, member=by_external_id(command.external_id), work=work)


async def adjust_points(command: AdjustPoints, uow: UnitOfWork) -> PointsResult:
    """A manual correction by an admin, with a mandatory reason. Works on suspended members too:
    corrections are how mistakes are fixed."""
    points = command.points
    clean_reason = check_reason(command.reason, ("reason",))
    if points == 0 or abs(points) > MAX_GRANT:
        raise InvalidInput(
            Problem(
                ("points",),
                f"points must be non-zero and at most {MAX_GRANT} either way.",
                ErrorCode.INVALID_AMOUNT,
            )
        )

    async def work(account: Account, program: ProgramRef) -> list[int]:
        expires_at = program.points.expiry.expires_at(account.now, program.timezone)
        posting = adjust(
            account.balance,
            account.lots.values(),
            points,
            reason=clean_reason,
            now=account.now,
            expires_at=expires_at,
        )
        posted = await account.post(posting, reason_code="ADJUSTMENT", reason=clean_reason)
        return [posted.entry_id]

    return await write_points(command, uow, member=by_external_id(command.external_id), work=work)


def _check_points(points: int) -> None:
    if not 0 < points <= MAX_GRANT:
        raise InvalidInput(
            Problem(("points",), f"points must be 1 to {MAX_GRANT}.", ErrorCode.INVALID_AMOUNT)
        )


def _explained(posting: Posting, reason: str) -> Posting:
    return replace(posting, lines=(ExplanationLine("REDEEMED", reason, posting.points),))
