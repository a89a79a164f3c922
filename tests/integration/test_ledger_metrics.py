"""loyalty_ledger_entries_total counts entries that were committed: a write refused or rolled
back counts nothing, and one made by a consumer of the event log (a savepoint inside the relay's
transaction) counts when the relay's batch commits, not before."""

from __future__ import annotations

import asyncio

import pytest
from prometheus_client import REGISTRY
from tortoise import connections

from backbone import relay
from backbone.bus import MessageBus
from backbone.outbox import LoggedEvent
from domain.validation import InvalidInput
from loyalty.commands import EnrollMember
from loyalty.points.commands import AwardManual, RedeemPoints
from loyalty.programs import ProgramRef

pytestmark = pytest.mark.integration


def earned() -> float:
    return REGISTRY.get_sample_value("loyalty_ledger_entries_total", {"kind": "EARN"}) or 0.0


def _award(program: ProgramRef, key: str) -> AwardManual:
    return AwardManual(
        program=program,
        actor="storefront:shop",
        idempotency_key=key,
        external_id="ann",
        points=10,
        reason="Thanks",
    )


async def _entries() -> int:
    rows = await connections.get("default").execute_query_dict(
        "SELECT count(*) AS n FROM points_entry WHERE kind = 'EARN'"
    )
    return int(rows[0]["n"])


async def test_only_committed_entries_count(acme: ProgramRef, bus: MessageBus) -> None:
    start = earned()
    await bus.handle(_award(acme, "first"))
    assert earned() == start + 1
    await bus.handle(_award(acme, "first"))  # replayed: nothing written
    with pytest.raises(InvalidInput):
        await bus.handle(
            RedeemPoints(
                program=acme,
                actor="storefront:shop",
                idempotency_key="too-much",
                external_id="ann",
                points=1000,
                reason="Too much",
            )
        )
    assert earned() == start + 1


async def test_a_consumers_entries_count_when_the_relays_batch_commits(
    acme: ProgramRef, bus: MessageBus
) -> None:
    fail = True

    async def award_back(event: LoggedEvent, connection: object) -> None:
        # As writing consumers do: a unit of work nested in the relay's transaction.
        await bus.handle(_award(acme, f"relay-{event.id}"))
        if fail:
            raise RuntimeError("a later step of the batch failed")

    consumer = relay.Consumer("test-award-back", award_back, frozenset({"member.enrolled"}))
    await relay.register([consumer], connections.get("default"))
    await bus.handle(
        EnrollMember(program=acme, external_id="bob", email="b@example.com", display_name="B")
    )
    start, written = earned(), await _entries()
    # Until the enrolment is past the horizon of every transaction running meanwhile.
    for _ in range(200):
        try:
            await relay.deliver(consumer)
        except RuntimeError:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the consumer was never given the event")
    assert (earned(), await _entries()) == (start, written)  # rolled back: not counted
    fail = False
    for _ in range(100):
        if await relay.deliver(consumer):
            break
        await asyncio.sleep(0.05)
    assert (earned(), await _entries()) == (start + 1, written + 1)
