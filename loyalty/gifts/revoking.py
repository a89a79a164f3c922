"""Undoing the gifts whose trigger no longer stands (a full return of the order, a post removed
or rejected), inside one unit of work (domain/gift_undoing.py says which gifts and why).

Lock order (backbone/locks.py, as in giving.py): the members the gifts went to, ascending (each
account FOR NO KEY UPDATE), then each gift's row FOR UPDATE while it is still PENDING or GIVEN,
so an event delivered again, or by a second relay, or a gift job racing it, finds the gift
decided and does nothing; then the budget account, by one UPDATE. A pending gift is skipped with
the reason. A given one is revoked: its points taken back by one REVERSE entry through the
ledger's writer (takebacks.py: the program's clawback policy, DENY read as debt, since a return
or a moderator's decision is never refused for a gift's points), credited back to the budget
account that paid them (its CHECK keeps `remaining` within 0..total), the gift REVOKED with
when and why, and `gift.revoked` recorded.
"""

from __future__ import annotations

from typing import Any

from backbone.uow import UnitOfWork
from domain import gift_undoing as undo_rules
from domain import gifts as rules
from domain.events import GiftRevoked, GiftSkipped
from loyalty.gifts.giving import ACTOR, REASON_CODE
from loyalty.models import Program
from loyalty.points.account import open_account
from loyalty.points.takebacks import take_back
from loyalty.programs import ProgramRef, ref

# Served by the index on (program_id, trigger): most returns and removals undo no gift.
UNDONE_MEMBERS = """
SELECT DISTINCT member_id FROM gift
WHERE program_id = $1 AND trigger = $2 AND kind = $3 AND status IN ('PENDING', 'GIVEN')
ORDER BY member_id
"""
_LOCK_GIFTS = """
SELECT id, member_id, status, points, budget_id FROM gift
WHERE program_id = $1 AND trigger = $2 AND kind = $3 AND member_id = $4
  AND status IN ('PENDING', 'GIVEN')
ORDER BY id FOR UPDATE
"""
_SKIP = """
UPDATE gift SET status = 'SKIPPED', skip_reason = $2, decided_at = $3
WHERE id = $1 AND status = 'PENDING'
"""
_CREDIT = (
    "UPDATE gift_budget SET remaining = remaining + $2 WHERE id = $1 RETURNING total, remaining"
)
_REVOKE = """
UPDATE gift SET status = 'REVOKED', revoked_at = $2, revoke_reason = $3
WHERE id = $1 AND status = 'GIVEN'
"""


async def undo(uow: UnitOfWork, program_id: int, undoing: undo_rules.Undoing) -> int:
    """Skip or revoke every gift `undoing` names; how many were undone (0 when another run
    undid them first)."""
    key = [program_id, undoing.trigger, undoing.kind.value]
    members = [row["member_id"] for row in await uow.connection.execute_query_dict(
        UNDONE_MEMBERS, key
    )]  # fmt: skip
    for member_id in members:
        await open_account(uow, program_id, member_id=member_id, actor=ACTOR, all_lots=False)
    program: ProgramRef | None = None
    undone = 0
    for member_id in members:
        for gift in await uow.connection.execute_query_dict(_LOCK_GIFTS, [*key, member_id]):
            if gift["status"] == rules.Status.PENDING:
                await _skip(uow, program_id, gift, undoing)
            else:
                program = program or ref(await Program.get(id=program_id, using_db=uow.connection))
                await _revoke(uow, program, gift, undoing)
            undone += 1
    return undone


async def _skip(
    uow: UnitOfWork, program_id: int, gift: dict[str, Any], undoing: undo_rules.Undoing
) -> None:
    reason = undoing.skip_reason.value
    await uow.connection.execute_query_dict(_SKIP, [gift["id"], reason, uow.now()])
    uow.record(
        GiftSkipped(
            program_id=program_id,
            member_id=gift["member_id"],
            gift_id=gift["id"],
            kind=undoing.kind.value,
            reason=reason,
        )
    )


async def _revoke(
    uow: UnitOfWork, program: ProgramRef, gift: dict[str, Any], undoing: undo_rules.Undoing
) -> None:
    """The gift's transfer backwards: the member's points to the ledger, the budget's back."""
    points, reason = gift["points"], undoing.revoke_reason
    await take_back(
        uow,
        program,
        gift["member_id"],
        points,
        reason_code=REASON_CODE,
        label=undo_rules.taken_back(reason),
        source_ref=rules.source_ref(gift["id"]),
    )
    [budget] = await uow.connection.execute_query_dict(_CREDIT, [gift["budget_id"], points])
    # The account as it was, credited by the rules, is the account as written.
    before = rules.Budget(budget["total"], budget["remaining"] - points)
    assert undo_rules.credit(before, points) == rules.Budget(budget["total"], budget["remaining"])
    await uow.connection.execute_query_dict(_REVOKE, [gift["id"], uow.now(), reason.value])
    uow.record(
        GiftRevoked(
            program_id=program.id,
            member_id=gift["member_id"],
            gift_id=gift["id"],
            kind=undoing.kind.value,
            points=points,
            reason=reason.value,
        )
    )
