"""The unit of work and its events on real PostgreSQL: an event exists exactly when its write
committed, in that write's own transaction; in-transaction reactions share its fate."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from tortoise import connections

from api.composition import build_bus
from backbone.bus import MessageBus, Registry
from backbone.jobs import enqueue
from backbone.uow import HandlerLoop, UnitOfWork
from domain.clock import FixedClock
from domain.earning import Order
from domain.events import DomainEvent, PointsEarned, PointsRedeemed
from domain.points_config import PointsConfig
from domain.validation import ErrorCode, InvalidInput
from loyalty.commands import ConfigurePoints
from loyalty.points.commands import AwardManual, AwardOrder, RedeemPoints
from loyalty.programs import ProgramRef
from tests.conftest import START

pytestmark = pytest.mark.integration

STORE = "storefront:shop"


async def _events() -> list[dict[str, Any]]:
    rows = await connections.get("default").execute_query_dict(
        "SELECT id, type, member_id, payload, txid, occurred_at FROM event_outbox ORDER BY id"
    )
    return [{**row, "payload": json.loads(row["payload"])} for row in rows]


def _grant(program: ProgramRef, key: str, points: int = 100) -> AwardManual:
    return AwardManual(
        program=program,
        actor=STORE,
        idempotency_key=key,
        external_id="ann",
        points=points,
        reason="Welcome",
    )


def _redeem(program: ProgramRef, key: str, points: int) -> RedeemPoints:
    return RedeemPoints(
        program=program,
        actor=STORE,
        idempotency_key=key,
        external_id="ann",
        points=points,
        reason="Spent",
    )


async def test_an_award_records_its_event_in_its_own_transaction(
    acme: ProgramRef, bus: MessageBus, clock: FixedClock
) -> None:
    before = len(await _events())
    result = await bus.handle(_grant(acme, "k-1"))
    [event] = (await _events())[before:]
    entry = result.entries[0]
    assert (event["type"], event["member_id"], event["occurred_at"]) == (
        "points.earned",
        entry.member_id,
        clock.now(),
    )
    assert event["payload"] == {
        "entryId": entry.id,
        "points": 100,
        "reasonCode": "MANUAL",
        "sourceRef": None,
        "availableAfter": 100,
        "pending": False,
    }
    # The same transaction wrote the entry and its event (xmin is the 32-bit xid of the writer).
    [row] = await connections.get("default").execute_query_dict(
        "SELECT xmin::text::bigint AS xid FROM points_entry WHERE id = $1", [entry.id]
    )
    assert event["txid"] % 2**32 == row["xid"]


async def test_a_replayed_or_refused_write_records_nothing(
    acme: ProgramRef, bus: MessageBus
) -> None:
    await bus.handle(_grant(acme, "k-1"))
    before = await _events()
    replay = await bus.handle(_grant(acme, "k-1"))
    assert replay.replayed
    with pytest.raises(InvalidInput) as refused:
        await bus.handle(_redeem(acme, "k-2", 1000))
    assert refused.value.problems[0].code is ErrorCode.INSUFFICIENT_POINTS
    assert await _events() == before


async def test_a_settlement_inside_another_write_records_its_own_events(
    acme: ProgramRef, bus: MessageBus, clock: FixedClock
) -> None:
    await bus.handle(ConfigurePoints(program_id=acme.id, config=PointsConfig(pending_days=14)))
    order = Order("o-1", Decimal("50.00"), "EUR", ())
    await bus.handle(
        AwardOrder(program=acme, actor=STORE, idempotency_key="k-1", external_id="ann", order=order)
    )
    clock.advance(timedelta(days=15))
    before = len(await _events())
    await bus.handle(_redeem(acme, "k-2", 20))
    new = (await _events())[before:]
    assert [(e["type"], e["payload"]["points"]) for e in new] == [
        ("points.activated", 50),
        ("points.redeemed", -20),
    ]
    assert new[0]["payload"]["reasonCode"] == "ACTIVATION"
    assert len({e["txid"] for e in new}) == 1


def _reacting(kind: type[DomainEvent], reaction: Any) -> MessageBus:
    part = Registry()
    part.react(kind, reaction)
    return build_bus(FixedClock(START), extra=[part])


async def test_a_failing_reaction_rolls_the_whole_write_back(acme: ProgramRef) -> None:
    async def refuse(event: DomainEvent, uow: UnitOfWork) -> None:
        raise RuntimeError("budget exhausted")

    failing = _reacting(PointsEarned, refuse)
    before = await _events()
    with pytest.raises(RuntimeError, match="budget exhausted"):
        await failing.handle(_grant(acme, "k-1"))
    connection = connections.get("default")
    assert await _events() == before
    assert await connection.execute_query_dict("SELECT id FROM points_entry") == []
    assert await connection.execute_query_dict("SELECT id FROM idempotency_key") == []
    [balance] = await connection.execute_query_dict("SELECT available FROM points_balance")
    assert balance["available"] == 0


async def test_a_reaction_writes_and_records_in_the_same_transaction(acme: ProgramRef) -> None:
    """A reaction may write (here: spend what was just earned) and its events are logged too."""
    seen: list[int] = []

    async def spend_half(event: DomainEvent, uow: UnitOfWork) -> None:
        assert isinstance(event, PointsEarned)
        seen.append(event.entry_id)
        uow.record(
            PointsRedeemed(
                program_id=event.program_id,
                member_id=event.member_id,
                entry_id=0,
                points=-event.points // 2,
                reason_code="TEST",
                source_ref=None,
                available_after=0,
            )
        )

    bus = _reacting(PointsEarned, spend_half)
    before = len(await _events())
    result = await bus.handle(_grant(acme, "k-1"))
    assert seen == [result.entries[0].id]
    new = (await _events())[before:]
    assert [e["type"] for e in new] == ["points.earned", "points.redeemed"]


async def test_reactions_that_never_stop_recording_are_refused_and_roll_back(
    acme: ProgramRef,
) -> None:
    async def echo(event: DomainEvent, uow: UnitOfWork) -> None:
        uow.record(event)

    before = await _events()
    with pytest.raises(HandlerLoop):
        await _reacting(PointsEarned, echo).handle(_grant(acme, "k-1"))
    assert await _events() == before


async def test_a_job_queued_inside_a_write_exists_exactly_when_the_write_commits(
    acme: ProgramRef, bus: MessageBus
) -> None:
    async def queued() -> list[str]:
        rows = await connections.get("default").execute_query_dict(
            "SELECT entrypoint FROM pgqueuer WHERE status = 'queued' ORDER BY id"
        )
        return [row["entrypoint"] for row in rows]

    async def refused_write() -> None:
        async with bus.unit_of_work() as uow:
            await enqueue(uow, "test.rolled_back")
            raise RuntimeError("refused")

    with pytest.raises(RuntimeError, match="refused"):
        await refused_write()
    async with bus.unit_of_work() as uow:
        await enqueue(uow, "test.committed", b"42", after=timedelta(minutes=5), dedupe_key="once")
        await enqueue(uow, "test.committed", dedupe_key="once")  # waiting already: skipped
    assert await queued() == ["test.committed"]
