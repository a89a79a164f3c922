"""The member a consent write concerns, locked first (backbone/locks.py rule 1), in SQL: consent
reads nothing of loyalty's models."""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient

from consent.commands import MemberRef
from domain.validation import ErrorCode, InvalidInput, Problem

_BY_ID = """SELECT id FROM member WHERE program_id = $1 AND id = $2 AND status <> 'ERASED'
FOR NO KEY UPDATE"""
_BY_EXTERNAL_ID = """SELECT id FROM member
WHERE program_id = $1 AND external_id = $2 AND status <> 'ERASED' FOR NO KEY UPDATE"""


async def lock_member(connection: BaseDBAsyncClient, member: MemberRef) -> int:
    """The member's key, its row locked FOR NO KEY UPDATE; MEMBER_NOT_FOUND if it has none in
    the program (or was erased)."""
    if member.member_id is not None:
        rows = await connection.execute_query_dict(_BY_ID, [member.program_id, member.member_id])
    else:
        rows = await connection.execute_query_dict(
            _BY_EXTERNAL_ID, [member.program_id, member.external_id]
        )
    if not rows:
        field = ("memberId",) if member.member_id is not None else ("externalId",)
        raise InvalidInput(
            Problem(field, "No such member in this program.", ErrorCode.MEMBER_NOT_FOUND)
        )
    key: int = rows[0]["id"]
    return key
