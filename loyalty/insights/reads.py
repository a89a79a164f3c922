"""Reads of the insights area: segments for admins, and a member's RFM scores and segments,
each behind the `profiling` consent checked (and logged) at read time."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

from consent.published import use_if_allowed
from domain.consent import PROFILING, DataCategory
from domain.segments import Rules, rules_from_json
from loyalty.insights.segment_sql import compile_rules

# The most live segments a program may have: a member's segments are one statement over all.
MAX_SEGMENTS = 200
_SEGMENT = (
    "id, name, description, rules, behavioural, member_visible, archived_at, created_at, updated_at"
)
_PAGE = f"""
SELECT {_SEGMENT} FROM segment
WHERE program_id = $1 AND archived_at IS NULL AND id > $2 ORDER BY id LIMIT $3
"""  # noqa: S608 - constant columns
_ONE = f"SELECT {_SEGMENT} FROM segment WHERE program_id = $1 AND id = $2"  # noqa: S608
_LIVE = f"""
SELECT {_SEGMENT} FROM segment WHERE program_id = $1 AND archived_at IS NULL
  AND ($2 OR member_visible) ORDER BY id LIMIT {MAX_SEGMENTS}
"""  # noqa: S608 - constant columns
_LIVE_COUNT = "SELECT count(*) AS n FROM segment WHERE program_id = $1 AND archived_at IS NULL"
_RFM = """
SELECT recency_days, frequency, monetary, recency_score, frequency_score, monetary_score,
  computed_at FROM member_rfm WHERE member_id = $1 AND program_id = $2
"""
_USED = (DataCategory.PURCHASE_HISTORY, DataCategory.LOYALTY_ACTIVITY)
SCORES_ACTOR = "system:insights.segments"


@dataclass(frozen=True, slots=True)
class SegmentRow:
    id: int
    name: str
    description: str | None
    rules: Rules
    behavioural: bool
    member_visible: bool
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Rfm:
    recency_days: int
    frequency: int
    monetary: Decimal
    recency_score: int
    frequency_score: int
    monetary_score: int
    computed_at: datetime


def _segment(row: dict[str, Any]) -> SegmentRow:
    stored = row["rules"]
    return SegmentRow(
        id=row["id"],
        name=row["name"],
        description=row["description"],
        rules=rules_from_json(json.loads(stored) if isinstance(stored, str) else stored),
        behavioural=row["behavioural"],
        member_visible=row["member_visible"],
        archived_at=row["archived_at"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _db() -> BaseDBAsyncClient:
    connection: BaseDBAsyncClient = connections.get("default")
    return connection


async def segments_page(program_id: int, *, after_id: int, limit: int) -> list[SegmentRow]:
    """The program's live segments in id order after `after_id`."""
    rows = await _db().execute_query_dict(_PAGE, [program_id, after_id, limit])
    return [_segment(row) for row in rows]


async def segment(program_id: int, segment_id: int) -> SegmentRow | None:
    """One segment of the program, archived or not."""
    rows = await _db().execute_query_dict(_ONE, [program_id, segment_id])
    return _segment(rows[0]) if rows else None


async def live_segments(connection: BaseDBAsyncClient, program_id: int) -> int:
    """How many live segments the program has (bounded by MAX_SEGMENTS at creation)."""
    [row] = await connection.execute_query_dict(_LIVE_COUNT, [program_id])
    return int(row["n"])


async def profiling_allowed(program_id: int, member_id: int, *, reason: str, at: datetime) -> bool:
    """Whether the member consents to profiling now, logging the use (once a day) when it does:
    the gate of every read of a member's scores and segments. The log's actor is this feature,
    never the reader's token subject (a member's is its externalId, which erasure forgets)."""
    return await use_if_allowed(
        _db(),
        program_id=program_id,
        member_id=member_id,
        purpose=PROFILING,
        categories=_USED,
        actor=SCORES_ACTOR,
        reason=reason,
        at=at,
    )


async def member_rfm(program_id: int, member_id: int) -> Rfm | None:
    """The member's stored scores (the caller has checked consent: profiling_allowed)."""
    rows = await _db().execute_query_dict(_RFM, [member_id, program_id])
    return Rfm(**rows[0]) if rows else None


async def member_segments(
    program_id: int,
    member_id: int,
    *,
    now: datetime,
    every: bool,
    connection: BaseDBAsyncClient | None = None,
) -> list[SegmentRow]:
    """The live segments the member is in now, in id order: every one (`every`, for staff) or
    the member-visible ones. One statement: an EXISTS per segment, each over the member alone."""
    db = connection or _db()
    found = [_segment(row) for row in await db.execute_query_dict(_LIVE, [program_id, every])]
    if not found:
        return []
    parts, params = [], [member_id]
    for index, candidate in enumerate(found):
        sql, more = compile_rules(
            candidate.rules, program_id=program_id, now=now, first_placeholder=len(params) + 1
        )
        params += more
        parts.append(
            f"SELECT {index} AS at WHERE EXISTS"  # noqa: S608 - compiled from the whitelist
            f" (SELECT 1 FROM ({sql}) s WHERE s.member_id = $1)"
        )
    rows = await db.execute_query_dict("\nUNION ALL\n".join(parts), params)
    return [found[row["at"]] for row in sorted(rows, key=lambda row: row["at"])]


async def segment_sizes(program_id: int, rules: list[Rules], *, now: datetime) -> list[int]:
    """How many members each of the rules holds now: one statement for a page of segments."""
    if not rules:
        return []
    parts: list[str] = []
    params: list[Any] = []
    for index, each in enumerate(rules):
        sql, more = compile_rules(
            each, program_id=program_id, now=now, first_placeholder=len(params) + 1
        )
        params += more
        parts.append(f"SELECT {index} AS at, count(*) AS n FROM ({sql}) s")  # noqa: S608
    rows = await _db().execute_query_dict("\nUNION ALL\n".join(parts), params)
    counts = {row["at"]: int(row["n"]) for row in rows}
    return [counts[index] for index in range(len(rules))]
