"""DataLoaders of the points area: one query per kind of data per request tick, whatever the
number of members on the page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from strawberry.dataloader import DataLoader

from api.context import Context
from loyalty.points import reads
from loyalty.points.models import PointsEntry


def expiring_loader(context: Context, days: int) -> DataLoader[int, list[reads.Expiring]]:
    async def load(member_ids: list[int]) -> list[Any]:
        now = context.clock.now()
        found = await reads.expiring(member_ids, now=now, until=now + timedelta(days=days))
        return [found.get(member_id, []) for member_id in member_ids]

    return context.loader(("points.expiring", days), load)


def entry_loader(context: Context) -> DataLoader[int, PointsEntry | None]:
    """Ledger entries by id inside the caller's program (node lookups, however many aliases)."""

    async def load(entry_ids: list[int]) -> list[PointsEntry | None]:
        program = await context.program()
        found = await reads.entries(program.id, entry_ids) if program is not None else {}
        return [found.get(entry_id) for entry_id in entry_ids]

    loader: DataLoader[int, PointsEntry | None] = context.loader("points.entry", load)
    return loader


def return_id_loader(context: Context) -> DataLoader[int, str | None]:
    """The returnId each REVERSE entry records, by entry id: one query for a whole page."""

    async def load(entry_ids: list[int]) -> list[str | None]:
        found = await reads.return_ids(entry_ids)
        return [found.get(entry_id) for entry_id in entry_ids]

    loader: DataLoader[int, str | None] = context.loader("points.return_id", load)
    return loader
