"""The insights part of a member's data export: its RFM scores and the segments it is in.

The export is one picture as of its own transaction, so segments are judged at the database's
transaction time (the part is given a connection, not the clock)."""

from __future__ import annotations

from typing import Any

from loyalty.export_parts import _rows
from loyalty.insights.reads import member_segments

_RFM = """
SELECT recency_days, frequency, monetary, recency_score, frequency_score, monetary_score,
  computed_at FROM member_rfm WHERE program_id = $1 AND member_id = $2
"""


async def export_part(connection: Any, program_id: int, member_id: int) -> dict[str, Any]:
    scores = await _rows(connection, _RFM, program_id, member_id)
    [at] = await connection.execute_query_dict("SELECT now() AS at")
    found = await member_segments(
        program_id, member_id, now=at["at"], every=True, connection=connection
    )
    return {
        "rfm": scores[0] if scores else None,
        "segments": [{"id": segment.id, "name": segment.name} for segment in found],
    }
