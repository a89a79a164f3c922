"""reverseTransfer: an admin takes a transfer's points back from the recipient and gives them
back to the sender, once, in one unit of work.

The recipient's side is a clawback, as a return's: the transfer's own lot first, then its other
spendable points; what it already spent follows the program's clawback policy (debt, a negative
balance, or refusal with CLAWBACK_DENIED). The sender gets the points back as a new lot that
expires by the program's policy. Both members are locked by ascending id after the key, as a
transfer locks them (loyalty/points/transfers.py); the transfer row is read again under those
locks, which every change of it is made under, so two reversals cannot both pass.
"""

from __future__ import annotations

from backbone import idempotency
from backbone.uow import UnitOfWork
from domain import transfers as rules
from domain.clawback import clawback
from domain.events import PointsTransferReversed
from domain.validation import ErrorCode, InvalidInput, Problem
from loyalty.points.transfer_commands import ReverseTransfer, TransferDone
from loyalty.points.transfers import Side, open_pair, source_ref
from loyalty.programs import in_force

_TRANSFER = """
SELECT sender_id, recipient_id, points, received_lot_id, reversed_at
FROM points_transfer WHERE program_id = $1 AND id = $2
"""
_REVERSED = """
UPDATE points_transfer SET reversed_at = $2, reverse_reason = $3, reversed_by = $4,
  reverse_taken_entry_id = $5, reverse_given_entry_id = $6
WHERE id = $1 AND reversed_at IS NULL RETURNING id
"""


async def reverse_transfer(command: ReverseTransfer, uow: UnitOfWork) -> TransferDone:
    reason = rules.check_reason(command.reason)
    claim = idempotency.claim_for(
        command,
        program_id=command.program.id,
        client=command.actor,
        key=command.idempotency_key,
        leave_out=("program", "actor"),
    )
    async with uow:
        replay = await uow.claim(claim)
        if replay is not None:
            return TransferDone(transfer_id=replay["transfer"], replayed=True)
        connection, program_id = uow.connection, command.program.id
        # Unlocked: the members' locks come first; the row is read again under them.
        rows = await connection.execute_query_dict(_TRANSFER, [program_id, command.transfer_id])
        if not rows:
            raise _not_found()
        found = rows[0]
        # The sender only earns its points back; the recipient may spend any of its lots.
        accounts = await open_pair(
            uow,
            program_id,
            {
                found["sender_id"]: Side(command.actor, command.idempotency_key, spends=False),
                found["recipient_id"]: Side(command.actor, command.idempotency_key, spends=True),
            },
        )
        [found] = await connection.execute_query_dict(_TRANSFER, [program_id, command.transfer_id])
        if found["reversed_at"] is not None:
            raise InvalidInput(
                Problem(
                    ("transferId",),
                    "This transfer was reversed already.",
                    ErrorCode.TRANSFER_ALREADY_REVERSED,
                )
            )
        giver, taker = accounts[found["sender_id"]], accounts[found["recipient_id"]]
        program = await in_force(connection, command.program, version=giver.program_version)
        await giver.settle_due()
        await taker.settle_due()
        points, lot_id, now = found["points"], found["received_lot_id"], giver.now
        await taker.load_lot(lot_id)
        label = rules.reversal_reason(reason)
        try:
            back = clawback(
                taker.balance, taker.lots, points, order_lot=lot_id,
                policy=program.points.clawback, now=now, label=label,
            )  # fmt: skip
        except InvalidInput as refused:  # CLAWBACK_DENIED: about the transfer, not an amount
            raise InvalidInput(
                *(Problem((), p.message, p.code) for p in refused.problems)
            ) from None
        source = source_ref(command.transfer_id)
        taken = await taker.post(
            rules.taken_back(back), reason_code="TRANSFER_REVERSAL", reason=label, source_ref=source
        )
        expires_at = program.points.expiry.expires_at(now, program.timezone)
        given = await giver.post(
            rules.given_back(giver.balance, points, reason, expires_at),
            reason_code="TRANSFER_REVERSAL",
            reason=label,
            source_ref=source,
        )
        await connection.execute_query_dict(
            _REVERSED,
            [command.transfer_id, now, reason, command.actor, taken.entry_id, given.entry_id],
        )
        uow.record(
            PointsTransferReversed(
                program_id=program.id,
                member_id=giver.member_id,
                transfer_id=command.transfer_id,
                recipient_id=taker.member_id,
                points=points,
                debt_recorded=back.debt,
            )
        )
        await uow.remember({"transfer": command.transfer_id})
    return TransferDone(transfer_id=command.transfer_id, replayed=False)


def _not_found() -> InvalidInput:
    return InvalidInput(
        Problem(("transferId",), "No such transfer in this program.", ErrorCode.TRANSFER_NOT_FOUND)
    )
