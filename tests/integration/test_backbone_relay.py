"""The event relay on real PostgreSQL: each published event reaches each consumer exactly once,
in commit-safe order, whichever of several workers delivers it."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from tortoise import connections

from api.database import connection_params
from backbone import relay
from backbone.bus import MessageBus
from backbone.outbox import LoggedEvent
from loyalty.points.commands import AwardManual
from loyalty.programs import ProgramRef

pytestmark = pytest.mark.integration


class Recorder:
    """A test consumer: remembers every event it is given, and can be made to fail."""

    def __init__(self, name: str = "test-recorder", types: frozenset[str] | None = None) -> None:
        self.seen: list[int] = []
        self.fail = False
        self.consumer = relay.Consumer(name, self.handle, types)

    async def handle(self, event: LoggedEvent, connection: object) -> None:
        await asyncio.sleep(0)  # let another worker's delivery interleave
        if self.fail:
            raise RuntimeError("endpoint down")
        self.seen.append(event.id)


async def _register(*recorders: Recorder) -> None:
    await relay.register([r.consumer for r in recorders], connections.get("default"))


async def _grants(bus: MessageBus, program: ProgramRef, count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        await bus.handle(
            AwardManual(
                program=program,
                actor="storefront:shop",
                idempotency_key=f"k-{n}",
                external_id="ann",
                points=10,
                reason="Thanks",
            )
        )


async def _drain(recorder: Recorder, expected: int) -> None:
    """Deliver until the recorder has seen `expected` events. Transactions of other databases on
    the same server (a parallel test run) may hold the horizon back for a moment: wait for it."""
    for _ in range(200):
        await relay.deliver(recorder.consumer, batch=7)
        if len(recorder.seen) >= expected:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{recorder.consumer.name} saw {len(recorder.seen)} of {expected}")


async def _grant_event_ids() -> list[int]:
    rows = await connections.get("default").execute_query_dict(
        "SELECT id FROM event_outbox WHERE type = 'points.earned' ORDER BY id"
    )
    return [row["id"] for row in rows]


async def test_a_new_consumer_starts_at_the_end_of_the_log(
    acme: ProgramRef, bus: MessageBus
) -> None:
    await _grants(bus, acme, 2)
    await asyncio.sleep(0.2)  # past the horizon of any transaction running meanwhile
    recorder = Recorder()
    await _register(recorder)
    await _grants(bus, acme, 3, start=2)
    await _drain(recorder, 3)
    await asyncio.sleep(0.1)
    await relay.deliver(recorder.consumer)
    assert recorder.seen == (await _grant_event_ids())[2:]


async def test_two_workers_deliver_every_event_exactly_once(
    acme: ProgramRef, bus: MessageBus
) -> None:
    recorder = Recorder()
    await _register(recorder)
    await asyncio.gather(
        _grants(bus, acme, 40),
        *(_drain_while_writing(recorder.consumer) for _ in range(2)),
    )
    await asyncio.gather(*(_drain(recorder, 40) for _ in range(2)))
    grants = set(await _grant_event_ids())
    assert len(grants) == 40
    delivered = [event for event in recorder.seen if event in grants]
    assert sorted(delivered) == sorted(grants)
    assert len(recorder.seen) == len(set(recorder.seen))


async def _drain_while_writing(consumer: relay.Consumer) -> None:
    for _ in range(20):
        await relay.deliver(consumer, batch=3)
        await asyncio.sleep(0.005)


async def test_an_event_committed_late_is_not_skipped(
    acme: ProgramRef, bus: MessageBus, database_url: str
) -> None:
    """A transaction that began first but commits last: its event has the smaller txid and is
    delivered once it commits, before the cursor passes it, never lost."""
    recorder = Recorder()
    await _register(recorder)
    late = await asyncpg.connect(**connection_params(database_url))
    try:
        transaction = late.transaction()
        await transaction.start()
        await late.execute(
            "INSERT INTO event_outbox (program_id, member_id, type, payload, occurred_at)"
            " VALUES ($1, NULL, 'program.updated', '{\"changed\": []}', now())",
            acme.id,
        )
        await _grants(bus, acme, 2)
        await asyncio.sleep(0.3)
        await relay.deliver(recorder.consumer)
        assert recorder.seen == []  # the open transaction holds the horizon back
        await transaction.commit()
    finally:
        await late.close()
    await _drain(recorder, 3)
    rows = await connections.get("default").execute_query_dict(
        "SELECT id, type FROM event_outbox ORDER BY txid, id"
    )
    mine = [row["id"] for row in rows if row["id"] in set(recorder.seen)]
    assert recorder.seen == mine
    assert len(mine) == 3
    assert [row["type"] for row in rows if row["id"] == recorder.seen[0]] == ["program.updated"]


async def test_a_failing_consumer_gets_the_same_events_again_and_others_go_on(
    acme: ProgramRef, bus: MessageBus
) -> None:
    failing, other = Recorder("failing"), Recorder("other", frozenset({"points.earned"}))
    await _register(failing, other)
    await _grants(bus, acme, 2)
    await _drain(other, 2)
    failing.fail = True
    with pytest.raises(RuntimeError):
        await relay.deliver(failing.consumer)
    assert failing.seen == []
    failing.fail = False
    await _drain(failing, 2)
    assert failing.seen == other.seen


async def test_run_delivers_until_stopped(acme: ProgramRef, bus: MessageBus) -> None:
    recorder = Recorder()
    stop = asyncio.Event()
    running = asyncio.create_task(relay.run([recorder.consumer], stop))
    await asyncio.sleep(0.2)  # registered at the end of the log
    await _grants(bus, acme, 2)
    grants = await _grant_event_ids()
    for _ in range(100):
        if set(grants) <= set(recorder.seen):
            break
        await asyncio.sleep(0.1)
    stop.set()
    await asyncio.wait_for(running, 5)
    assert [event for event in recorder.seen if event in grants] == grants
