"""Reading transfers: a member's (sent and received, newest first), one by id, a program's for
its admins; the member's part of its data export; and what erasure forgets of them.

A transfer's only personal data is its message (written by the sender, read by the recipient):
it is in both members' exports, and erasing either member clears it. Counterparts are shown by
the display name the program shows others anyway, which erasure already replaces.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tortoise import connections

from backbone.uow import UnitOfWork
from domain.events import DomainEvent, MemberErased
from loyalty.export_parts import _rows

_COLUMNS = """t.id, t.sender_id, t.recipient_id, t.points, t.message, t.created_at, t.reversed_at,
  t.reverse_reason, t.sent_entry_id, t.received_entry_id, t.reverse_taken_entry_id,
  t.reverse_given_entry_id, s.display_name AS sender_name, r.display_name AS recipient_name"""
_FROM = """FROM points_transfer t JOIN member s ON s.id = t.sender_id
  JOIN member r ON r.id = t.recipient_id"""
# One page per asked member, in one statement: a page of members lists their transfers at once.
_MEMBER_PAGES = f"""
SELECT asked.member_id AS page_of, page.* FROM unnest($2::bigint[]) AS asked(member_id)
CROSS JOIN LATERAL (
  SELECT {_COLUMNS} {_FROM}
  WHERE t.program_id = $1 AND (t.sender_id = asked.member_id OR t.recipient_id = asked.member_id)
    AND t.id < $3
  ORDER BY t.id DESC LIMIT $4
) page
"""  # noqa: S608 - constant SQL
_PROGRAM_PAGE = f"""
SELECT {_COLUMNS} {_FROM} WHERE t.program_id = $1 AND t.id < $2 ORDER BY t.id DESC LIMIT $3
"""
_ONE = f"SELECT {_COLUMNS} {_FROM} WHERE t.program_id = $1 AND t.id = $2"
_EXPORT = """
SELECT id, CASE WHEN sender_id = $2 THEN 'SENT' ELSE 'RECEIVED' END AS direction, points,
  message, created_at, reversed_at
FROM points_transfer WHERE program_id = $1 AND (sender_id = $2 OR recipient_id = $2) ORDER BY id
"""
_FORGET = """
UPDATE points_transfer SET message = NULL
WHERE (sender_id = $1 OR recipient_id = $1) AND message IS NOT NULL
"""
NEWEST = 2**63 - 1  # a key beyond every transfer's: the first page starts below it


async def member_pages(
    program_id: int, member_ids: Sequence[int], *, before_id: int | None, limit: int
) -> dict[int, list[dict[str, Any]]]:
    """Each member's transfers (sent and received) below `before_id`, newest first, `limit` each."""
    rows = await connections.get("default").execute_query_dict(
        _MEMBER_PAGES, [program_id, list(member_ids), before_id or NEWEST, limit]
    )
    pages: dict[int, list[dict[str, Any]]] = {member_id: [] for member_id in member_ids}
    for row in rows:
        pages[row.pop("page_of")].append(row)
    return pages


async def program_page(
    program_id: int, *, before_id: int | None, limit: int
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await connections.get("default").execute_query_dict(
        _PROGRAM_PAGE, [program_id, before_id or NEWEST, limit]
    )
    return rows


async def transfer(program_id: int, transfer_id: int) -> dict[str, Any] | None:
    rows = await connections.get("default").execute_query_dict(_ONE, [program_id, transfer_id])
    return rows[0] if rows else None


async def export_part(connection: Any, program_id: int, member_id: int) -> dict[str, Any]:
    return {"pointsTransfers": await _rows(connection, _EXPORT, program_id, member_id)}


async def forget_messages(event: DomainEvent, uow: UnitOfWork) -> None:
    """Erasure: the member's transfers keep their points and entries, lose their messages."""
    assert isinstance(event, MemberErased)
    await uow.connection.execute_query(_FORGET, [event.member_id])
