"""Taking back points another area gave (a referral's reward, a removed post's contribution
points): one REVERSE entry through the ledger's single writer, under the program's clawback
policy with DENY read as debt, since what triggers it (a return, a moderator's removal) is
never refused for the points."""

from __future__ import annotations

from backbone.uow import UnitOfWork
from domain.clawback import clawback
from domain.points_config import ClawbackPolicy
from loyalty.points.account import open_account
from loyalty.programs import ProgramRef

SYSTEM_ACTOR = "system"


async def take_back(
    uow: UnitOfWork,
    program: ProgramRef,
    member_id: int,
    points: int,
    *,
    reason_code: str,
    label: str,
    source_ref: str,
    lot_id: int | None = None,
) -> None:
    """Reverse `points` of the member (locked here if it is not yet); nothing for none. With
    `lot_id`, the lot those points were given in goes first (its pending points before any)."""
    if points <= 0:
        return
    account = await open_account(uow, program.id, member_id=member_id, actor=SYSTEM_ACTOR)
    assert account is not None
    await account.settle_due()
    if lot_id is not None:
        await account.load_lot(lot_id)
    policy = program.points.clawback
    if policy is ClawbackPolicy.DENY:
        policy = ClawbackPolicy.CLAMP_AND_RECORD_DEBT
    posting = clawback(
        account.balance,
        account.lots,
        points,
        order_lot=lot_id,
        policy=policy,
        now=account.now,
        label=label,
    )
    await account.post(posting, reason_code=reason_code, reason=label, source_ref=source_ref)
