"""Delivering the event log after commit to its consumers, each exactly once per event.

Every consumer has a cursor row (`event_consumer`): the (transaction id, event id) of the last
event it was given. A delivery locks that row FOR UPDATE SKIP LOCKED, so of two workers only one
serves a consumer at a time and the other passes on; it reads the next events in the order
(txid, id), only of transactions older than every one still running (`pg_snapshot_xmin`), so an
event whose write commits late can never fall behind the cursor. The consumer's handler runs in
the delivery's transaction and the cursor moves in the same commit: what the handler writes to
the database happens exactly once; what it sends elsewhere (a webhook) is at least once, under
the idempotency key `event:<id>` its receiver can deduplicate on.

A handler that fails rolls the batch back; the consumer is tried again after a pause, growing
to a minute, while the other consumers go on. The horizon is the whole server's: a transaction
left open anywhere on it (a long report in another database) delays delivery, never loses it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from backbone.metrics import LedgerCount
from backbone.outbox import LoggedEvent, logged

log = logging.getLogger(__name__)

BATCH = 100
IDLE_SECONDS = 0.5
MAX_PAUSE_SECONDS = 60.0

ConsumerHandler = Callable[[LoggedEvent, BaseDBAsyncClient], Awaitable[None]]

# A new consumer starts at the end of the log: it is given what is written after it was
# registered. Ids are handed out before commit, so every later event has a larger id than the
# largest one now (start_id); its transaction is no older than the horizon now (last_txid).
_REGISTER = """
INSERT INTO event_consumer (name, last_txid, last_id, start_id)
SELECT $1, pg_snapshot_xmin(pg_current_snapshot())::text::bigint, 0, COALESCE(MAX(id), 0)
FROM event_outbox
ON CONFLICT (name) DO NOTHING
"""
_CURSOR = """
SELECT last_txid, last_id, start_id FROM event_consumer WHERE name = $1 FOR UPDATE SKIP LOCKED
"""
_NEXT = """
SELECT id, txid, program_id, member_id, type, payload, occurred_at FROM event_outbox
WHERE (txid, id) > ($1, $2) AND txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
ORDER BY txid, id LIMIT $3
"""
_ADVANCE = "UPDATE event_consumer SET last_txid = $2, last_id = $3 WHERE name = $1"


@dataclass(frozen=True, slots=True)
class Consumer:
    """A reader of the event log after commit: `name` keeps its place (never rename one that
    ran), `types` the event types it wants (None: all)."""

    name: str
    handle: ConsumerHandler
    types: frozenset[str] | None = None


async def register(consumers: Sequence[Consumer], connection: BaseDBAsyncClient) -> None:
    for consumer in consumers:
        await connection.execute_query_dict(_REGISTER, [consumer.name])


async def deliver(consumer: Consumer, *, batch: int = BATCH) -> int:
    """Give the consumer its next events, if no other worker is doing so; how many were read."""
    # The ledger entries its handlers write count once the batch commits, not per savepoint.
    ledger_count = LedgerCount(nested=False)
    try:
        rows = await _deliver(consumer, batch)
    except BaseException:
        ledger_count.done((), committed=False)
        raise
    ledger_count.done((), committed=True)
    return len(rows)


async def _deliver(consumer: Consumer, batch: int) -> list[dict[str, Any]]:
    async with in_transaction() as connection:
        cursor = await connection.execute_query_dict(_CURSOR, [consumer.name])
        if not cursor:
            return []
        last_txid, last_id, start_id = cursor[0].values()
        rows = await connection.execute_query_dict(_NEXT, [last_txid, last_id, batch])
        for row in rows:
            wanted = consumer.types is None or row["type"] in consumer.types
            if wanted and row["id"] > start_id:
                await consumer.handle(logged(row), connection)
        if rows:
            await connection.execute_query_dict(
                _ADVANCE, [consumer.name, rows[-1]["txid"], rows[-1]["id"]]
            )
    return rows


async def run(consumers: Sequence[Consumer], stop: asyncio.Event) -> None:
    """Deliver to every consumer until `stop` is set; idle briefly when all are caught up."""
    async with in_transaction() as connection:
        await register(consumers, connection)
    pauses = {consumer.name: 0.0 for consumer in consumers}
    resume_at = {consumer.name: 0.0 for consumer in consumers}
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        busy = False
        for consumer in consumers:
            if loop.time() < resume_at[consumer.name]:
                continue
            try:
                busy = await deliver(consumer) > 0 or busy
            except Exception:
                pause = min(max(2 * pauses[consumer.name], 1.0), MAX_PAUSE_SECONDS)
                pauses[consumer.name], resume_at[consumer.name] = pause, loop.time() + pause
                log.exception("consumer %s failed; trying again in %.0f s", consumer.name, pause)
            else:
                pauses[consumer.name] = 0.0
        if not busy:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), IDLE_SECONDS)
