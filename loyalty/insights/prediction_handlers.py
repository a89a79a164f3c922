"""The predictions' part of the composition root: the recompute command and its daily job, the
withdrawal of `profiling` (the member's predictions, reorders and RFM scores go at once, in the
withdrawing transaction, not at the next run), erasure (the member's order lines go), and the member's
predictions, reorders and order lines in its data export."""

from __future__ import annotations

import json
from typing import Any

from backbone.bus import Registry
from backbone.jobs import Job
from backbone.uow import UnitOfWork
from domain.consent import PROFILING
from domain.events import ConsentWithdrawn, DomainEvent, MemberErased
from loyalty.export_parts import _rows
from loyalty.insights import predicting

# Everything derived from the member's behaviour: its RFM scores too, at once, not at the next
# run of their job (reads check consent anyway, but nothing profiled is kept after withdrawal).
_FORGET_PREDICTIONS = (
    "DELETE FROM member_prediction WHERE member_id = $1",
    "DELETE FROM member_reorder WHERE member_id = $1",
    "DELETE FROM member_rfm WHERE member_id = $1",
)
_FORGET_LINES = "DELETE FROM points_order_line WHERE member_id = $1"
_EXPORT_PREDICTION = """
SELECT churn_probability, expected_orders_90d, expected_next_order_at, why, model_version,
  computed_at
FROM member_prediction WHERE program_id = $1 AND member_id = $2
"""
_EXPORT_REORDERS = """
SELECT sku, last_ordered_at, cycle_days, due_at, orders, why, model_version, computed_at
FROM member_reorder WHERE program_id = $1 AND member_id = $2 ORDER BY sku
"""
_EXPORT_LINES = """
SELECT o.order_id, l.line_no, l.sku, l.category, l.quantity, l.unit_price, o.created_at
FROM points_order_line l JOIN points_order o ON o.id = l.order_id
WHERE l.program_id = $1 AND l.member_id = $2 ORDER BY l.order_id, l.line_no
"""


async def on_withdrawn(event: DomainEvent, uow: UnitOfWork) -> None:
    assert isinstance(event, ConsentWithdrawn)
    if event.purpose == PROFILING:
        for statement in _FORGET_PREDICTIONS:
            await uow.connection.execute_query(statement, [event.member_id])


async def on_erased(event: DomainEvent, uow: UnitOfWork) -> None:
    """What the member bought, line by line, goes; its orders stay for the ledger's totals."""
    assert isinstance(event, MemberErased)
    await uow.connection.execute_query(_FORGET_LINES, [event.member_id])
    for statement in _FORGET_PREDICTIONS:
        await uow.connection.execute_query(statement, [event.member_id])


async def export_part(connection: Any, program_id: int, member_id: int) -> dict[str, Any]:
    """The member's prediction (with its why), reorder cycles and the lines of its orders."""
    prediction = _decoded(await _rows(connection, _EXPORT_PREDICTION, program_id, member_id))
    return {
        "prediction": prediction[0] if prediction else None,
        "reorders": _decoded(await _rows(connection, _EXPORT_REORDERS, program_id, member_id)),
        "orderLines": await _rows(connection, _EXPORT_LINES, program_id, member_id),
    }


def _decoded(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`why` as JSON, not the text the driver reads jsonb as."""
    return [
        {**row, "why": json.loads(row["why"])} if isinstance(row["why"], str) else row
        for row in rows
    ]


def registry() -> Registry:
    part = Registry()
    part.command(predicting.RecomputePredictions, predicting.recompute)
    part.react(ConsentWithdrawn, on_withdrawn)
    part.react(MemberErased, on_erased)
    part.jobs.append(Job("insights.predictions", predicting.DAILY, predicting.recompute_all))
    part.exports.append(export_part)
    return part
