"""Background work on pgqueuer: durable jobs in PostgreSQL, claimed with SKIP LOCKED.

Each recurring job has a cron schedule. pgqueuer's scheduler lets exactly one worker take each
tick (its schedules table is claimed under a lock), and the tick only enqueues the job under a
dedupe key, so a job is never queued twice while one is waiting or running; the queue hands it
to one worker, and a failure is retried with a growing delay. Any number of processes may run a
worker (`loyalty worker`, or inside `loyalty serve`): they share the work, never repeat it.

A worker also runs the event relay (backbone/relay.py), which delivers the event log to its
consumers after commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from pgqueuer import PgQueuer
from pgqueuer.adapters.drivers.asyncpg import AsyncpgDriver
from pgqueuer.adapters.persistence.qb import QueryQueueBuilder
from pgqueuer.core.executors import DatabaseRetryEntrypointExecutor, EntrypointExecutorParameters
from pgqueuer.models import Job as QueuedJob
from pgqueuer.models import Schedule

from backbone import relay

if TYPE_CHECKING:
    from backbone.bus import MessageBus
    from backbone.uow import UnitOfWork

log = logging.getLogger(__name__)

RETRIES = 5  # then the job waits for its next tick
DEQUEUE_TIMEOUT = timedelta(seconds=5)
SHUTDOWN_SECONDS = 10  # for running jobs to finish once asked to stop
MAX_PAUSE_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class Job:
    """Recurring background work: `cron` (UTC) says when, `run` does it with the bus."""

    name: str
    cron: str
    run: Callable[[MessageBus], Awaitable[object]]


Connect = Callable[[], Awaitable[Any]]  # opens an asyncpg connection of the worker's own


async def run_worker(bus: MessageBus, connect: Connect, stop: asyncio.Event) -> None:
    """Run the bus's jobs, its event relay and its areas' loops until `stop` is set. Each part is restarted, with
    a growing pause, when it fails (a database restart drops the queue's connection): a worker
    outlives an outage instead of going quietly idle."""
    await asyncio.gather(
        supervised("jobs", lambda: _run_queue(bus, connect, stop), stop),
        supervised("relay", lambda: relay.run(bus.consumers, stop), stop),
        *(supervised(name, partial(loop, bus, stop), stop) for name, loop in bus.registry.loops),
    )


async def supervised(name: str, part: Callable[[], Awaitable[None]], stop: asyncio.Event) -> None:
    """Run `part` until `stop`; after a failure, again after 1 s, 2 s, ... at most a minute."""
    pause = 1.0
    while not stop.is_set():
        try:
            await part()
        except Exception:
            log.exception("worker part %s failed; restarting in %.0f s", name, pause)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), pause)
        pause = min(2 * pause, MAX_PAUSE_SECONDS)


async def _run_queue(bus: MessageBus, connect: Connect, stop: asyncio.Event) -> None:
    connection = await connect()
    try:
        queue = PgQueuer(AsyncpgDriver(connection))
        for job in bus.registry.jobs:
            _register(queue, job, bus)
        running = asyncio.create_task(queue.run(dequeue_timeout=DEQUEUE_TIMEOUT))
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if stopping.done():
            queue.shutdown.set()
            await asyncio.wait_for(running, SHUTDOWN_SECONDS)
        else:
            stopping.cancel()
            running.result()  # the queue stopped by itself: raise what stopped it
            raise RuntimeError("the job queue stopped")
    finally:
        with contextlib.suppress(Exception):
            await connection.close()


def _register(queue: PgQueuer, job: Job, bus: MessageBus) -> None:
    @queue.entrypoint(job.name, executor_factory=_with_retries)
    async def perform(queued: QueuedJob) -> None:
        report = await job.run(bus)
        log.info("job %s: %s", job.name, report)

    @queue.schedule(job.name, job.cron)
    async def tick(schedule: Schedule) -> None:
        # On a tick only enqueue: the queue's dedupe key keeps one job waiting or running.
        await queue.qm.queries.enqueue(job.name, None, dedupe_key=job.name, on_conflict="skip")


def _with_retries(parameters: EntrypointExecutorParameters) -> DatabaseRetryEntrypointExecutor:
    return DatabaseRetryEntrypointExecutor(parameters=parameters, max_attempts=RETRIES)


# pgqueuer's own enqueue statement, run on the write's connection instead of the worker's.
_ENQUEUE = QueryQueueBuilder().build_enqueue_query("skip")


async def enqueue(
    uow: UnitOfWork,
    name: str,
    payload: bytes | None = None,
    *,
    after: timedelta = timedelta(0),
    dedupe_key: str | None = None,
) -> None:
    """Queue a job inside a write's transaction: it exists, and a worker picks it up (after
    `after`), exactly when the write commits. With a `dedupe_key`, not while another job with
    that key is waiting or running."""
    await uow.connection.execute_query_dict(
        _ENQUEUE, [[0], [name], [payload], [after], [dedupe_key], [None]]
    )


async def run_now(bus: MessageBus, names: set[str] | None = None) -> dict[str, object]:
    """Every job (or those named) once, here and now: `loyalty jobs run`."""
    return {
        job.name: await job.run(bus)
        for job in bus.registry.jobs
        if names is None or job.name in names
    }
