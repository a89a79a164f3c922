"""The transactional outbox: every domain event of a committed write, in the event log.

A write's events are appended in its own transaction by one statement, so none is lost and none
exists for a rolled-back write. Each row carries the id of the transaction that wrote it: a
reader after commit (backbone/relay.py) takes only rows of transactions older than every one
still running, so a row with a smaller id that commits later is never skipped. The log is what
admins (and later partners) read with `events(...)`, newest first, and is pruned after the
retention period (backbone/retention.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

from domain.events import DomainEvent

_APPEND = """
INSERT INTO event_outbox (program_id, member_id, type, payload, occurred_at)
SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]::jsonb[], $5::timestamptz[])
"""
_COLUMNS = "id, program_id, member_id, type, payload, occurred_at"
_PAGE = f"""
SELECT {_COLUMNS} FROM event_outbox
WHERE program_id = $1 AND id < $2 AND ($3::text[] IS NULL OR type = ANY($3))
  AND ($4::timestamptz IS NULL OR occurred_at >= $4)
ORDER BY id DESC LIMIT $5
"""  # noqa: S608 - a constant column list
_ONE = f"SELECT {_COLUMNS} FROM event_outbox WHERE program_id = $1 AND id = $2"  # noqa: S608

NEWEST = 2**63 - 1  # an id above every event's: where a newest-first page starts


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """An event as the log keeps it: its id gives its place, `type` its meaning."""

    id: int
    program_id: int
    member_id: int | None
    type: str
    payload: dict[str, Any]
    occurred_at: datetime


async def append(
    connection: BaseDBAsyncClient, events: Sequence[DomainEvent], *, at: datetime
) -> None:
    """All of a write's events in one statement: one round trip whatever their number."""
    await connection.execute_query_dict(_APPEND, append_parameters(events, at=at))


def append_parameters(events: Sequence[DomainEvent], *, at: datetime) -> list[list[Any]]:
    """$1-$5 of the append: one array per column."""
    return [
        [event.program_id for event in events],
        [event.member_id for event in events],
        [event.type for event in events],
        [json.dumps(event.payload(), separators=(",", ":")) for event in events],
        [at] * len(events),
    ]


async def page(
    program_id: int,
    *,
    before_id: int,
    types: Sequence[str] | None,
    since: datetime | None,
    limit: int,
) -> list[LoggedEvent]:
    """A program's events newest first, below `before_id`, optionally of some types only and
    not older than `since`."""
    rows = await connections.get("default").execute_query_dict(
        _PAGE, [program_id, before_id, list(types) if types is not None else None, since, limit]
    )
    return [logged(row) for row in rows]


async def find(program_id: int, event_id: int) -> LoggedEvent | None:
    rows = await connections.get("default").execute_query_dict(_ONE, [program_id, event_id])
    return logged(rows[0]) if rows else None


def logged(row: dict[str, Any]) -> LoggedEvent:
    """A row of event_outbox as an event of the log."""
    payload = row["payload"]
    return LoggedEvent(
        row["id"],
        row["program_id"],
        row["member_id"],
        row["type"],
        json.loads(payload) if isinstance(payload, str) else payload,
        row["occurred_at"],
    )
