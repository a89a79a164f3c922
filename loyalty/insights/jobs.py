"""The RFM job: daily, every program in its own unit of work (a set-based statement each)."""

from __future__ import annotations

from tortoise import connections

from backbone.bus import MessageBus
from backbone.uow import UnitOfWork
from loyalty.insights import rfm
from loyalty.insights.commands import RecomputeRfm

DAILY = "41 2 * * *"
_PROGRAMS = "SELECT id FROM program ORDER BY id"


async def recompute_rfm(command: RecomputeRfm, uow: UnitOfWork) -> rfm.RfmReport:
    async with uow:
        return await rfm.recompute(uow.connection, command.program_id, uow.now())


async def rfm_for_all_programs(bus: MessageBus) -> rfm.RfmReport:
    scored = removed = 0
    for row in await connections.get("default").execute_query_dict(_PROGRAMS):
        report = await bus.handle(RecomputeRfm(program_id=row["id"]))
        scored += report.scored
        removed += report.removed
    return rfm.RfmReport(scored, removed)
