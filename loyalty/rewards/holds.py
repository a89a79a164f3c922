"""After a redemption: confirming a checkout hold, cancelling (a hold, or a confirmed redemption
whose reward allows refunds), marking its code used, and the job that releases expired holds.

Every change of a redemption happens under its member's lock, taken first (backbone/locks.py), and
moves its state by a conditional UPDATE from the state it was read in: a hold is ended once,
whoever tries (a cancel, a confirm, two job workers). Stock and codes are returned after.
"""

from __future__ import annotations

from backbone.uow import UnitOfWork
from domain.events import HoldExpired, RedemptionCancelled, RedemptionConfirmed
from domain.redemptions import RedemptionStatus, refuse
from domain.validation import ErrorCode
from loyalty.points.account import SYSTEM_ACTOR, Account, open_account
from loyalty.points.holds import capture, refund, release
from loyalty.programs import in_force
from loyalty.rewards.commands import (
    CancelRedemption,
    ConfirmRedemption,
    MarkCodeUsed,
    RedemptionResult,
    ReleaseExpiredHolds,
)
from loyalty.rewards.gifting import take_back_gift
from loyalty.rewards.models import Redemption, Reward, RewardCode
from loyalty.rewards.stock import return_unit, unassign_code

_MOVE = """
UPDATE reward_redemption SET status = $3, ended_at = $4, return_entry_id = $5
WHERE id = $1 AND status = $2 RETURNING id
"""
_CONFIRM = """
UPDATE reward_redemption SET status = 'CONFIRMED', redeem_entry_id = $2, confirmed_at = $3
WHERE id = $1 AND status = 'HELD' RETURNING id
"""
_DUE = """
SELECT id FROM reward_redemption
WHERE member_id = $1 AND status = 'HELD' AND hold_expires_at <= $2 ORDER BY id
"""


async def confirm_redemption(command: ConfirmRedemption, uow: UnitOfWork) -> RedemptionResult:
    async with uow:
        account, redemption = await _open(
            uow, command.program.id, command.redemption_id, command.actor
        )
        if redemption.status is RedemptionStatus.CONFIRMED:
            return RedemptionResult(redemption, account.balance)  # confirmed already: as is
        if redemption.status is not RedemptionStatus.HELD:
            raise _not_held(redemption)
        assert redemption.hold_expires_at is not None
        if account.now >= redemption.hold_expires_at:
            raise refuse(
                "redemptionId",
                "The hold expired; its points and stock are returned.",
                ErrorCode.HOLD_EXPIRED,
            )
        posted = await capture(
            account, redemption.points, reason="Reward redeemed", source_ref=_ref(redemption)
        )
        if not await uow.connection.execute_query_dict(
            _CONFIRM, [redemption.id, posted.entry_id, account.now]
        ):
            raise RuntimeError(f"redemption {redemption.id} left HELD under its member's lock")
        redemption.status = RedemptionStatus.CONFIRMED
        redemption.redeem_entry_id, redemption.confirmed_at = posted.entry_id, account.now
        uow.record(RedemptionConfirmed(**_facts(redemption)))
    return RedemptionResult(redemption, account.balance)


async def cancel_redemption(command: CancelRedemption, uow: UnitOfWork) -> RedemptionResult:
    """A hold (even one past its expiry the job has not reached) gives back its points and
    stock; a confirmed redemption does too when its reward allows refunds and its code was not
    used, the points as a new lot. Cancelling what has ended already changes nothing."""
    async with uow:
        account, redemption = await _open(
            uow, command.program.id, command.redemption_id, command.actor
        )
        if redemption.status is RedemptionStatus.HELD:
            await _end_hold(account, redemption, RedemptionStatus.CANCELLED)
            uow.record(RedemptionCancelled(**_facts(redemption)))
        elif redemption.status is RedemptionStatus.CONFIRMED and redemption.gift_source:
            # A gift has no points to refund: it is cancelled unless its code was used.
            if not await take_back_gift(uow, redemption.id):
                raise refuse(
                    "redemptionId", "Its code was used: it cannot be cancelled.",
                    ErrorCode.NOT_REFUNDABLE,
                )  # fmt: skip
            redemption = await Redemption.get(id=redemption.id, using_db=uow.connection)
        elif redemption.status is RedemptionStatus.CONFIRMED:
            await _refund(command, account, redemption)
            uow.record(RedemptionCancelled(**_facts(redemption)))
    return RedemptionResult(redemption, account.balance)


