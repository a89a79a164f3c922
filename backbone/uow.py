"""The unit of work: one transaction per write, whatever the area.

It owns the transaction, the write's single reading of the clock, its idempotency claim and
result, and the domain events the write records. On the way out, before the commit, it runs the
in-transaction handlers of those events (they may record more, to a bounded depth), then appends
every event to the outbox in one statement. A refusal, a failing handler or a failed append rolls
the whole write back, its events with it: an event exists exactly when its write committed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from tortoise.backends.base.client import BaseDBAsyncClient, NestedTransactionContext
from tortoise.transactions import in_transaction

from backbone import idempotency, outbox
from backbone.metrics import LedgerCount
from domain.clock import Clock
from domain.events import DomainEvent

# An in-transaction handler: reacts to one event inside the write that recorded it.
EventHandler = Callable[[DomainEvent, "UnitOfWork"], Awaitable[None]]
Handlers = Mapping[type[DomainEvent], Sequence[EventHandler]]

# A write's result and its events in one round trip (idempotency's update as $6-$9 beside the
# outbox's append as $1-$5): every retried write both remembers and records.
_REMEMBER_AND_APPEND = """
WITH remembered AS (
  UPDATE idempotency_key SET result = $9 WHERE program_id = $6 AND client = $7 AND key = $8
)
INSERT INTO event_outbox (program_id, member_id, type, payload, occurred_at)
SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]::jsonb[], $5::timestamptz[])
"""

# Handlers reacting to events their own reactions recorded: a tier upgrade's event may grant a
# reward, whose event may complete a challenge... but never without end.
MAX_DEPTH = 5


class HandlerLoop(RuntimeError):
    """In-transaction handlers kept recording events beyond MAX_DEPTH rounds: a cycle."""


class UnitOfWork:
    """`async with uow:` opens the transaction; leaving the block without an error commits."""

    def __init__(self, clock: Clock, handlers: Handlers) -> None:
        self._clock = clock
        self._handlers = handlers
        self._now: datetime | None = None
        self._claim: idempotency.Claim | None = None
        self._result: dict[str, Any] | None = None
        self._transaction: Any = None
        self.events: list[DomainEvent] = []
        self.committed = False

    async def __aenter__(self) -> Self:
        if self._transaction is not None:
            raise RuntimeError("a unit of work runs once; the bus makes a new one per attempt")
        self._transaction = in_transaction()
        self._connection: BaseDBAsyncClient = await self._transaction.__aenter__()
        self._ledger_count = LedgerCount(
            nested=isinstance(self._transaction, NestedTransactionContext)
        )
        return self

    async def __aexit__(
        self,
        error_type: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if error is None:
                try:
                    await self._flush()
                except BaseException as failed:
                    await self._transaction.__aexit__(type(failed), failed, failed.__traceback__)
                    raise
            await self._transaction.__aexit__(error_type, error, traceback)
            self.committed = error is None
        finally:
            self._ledger_count.done(self.events, committed=self.committed)

    @property
    def connection(self) -> BaseDBAsyncClient:
        """The transaction's connection: every statement of the write goes through it."""
        return self._connection

    def now(self) -> datetime:
        """The write's time, read once: handlers first call it after their first lock (the
        member's), so a write that waited for a lock is not stamped before one that held it."""
        if self._now is None:
            self._now = self._clock.now()
        return self._now

    def record(self, event: DomainEvent) -> None:
        self.events.append(event)

    async def claim(self, claim: idempotency.Claim) -> dict[str, Any] | None:
        """Claim the write's idempotency key, first of all its locks (backbone/locks.py): None if
        this write owns the key and must do the work, else the result to replay."""
        self._claim = claim
        return await idempotency.claim(self._connection, claim, at=self._clock.now())

    async def remember(self, result: dict[str, Any]) -> None:
        """What a retry under the claimed key replays, stored in the same transaction (at its
        end, with the events: a concurrent retry waits on the claimed key's row until the
        commit, and then reads it)."""
        if self._claim is None:
            raise RuntimeError("remember() needs a claim() first")
        self._result = result

    async def _flush(self) -> None:
        dispatched = 0
        for _ in range(MAX_DEPTH):
            if dispatched == len(self.events):
                break
            batch, dispatched = self.events[dispatched:], len(self.events)
            for event in batch:
                for handler in self._handlers.get(type(event), ()):
                    await handler(event, self)
        else:
            if dispatched != len(self.events):
                raise HandlerLoop(f"events still recorded after {MAX_DEPTH} rounds of handlers")
        if self._result is not None and self._claim is not None and self.events:
            remembered = idempotency.remember_parameters(self._claim, self._result)
            events = outbox.append_parameters(self.events, at=self.now())
            await self._connection.execute_query_dict(_REMEMBER_AND_APPEND, events + remembered)
        elif self._result is not None and self._claim is not None:
            await idempotency.remember(self._connection, self._claim, self._result)
        elif self.events:
            await outbox.append(self._connection, self.events, at=self.now())
