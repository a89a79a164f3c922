"""Reads of the insights area: segments for admins, and a member's RFM scores and segments,
each behind the `profiling` consent checked (and logged) at read time."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

from consent.published import may_use_many, record_reads
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
_SOME = f"SELECT {_SEGMENT} FROM segment WHERE program_id = $1 AND id = ANY($2)"  # noqa: S608
_LIVE = f"""
SELECT {_SEGMENT} FROM segment WHERE program_id = $1 AND archived_at IS NULL
  AND ($2 OR member_visible) ORDER BY id LIMIT {MAX_SEGMENTS}
"""  # noqa: S608 - constant columns
_LIVE_COUNT = "SELECT count(*) AS n FROM segment WHERE program_id = $1 AND archived_at IS NULL"
_RFM = """
SELECT member_id, recency_days, frequency, monetary, recency_score, frequency_score,
  monetary_score, computed_at
FROM member_rfm WHERE member_id = ANY($1::bigint[]) AND program_id = $2
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


async def segments_by_id(program_id: int, segment_ids: Sequence[int]) -> dict[int, SegmentRow]:
    """Those of `segment_ids` that are the program's, archived or not, by id: one query."""
    rows = await _db().execute_query_dict(_SOME, [program_id, list(segment_ids)])
    return {row["id"]: _segment(row) for row in rows}


async def live_segments(connection: BaseDBAsyncClient, program_id: int) -> int:
    """How many live segments the program has (bounded by MAX_SEGMENTS at creation)."""
    [row] = await connection.execute_query_dict(_LIVE_COUNT, [program_id])
    return int(row["n"])


async def profiling_allowed(
    program_id: int, member_ids: Sequence[int], *, reason: str, at: datetime
) -> set[int]:
    """Of `member_ids`, those who consent to profiling now, the use logged (once a day) for
    them: the gate of every read of members' scores and segments, one check and one log for a
    page of members. The log's actor is this feature, never the reader's token subject (a
    member's is its externalId, which erasure forgets)."""
    allowed = await may_use_many(_db(), program_id, sorted(set(member_ids)), PROFILING)
    await record_reads(
        _db(),
        program_id=program_id,
        member_ids=sorted(allowed),
        purpose=PROFILING,
        categories=_USED,
        actor=SCORES_ACTOR,
        reason=reason,
        at=at,
        once_a_day=True,
    )
    return allowed


async def members_rfm(program_id: int, member_ids: Sequence[int]) -> dict[int, Rfm]:
    """The members' stored scores (the caller has checked consent: profiling_allowed)."""
    if not member_ids:
        return {}
    rows = await _db().execute_query_dict(_RFM, [list(member_ids), program_id])
    return {row.pop("member_id"): Rfm(**row) for row in rows}


async def member_segments(
    program_id: int,
    member_id: int,
    *,
    now: datetime,
    every: bool,
    connection: BaseDBAsyncClient | None = None,
) -> list[SegmentRow]:
    """The live segments the member is in now, in id order (see `members_segments`)."""
    found = await members_segments(
        program_id, [member_id], now=now, every=every, connection=connection
    )
    return found.get(member_id, [])


async def members_segments(
    program_id: int,
    member_ids: Sequence[int],
    *,
    now: datetime,
    every: bool,
    connection: BaseDBAsyncClient | None = None,
) -> dict[int, list[SegmentRow]]:
    """The live segments each member is in now, in id order: every one (`every`, for staff) or
    the member-visible ones. One statement for a page of members: per segment, its compiled
    rules over those members alone."""
    db = connection or _db()
    found = [_segment(row) for row in await db.execute_query_dict(_LIVE, [program_id, every])]
    if not found or not member_ids:
        return {}
    parts: list[str] = []
    params: list[Any] = [list(member_ids)]
    for index, candidate in enumerate(found):
        sql, more = compile_rules(
            candidate.rules, program_id=program_id, now=now, first_placeholder=len(params) + 1
        )
        params += more
        parts.append(
            f"SELECT {index} AS at, s.member_id FROM ({sql}) s"  # noqa: S608 - compiled
            " WHERE s.member_id = ANY($1::bigint[])"
        )
    rows = await db.execute_query_dict("\nUNION ALL\n".join(parts), params)
    held: dict[int, list[SegmentRow]] = {}
    for row in sorted(rows, key=lambda row: (row["member_id"], row["at"])):
        held.setdefault(row["member_id"], []).append(found[row["at"]])
    return held


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