async def _refund(command: CancelRedemption, account: Account, redemption: Redemption) -> None:
    uow = account.uow
    reward = await Reward.get(id=redemption.reward_id, using_db=uow.connection)
    code = await RewardCode.get_or_none(redemption_id=redemption.id, using_db=uow.connection)
    if not reward.refundable:
        raise refuse("redemptionId", "This reward allows no refunds.", ErrorCode.NOT_REFUNDABLE)
    if code is not None and code.used_at is not None:
        raise refuse(
            "redemptionId", "Its code was used: it cannot be refunded.", ErrorCode.NOT_REFUNDABLE
        )
    program = await in_force(uow.connection, command.program)
    expires_at = program.points.expiry.expires_at(account.now, program.timezone)
    posted = await refund(
        account,
        redemption.points,
        reason="Reward redemption cancelled",
        expires_at=expires_at,
        source_ref=_ref(redemption),
    )
    await _move(
        uow, redemption, RedemptionStatus.CONFIRMED, RedemptionStatus.CANCELLED, posted.entry_id
    )
    # The code stays with the redemption: handed out once, it is never handed out again.
    await return_unit(uow.connection, redemption.reward_id)


async def mark_code_used(command: MarkCodeUsed, uow: UnitOfWork) -> RedemptionResult:
    """Under the member's lock, so a cancellation sees the code used or refunds before it is."""
    async with uow:
        account, redemption = await _open(
            uow, command.program.id, command.redemption_id, SYSTEM_ACTOR
        )
        if redemption.status is not RedemptionStatus.CONFIRMED:
            raise _not_held(redemption, "Only a confirmed redemption's code can be used.")
        await (
            RewardCode.filter(redemption_id=redemption.id, used_at__isnull=True)
            .using_db(uow.connection)
            .update(used_at=account.now)
        )
    return RedemptionResult(redemption, account.balance)


async def release_expired_holds(command: ReleaseExpiredHolds, uow: UnitOfWork) -> int | None:
    """One member's expired holds, under its lock taken with SKIP LOCKED: a member whose lock
    another write holds is passed over (None) until the next run."""
    async with uow:
        account = await open_account(
            uow, command.program_id, member_id=command.member_id, actor=SYSTEM_ACTOR,
            skip_locked=True,
        )  # fmt: skip
        if account is None:
            return None
        await account.settle_due()
        rows = await uow.connection.execute_query_dict(_DUE, [account.member_id, account.now])
        for row in rows:
            redemption = await Redemption.get(id=row["id"], using_db=uow.connection)
            await _end_hold(account, redemption, RedemptionStatus.EXPIRED)
            uow.record(HoldExpired(**_facts(redemption)))
    return len(rows)


async def _end_hold(account: Account, redemption: Redemption, to: RedemptionStatus) -> None:
    uow = account.uow
    takes = [(int(lot), int(points)) for lot, points in redemption.held_takes or []]
    reason = "Reward hold expired" if to is RedemptionStatus.EXPIRED else "Reward hold cancelled"
    posted = await release(
        account, redemption.points, takes, reason=reason, source_ref=_ref(redemption)
    )
    await _move(uow, redemption, RedemptionStatus.HELD, to, posted.entry_id)
    await return_unit(uow.connection, redemption.reward_id)
    await unassign_code(uow.connection, redemption.id)


async def _move(
    uow: UnitOfWork,
    redemption: Redemption,
    was: RedemptionStatus,
    to: RedemptionStatus,
    return_entry_id: int,
) -> None:
    """The redemption ends, from the state read under the member's lock (which no one else can
    have changed since: every transition holds that lock), with the entry that gave back its
    points."""
    now = uow.now()
    if not await uow.connection.execute_query_dict(
        _MOVE, [redemption.id, was.value, to.value, now, return_entry_id]
    ):
        raise RuntimeError(f"redemption {redemption.id} left {was} under its member's lock")
    redemption.status, redemption.ended_at, redemption.return_entry_id = to, now, return_entry_id


async def _open(
    uow: UnitOfWork, program_id: int, redemption_id: int, actor: str
) -> tuple[Account, Redemption]:
    """The redemption's member's account, locked and settled, and the redemption read after."""
    found = await Redemption.get_or_none(
        id=redemption_id, program_id=program_id, using_db=uow.connection
    )
    if found is None:
        raise refuse(
            "redemptionId", "No such redemption in this program.", ErrorCode.REDEMPTION_NOT_FOUND
        )
    account = await open_account(uow, program_id, member_id=found.member_id, actor=actor)
    assert account is not None
    await account.settle_due()
    return account, await Redemption.get(id=redemption_id, using_db=uow.connection)


def _not_held(redemption: Redemption, message: str | None = None) -> Exception:
    if redemption.status is RedemptionStatus.EXPIRED:
        return refuse("redemptionId", "The hold expired.", ErrorCode.HOLD_EXPIRED)
    text = message or f"The redemption is {redemption.status.lower()}."
    return refuse("redemptionId", text, ErrorCode.INVALID_REDEMPTION_STATE)


def _ref(redemption: Redemption) -> str:
    return f"redemption:{redemption.id}"


def _facts(redemption: Redemption) -> dict[str, int]:
    return {
        "program_id": redemption.program_id,
        "member_id": redemption.member_id,
        "redemption_id": redemption.id,
        "reward_id": redemption.reward_id,
        "points": redemption.points,
    }
