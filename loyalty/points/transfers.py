"""transferPoints: a member sends spendable points to another member of its program, in one
unit of work.

Lock order (backbone/locks.py): the idempotency key first, then both members by ascending id
(`open_pair`), whichever of them sends: A->B and B->A at once wait for each other's lock on the
same first member and never in a circle. Who the members are is found before, unlocked (the
sender by its token's externalId, the recipient by its current referral code); everything that
can change (status, balances, lots, today's transfers) is read once both locks are held. Daily
caps are summed under those locks: every transfer of a member holds that member's lock, so two
concurrent transfers cannot both fit under a cap only one fits under.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from backbone import idempotency
from backbone.uow import UnitOfWork
from domain import transfers as rules
from domain.events import PointsTransferred
from domain.members import MemberStatus, require_external_id
from domain.validation import ErrorCode, InvalidInput, Problem
from loyalty.points.account import Account, open_account
from loyalty.points.transfer_commands import TransferDone, TransferPoints
from loyalty.points.transfer_settings import settings_of
from loyalty.programs import ProgramRef, in_force

# The recipient's entries are written for the sender's request, but name no sender: the
# recipient never learns the sender's externalId, and the sender's erasure leaves nothing behind.
RECIPIENT_SIDE_ACTOR = "member"

_SENDER = "SELECT id, created_at FROM member WHERE program_id = $1 AND external_id = $2"
_RECIPIENT = """
SELECT member_id FROM referral_code WHERE program_id = $1 AND code = $2 AND retired_at IS NULL
"""
# With the new transfer's id, drawn first: its entries name it as their source.
_TODAY = """
SELECT nextval(pg_get_serial_sequence('points_transfer', 'id')) AS id,
  (SELECT COALESCE(SUM(points), 0) FROM points_transfer WHERE sender_id = $1 AND local_day = $3)
    AS sent,
  (SELECT COALESCE(SUM(points), 0) FROM points_transfer WHERE recipient_id = $2 AND local_day = $3)
    AS received
"""
_INSERT = """
INSERT INTO points_transfer (id, program_id, sender_id, recipient_id, points, message,
  sent_entry_id, received_entry_id, received_lot_id, local_day, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
"""


@dataclass(frozen=True, slots=True)
class Side:
    """One member of a two-member write: who its entries name as writer, under which key, and
    whether its write spends (every lot loaded) or only earns (only what falls due)."""

    actor: str
    idempotency_key: str | None
    spends: bool


async def transfer_points(command: TransferPoints, uow: UnitOfWork) -> TransferDone:
    """Move `points` from the sender's spendable lots to a new lot of the recipient, or refuse
    with a typed code and write nothing. The same key and input answer the same transfer."""
    require_external_id(command.sender_external_id)
    code = rules.recipient_code(command.recipient_code)
    if code is None:
        # Nobody can hold a code that is no code at all: refused before any read, with the
        # one answer an unknown code gets, so the refusal tells a sender nothing more.
        raise _unavailable()
    message = rules.check_message(command.message)
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
        settings = await settings_of(connection, program_id)
        rules.check_request(command.points, message, settings)
        senders = await connection.execute_query_dict(
            _SENDER, [program_id, command.sender_external_id]
        )
        if not senders:
            raise InvalidInput(
                Problem((), "No such member in this program.", ErrorCode.MEMBER_NOT_FOUND)
            )
        found = await connection.execute_query_dict(_RECIPIENT, [program_id, code])
        if not found:
            raise _unavailable()
        sender, recipient_id = senders[0], found[0]["member_id"]
        rules.check_not_self(sender["id"], recipient_id)
        accounts = await open_pair(
            uow,
            program_id,
            {
                sender["id"]: Side(command.actor, command.idempotency_key, spends=True),
                recipient_id: Side(RECIPIENT_SIDE_ACTOR, None, spends=False),
            },
        )
        giver, taker = accounts[sender["id"]], accounts[recipient_id]
        giver.require_active()
        if taker.status is not MemberStatus.ACTIVE:
            raise _unavailable()
        program = await in_force(connection, command.program, version=giver.program_version)
        transfer_id = await _move(
            uow, program, giver, taker, command, message, settings, sender["created_at"]
        )
        await uow.remember({"transfer": transfer_id})
    return TransferDone(transfer_id=transfer_id, replayed=False)


async def _move(
    uow: UnitOfWork,
    program: ProgramRef,
    giver: Account,
    taker: Account,
    command: TransferPoints,
    message: str | None,
    settings: rules.TransferSettings,
    enrolled_at: datetime,
) -> int:
    connection, now, points = uow.connection, giver.now, command.points
    await giver.settle_due()
    await taker.settle_due()
    day = rules.day_of(now, program.timezone)
    [today] = await connection.execute_query_dict(_TODAY, [giver.member_id, taker.member_id, day])
    parties = rules.Parties(
        sender_enrolled_at=enrolled_at, sent_today=today["sent"], received_today=today["received"]
    )
    rules.check_parties(points, parties, settings, now)
    transfer_id: int = today["id"]
    source = source_ref(transfer_id)
    out = rules.sent(giver.balance, list(giver.lots.values()), points, now)
    sent = await giver.post(
        out, reason_code="TRANSFER", reason=rules.SENT_REASON, source_ref=source
    )
    expires_at = program.points.expiry.expires_at(now, program.timezone)
    arriving = rules.received(taker.balance, points, expires_at)
    got = await taker.post(
        arriving, reason_code="TRANSFER", reason=rules.RECEIVED_REASON, source_ref=source
    )
    assert got.lot_id is not None  # a positive earning always writes its lot
    await connection.execute_query_dict(
        _INSERT,
        [
            transfer_id, program.id, giver.member_id, taker.member_id, points, message,
            sent.entry_id, got.entry_id, got.lot_id, day, now,
        ],
    )  # fmt: skip
    uow.record(
        PointsTransferred(
            program_id=program.id,
            member_id=giver.member_id,
            transfer_id=transfer_id,
            recipient_id=taker.member_id,
            points=points,
            sent_entry_id=sent.entry_id,
            received_entry_id=got.entry_id,
        )
    )
    return transfer_id


async def open_pair(uow: UnitOfWork, program_id: int, sides: dict[int, Side]) -> dict[int, Account]:
    """Lock and load both members' accounts by ascending member id (the lock order)."""
    accounts: dict[int, Account] = {}
    for member_id in sorted(sides):
        side = sides[member_id]
        account = await open_account(
            uow, program_id, member_id=member_id, actor=side.actor,
            idempotency_key=side.idempotency_key, all_lots=side.spends,
        )  # fmt: skip
        assert account is not None  # only a skip_locked open finds no account
        accounts[member_id] = account
    return accounts


def source_ref(transfer_id: int) -> str:
    return f"transfer:{transfer_id}"


def _unavailable() -> InvalidInput:
    """One answer for an unknown, retired, suspended or erased recipient: a sender learns
    nothing about a code's owner beyond what the owner chose to share."""
    return InvalidInput(
        Problem(
            ("recipient",),
            "No active member of this program has this referral code.",
            ErrorCode.RECIPIENT_UNAVAILABLE,
        )
    )
