"""Erasure on request: the member's personal data goes, its anonymous records stay.

The consent area owns the request: under the member's lock (backbone/locks.py) it buries the
member's email and externalId as tombstones (backbone/tombstones.py), records that the member was
erased (when, at which role's request; nothing of the data) and drops its exports, then records
`member.erased`. Every area forgets the member in its own reaction to that event, in the same
transaction (the loyalty area's profile, in loyalty/erasure.py); partners hear it from the event
log. A second request answers the first erasure again and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from backbone import tombstones
from backbone.bus import Command
from backbone.uow import UnitOfWork
from domain.events import MemberErased
from domain.privacy import TombstoneKind
from domain.validation import ErrorCode, InvalidInput, Problem


@dataclass(frozen=True, slots=True)
class Erasure:
    member_id: int
    erased_at: datetime
    # True when the member had been erased already: nothing changed this time.
    already_erased: bool


@dataclass(frozen=True, slots=True)
class EraseMember(Command[Erasure]):
    program_id: int
    member_id: int
    requested_by: str  # the requesting role: member or admin


# The member's row lock, first of all (backbone/locks.py rule 1).
_LOCK_MEMBER = """
SELECT external_id, email FROM member WHERE id = $1 AND program_id = $2 FOR NO KEY UPDATE
"""


async def erase_member(command: EraseMember, uow: UnitOfWork) -> Erasure:
    async with uow:
        connection = uow.connection
        rows = await connection.execute_query_dict(
            _LOCK_MEMBER, [command.member_id, command.program_id]
        )
        if not rows:
            raise InvalidInput(
                Problem((), "No such member in this program.", ErrorCode.MEMBER_NOT_FOUND)
            )
        done = await connection.execute_query_dict(
            "SELECT created_at FROM erasure_request WHERE member_id = $1", [command.member_id]
        )
        if done:
            return Erasure(command.member_id, done[0]["created_at"], already_erased=True)
        now = uow.now()
        await tombstones.bury(
            connection,
            command.program_id,
            {
                TombstoneKind.EMAIL: rows[0]["email"],
                TombstoneKind.EXTERNAL_ID: rows[0]["external_id"],
            },
            at=now,
        )
        await connection.execute_query(
            "INSERT INTO erasure_request (program_id, member_id, requested_by, created_at)"
            " VALUES ($1, $2, $3, $4)",
            [command.program_id, command.member_id, command.requested_by, now],
        )
        await connection.execute_query(
            "DELETE FROM data_export WHERE member_id = $1", [command.member_id]
        )
        uow.record(
            MemberErased(
                program_id=command.program_id,
                member_id=command.member_id,
                requested_by=command.requested_by,
            )
        )
        return Erasure(command.member_id, now, already_erased=False)
