"""The predictions job: per program, fit BG/NBD on the members who consent to profiling and write
their predictions, recompute their reorder cycles and the program's co-purchase rules.

The histories are read first, the model is fitted and applied off the event loop
(asyncio.to_thread: seconds of CPU for a large program), then one unit of work writes it all and
deletes what it did not write again: the rows of members who withdrew `profiling` (the writes
themselves re-check consent, so a withdrawal during the fit is honoured), of orders since
returned, and every prediction of a program with too little data (said in its prediction_fit).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime

from tortoise import connections

from backbone.bus import Command, MessageBus
from backbone.uow import UnitOfWork
from consent.published import default_basis
from domain import bgnbd
from domain.consent import ANALYTICS, PROFILING
from domain.predictions import History, Prediction, predict
from loyalty.insights import purchase_sql as sql

DAILY = "41 3 * * *"
REORDER_VERSION = "cycle-median-1"
FITTED = "FITTED"
INSUFFICIENT_DATA = "INSUFFICIENT_DATA"


@dataclass(frozen=True, slots=True)
class RecomputePredictions(Command["Outcome"]):
    """Recompute one program's predictions, reorders and co-purchase rules now."""

    program_id: int


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str
    model_version: str | None
    predictions: int
    reorders: int
    associations: int


@dataclass(frozen=True, slots=True)
class Modelled:
    fit: bgnbd.Fit | None
    predictions: list[Prediction]
    repeat_members: int


def _model(histories: list[History], now: datetime) -> Modelled:
    """CPU work, run in a thread: the fit and every member's prediction."""
    repeat = sum(1 for h in histories if h.orders > 1)
    try:
        fit = bgnbd.fit(
            [h.repeat for h in histories],
            [h.t_x for h in histories],
            [h.days_since_first for h in histories],
        )
    except bgnbd.TooLittleData:
        return Modelled(None, [], repeat)
    return Modelled(fit, predict(fit.parameters, histories, now), repeat)


async def recompute(command: RecomputePredictions, uow: UnitOfWork) -> Outcome:
    program_id, now = command.program_id, uow.now()
    profiling = [program_id, PROFILING, default_basis(PROFILING), now]
    rows = await connections.get("default").execute_query_dict(sql.HISTORIES, profiling)
    histories = [
        History(r["member_id"], r["orders"], r["days_since_first"], r["days_since_last"])
        for r in rows
    ]
    modelled = await asyncio.to_thread(_model, histories, now)
    fit = modelled.fit
    version = bgnbd.model_version(now.date().isoformat(), fit.parameters) if fit else None
    async with uow:
        connection = uow.connection
        await connection.execute_query(sql.LOCK, [program_id])
        parameters = fit.parameters if fit else None
        await connection.execute_query(
            sql.WRITE_FIT,
            [
                program_id,
                FITTED if fit else INSUFFICIENT_DATA,
                version,
                parameters.r if parameters else None,
                parameters.alpha if parameters else None,
                parameters.a if parameters else None,
                parameters.b if parameters else None,
                len(histories),
                modelled.repeat_members,
                fit.log_likelihood if fit else None,
                now,
            ],
        )
        predicted = 0
        if fit is not None:
            found = modelled.predictions
            written = await connection.execute_query_dict(
                sql.WRITE_PREDICTIONS,
                [
                    *profiling,
                    version,
                    [p.member_id for p in found],
                    [p.churn_probability for p in found],
                    [p.expected_orders_90d for p in found],
                    [p.expected_next_order_at for p in found],
                    [json.dumps([factor.as_json() for factor in p.why]) for p in found],
                ],
            )
            predicted = len(written)
        await connection.execute_query(sql.STALE_PREDICTIONS, [program_id, now])
        reorder_version = f"{REORDER_VERSION}/{now.date().isoformat()}"
        reorders = await connection.execute_query_dict(
            sql.WRITE_REORDERS, [*profiling, reorder_version]
        )
        await connection.execute_query(sql.STALE_REORDERS, [program_id, now])
        associations = await connection.execute_query_dict(
            sql.WRITE_ASSOCIATIONS, [program_id, ANALYTICS, default_basis(ANALYTICS), now]
        )
        await connection.execute_query(sql.STALE_ASSOCIATIONS, [program_id, now])
    status = FITTED if fit else INSUFFICIENT_DATA
    return Outcome(status, version, predicted, len(reorders), len(associations))


async def recompute_all(bus: MessageBus) -> dict[int, Outcome]:
    """The daily job: every program, each in its own unit of work."""
    programs = await connections.get("default").execute_query_dict(
        "SELECT id FROM program ORDER BY id"
    )
    return {row["id"]: await bus.handle(RecomputePredictions(row["id"])) for row in programs}
