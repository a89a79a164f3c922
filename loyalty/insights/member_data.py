"""What the insights area holds of one member, for the privacy parts: erasure forgets it, the
data export includes it.

Erasure, a reaction to `member.erased` in the erasing transaction, deletes the member's scores,
predictions and reorder dates (derived from its behaviour: nothing of it is kept); it is in no
segment afterwards, as segments hold ACTIVE members only. The export gives its RFM scores and
the segments it is in, judged at the database's transaction time (an export part is given a
connection, not the clock: the export is one picture as of its own transaction).
"""

from __future__ import annotations

from typing import Any

from backbone.uow import UnitOfWork
from domain.events import DomainEvent, MemberErased
from loyalty.export_parts import _rows
from loyalty.insights.reads import member_segments

_FORGET = """
WITH rfm AS (DELETE FROM member_rfm WHERE member_id = $1 AND program_id = $2),
prediction AS (DELETE FROM member_prediction WHERE member_id = $1 AND program_id = $2)
DELETE FROM member_reorder WHERE member_id = $1 AND program_id = $2
"""
_RFM = """
SELECT recency_days, frequency, monetary, recency_score, frequency_score, monetary_score,
  computed_at FROM member_rfm WHERE program_id = $1 AND member_id = $2
"""


async def forget_scores(event: DomainEvent, uow: UnitOfWork) -> None:
    assert isinstance(event, MemberErased)
    await uow.connection.execute_query(_FORGET, [event.member_id, event.program_id])


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
