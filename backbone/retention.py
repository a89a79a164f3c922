"""Retention: the event log and idempotency keys are kept for a configurable time, then pruned.

Events are kept so that a partner whose endpoint was down can catch up (default 30 days);
idempotency keys as long as clients may retry a write (default 30 days: far beyond any client's
retry window, and a key found after that is a new request). Pruning deletes in small batches,
each its own short statement, so it never holds many rows locked or bloats one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from tortoise import connections

from backbone.bus import MessageBus, Registry
from backbone.jobs import Job

BATCH = 5_000
HOURLY = "17 * * * *"

_PRUNE_EVENTS = """
DELETE FROM event_outbox WHERE id IN (
  SELECT id FROM event_outbox WHERE occurred_at < $1 ORDER BY occurred_at LIMIT $2
)
"""
_PRUNE_KEYS = """
DELETE FROM idempotency_key WHERE id IN (
  SELECT id FROM idempotency_key WHERE created_at < $1 ORDER BY created_at LIMIT $2
)
"""


@dataclass(frozen=True, slots=True)
class Retention:
    events: timedelta = timedelta(days=30)
    idempotency_keys: timedelta = timedelta(days=30)


async def _prune(statement: str, older_than: timedelta, bus: MessageBus) -> int:
    cutoff = bus.clock.now() - older_than
    pruned = 0
    while True:
        deleted, _ = await connections.get("default").execute_query(statement, [cutoff, BATCH])
        pruned += int(deleted)
        if deleted < BATCH:
            return pruned


def registry(retention: Retention) -> Registry:
    """The backbone's own jobs."""

    async def prune_events(bus: MessageBus) -> int:
        return await _prune(_PRUNE_EVENTS, retention.events, bus)

    async def prune_keys(bus: MessageBus) -> int:
        return await _prune(_PRUNE_KEYS, retention.idempotency_keys, bus)

    part = Registry()
    part.jobs.append(Job("events.prune", HOURLY, prune_events))
    part.jobs.append(Job("idempotency.prune", HOURLY, prune_keys))
    return part
