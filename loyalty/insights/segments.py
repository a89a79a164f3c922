"""What other areas (campaigns, feedback results, experiments) may ask of segments: a narrow,
stable set of functions over SQL on the caller's connection.

A segment's members are computed when asked, never stored: the program's ACTIVE members (so
never an erased one) for whom the segment's rules hold now; a behavioural segment (a rule reads
activity, RFM scores or predictions) keeps only members who consent to `profiling`, judged by
the same statement, so a withdrawal committed before it takes the member out at once.

`now` is the caller's clock reading (uow.now(), bus.clock.now()): rules such as "days since last
order" and "points expiring within N days" are judged at that moment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from domain.segments import rules_from_json
from loyalty.insights.segment_sql import compile_rules

PAGE_MAX = 1000
_LIVE_SEGMENT = """
SELECT rules, behavioural FROM segment
WHERE id = $1 AND program_id = $2 AND archived_at IS NULL
"""


@dataclass(frozen=True, slots=True)
class SegmentQuery:
    """A segment's members now, as SQL to embed in the caller's own statement.

    `sql` is a SELECT whose rows have one column, member_id: the segment's members now (ACTIVE,
    not erased; for a behavioural segment only members who consent to `profiling`, judged at
    query time). Its placeholders are numbered from the `first_placeholder` asked for, and
    `params` are their values in order. `behavioural` is the segment's derived flag."""

    sql: str
    params: list[Any]
    behavioural: bool


async def segment_query(
    connection: BaseDBAsyncClient,
    program_id: int,
    segment_id: int,
    *,
    now: datetime,
    first_placeholder: int = 1,
) -> SegmentQuery | None:
    """The segment's members as SQL (see SegmentQuery); None when the segment is not the
    program's or is archived. One indexed read of the segment row."""
    rows = await connection.execute_query_dict(_LIVE_SEGMENT, [segment_id, program_id])
    if not rows:
        return None
    stored = rows[0]["rules"]
    rules = rules_from_json(json.loads(stored) if isinstance(stored, str) else stored)
    sql, params = compile_rules(
        rules, program_id=program_id, now=now, first_placeholder=first_placeholder
    )
    return SegmentQuery(sql, params, rules.behavioural)


async def segment_member_page(
    connection: BaseDBAsyncClient,
    program_id: int,
    segment_id: int,
    *,
    now: datetime,
    after_member_id: int,
    limit: int,
) -> list[int]:
    """Up to `limit` (at most PAGE_MAX) member ids of the segment greater than
    `after_member_id`, ascending: keyset pages for batch jobs. Empty for a segment that is not
    the program's or is archived."""
    query = await segment_query(connection, program_id, segment_id, now=now, first_placeholder=3)
    if query is None:
        return []
    rows = await connection.execute_query_dict(
        f"SELECT s.member_id FROM ({query.sql}) s WHERE s.member_id > $1"  # noqa: S608 - compiled
        " ORDER BY s.member_id LIMIT $2",
        [after_member_id, min(max(limit, 0), PAGE_MAX), *query.params],
    )
    return [row["member_id"] for row in rows]


async def in_segment(
    connection: BaseDBAsyncClient,
    program_id: int,
    segment_id: int,
    member_id: int,
    *,
    now: datetime,
) -> bool:
    """Whether the member is in the segment now (False for an archived or unknown segment)."""
    query = await segment_query(connection, program_id, segment_id, now=now, first_placeholder=2)
    if query is None:
        return False
    rows = await connection.execute_query_dict(
        f"SELECT EXISTS (SELECT 1 FROM ({query.sql}) s WHERE s.member_id = $1) AS hit",  # noqa: S608
        [member_id, *query.params],
    )
    return bool(rows[0]["hit"])
