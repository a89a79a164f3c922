"""Webhook delivery end to end: real PostgreSQL, a real HTTP receiver on loopback, the relay's
fan-out and the sender driven in-process with the session clock moved for the backoff."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
import standardwebhooks
from tortoise import connections

from backbone import relay
from backbone.bus import MessageBus
from domain.clock import FixedClock
from domain.validation import InvalidInput
from loyalty.points.commands import AwardManual, RedeemPoints
from loyalty.programs import ProgramRef, find_program, ref
from loyalty.webhooks import sender
from loyalty.webhooks.commands import CreateSubscription, Redeliver, RotateSecret
from loyalty.webhooks.deliveries import consumer as fan_out_consumer
from tests.e2e.conftest import GraphQLClient, enroll, provision
from tests.e2e.webhook_receiver import Received, Receiver

TYPES = ("points.earned", "points.redeemed", "member.erased")


@pytest.fixture
async def acme(gql: GraphQLClient) -> ProgramRef:
    await provision(gql)
    await enroll(gql, "ann")
    program = await find_program("acme")
    assert program is not None
    return ref(program)


@pytest.fixture
async def fanout() -> relay.Consumer:
    consumer = fan_out_consumer()
    await relay.register([consumer], connections.get("default"))
    return consumer


async def _subscribe(bus: MessageBus, program: ProgramRef, url: str) -> tuple[int, str]:
    subscription, secret = await bus.handle(
        CreateSubscription(
            program_id=program.id,
            owner="partner:crm",
            url=url,
            event_types=TYPES,
            description="CRM sync",
        )
    )
    return subscription.id, secret


async def _award(bus: MessageBus, program: ProgramRef, n: int) -> None:
    await bus.handle(
        AwardManual(
            program=program,
            actor="storefront:shop",
            idempotency_key=f"grant-{n}",
            external_id="ann",
            points=10,
            reason="Thanks",
        )
    )


async def _deliveries(status: str | None = None) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await connections.get("default").execute_query_dict(
        "SELECT * FROM webhook_delivery WHERE ($1::text IS NULL OR status = $1) ORDER BY id",
        [status],
    )
    return rows


async def _fan_out(consumer: relay.Consumer, expected: int) -> None:
    """Relay until `expected` deliveries exist (another database's transaction may hold the
    horizon back a moment)."""
    for _ in range(200):
        await relay.deliver(consumer)
        if len(await _deliveries()) >= expected:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"fewer than {expected} deliveries")


def _verified(secret: str, request: Received) -> Any:
    return standardwebhooks.Webhook(secret).verify(request.body, request.headers)


async def test_an_outage_then_every_event_is_delivered_signed_under_one_id_each(
    acme: ProgramRef, bus: MessageBus, clock: FixedClock, fanout: relay.Consumer
) -> None:
    receiver = Receiver()
    subscription_id, secret = await _subscribe(bus, acme, receiver.url)
    for n in range(3):
        await _award(bus, acme, n)
    with pytest.raises(InvalidInput):  # refused: rolled back, records no event
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
    await _fan_out(fanout, 3)
    assert {row["event_type"] for row in await _deliveries()} == {"points.earned"}

    # The receiver is down for over a minute: every attempt fails and is scheduled again.
    assert await sender.send_due(bus) == 3
    assert await sender.send_due(bus) == 0  # not due yet
    for step in (timedelta(seconds=7), timedelta(seconds=40)):
        clock.advance(step)
        assert await sender.send_due(bus) == 3
    clock.advance(timedelta(seconds=20))
    assert receiver.requests == []
    # Back up, but the first answer to each message is lost (a 500): the retry repeats it.
    seen: Counter[str] = Counter()

    def flaky(request: Received) -> int:
        seen[request.headers["webhook-id"]] += 1
        return 500 if seen[request.headers["webhook-id"]] == 1 else 200

    receiver.answer = flaky
    await receiver.start()
    try:
        clock.advance(timedelta(minutes=3))
        assert await sender.send_due(bus) == 3
        clock.advance(timedelta(minutes=13))
        assert await sender.send_due(bus) == 3
        clock.advance(timedelta(hours=1))
        assert await sender.send_due(bus) == 0  # all delivered: nothing left
    finally:
        await receiver.stop()

    deliveries = await _deliveries()
    assert [row["status"] for row in deliveries] == ["delivered"] * 3
    assert [row["attempts"] for row in deliveries] == [5] * 3
    assert len(receiver.requests) == 6
    ids = Counter(request.headers["webhook-id"] for request in receiver.requests)
    assert set(ids.values()) == {2}
    assert set(ids) == {row["message_id"] for row in deliveries}
    bodies: dict[str, bytes] = {}
    for request in receiver.requests:
        message = _verified(secret, request)
        assert message["type"] == "points.earned"
        assert message["data"]["payload"]["points"] == 10
        assert message["data"]["memberId"] is None  # no partner_sharing consent: ids only
        assert bodies.setdefault(request.headers["webhook-id"], request.body) == request.body
    event_ids = sorted(json.loads(body)["data"]["eventId"] for body in bodies.values())
    assert len(set(event_ids)) == 3
    attempts = await connections.get("default").execute_query_dict(
        "SELECT status_code, latency_ms, response, error FROM webhook_attempt ORDER BY id"
    )
    assert [row["status_code"] for row in attempts] == [None] * 9 + [500] * 3 + [200] * 3
    assert all(row["error"] for row in attempts[:9])
    assert attempts[-1]["response"] == "ok"
    assert subscription_id

    # A redelivery sends the same message again, under the same webhook-id.
    receiver.requests.clear()
    receiver.answer = lambda _request: 200
    await bus.handle(
        Redeliver(program_id=acme.id, scope="partner:crm", delivery_id=deliveries[0]["id"])
    )
    await receiver.start()
    try:
        assert await sender.send_due(bus) == 1
    finally:
        await receiver.stop()
    [again] = receiver.requests
    assert again.headers["webhook-id"] == deliveries[0]["message_id"]
    assert again.body == bodies[deliveries[0]["message_id"]]
    _verified(secret, again)


async def test_a_rolled_back_write_sends_nothing(
    acme: ProgramRef, bus: MessageBus, fanout: relay.Consumer
) -> None:
    receiver = Receiver()
    await _subscribe(bus, acme, receiver.url)
    with pytest.raises(InvalidInput):
        await bus.handle(
            RedeemPoints(
                program=acme,
                actor="storefront:shop",
                idempotency_key="nothing-to-spend",
                external_id="ann",
                points=5,
                reason="Nothing to spend",
            )
        )
    await _award(bus, acme, 1)  # a marker: once it is fanned out, so would the refused one be
    await _fan_out(fanout, 1)
    await asyncio.sleep(0.2)
    await relay.deliver(fanout)
    assert [row["event_type"] for row in await _deliveries()] == ["points.earned"]


async def test_concurrent_senders_never_send_one_delivery_twice(
    acme: ProgramRef, bus: MessageBus, fanout: relay.Consumer
) -> None:
    receiver = Receiver()
    _, secret = await _subscribe(bus, acme, receiver.url)
    for n in range(12):
        await _award(bus, acme, n)
    await _fan_out(fanout, 12)
    await receiver.start()
    try:
        sent = await asyncio.gather(*(sender.send_due(bus, limit=5) for _ in range(6)))
        while await sender.send_due(bus):
            pass
    finally:
        await receiver.stop()
    assert sum(sent) <= 12
    ids = [request.headers["webhook-id"] for request in receiver.requests]
    assert len(ids) == len(set(ids)) == 12
    for request in receiver.requests:
        _verified(secret, request)


async def test_during_a_rotation_both_secrets_sign(
    acme: ProgramRef, bus: MessageBus, clock: FixedClock, fanout: relay.Consumer
) -> None:
    receiver = Receiver()
    subscription_id, old = await _subscribe(bus, acme, receiver.url)
    _, new = await bus.handle(
        RotateSecret(program_id=acme.id, scope="partner:crm", subscription_id=subscription_id)
    )
    assert new != old
    assert new.startswith("whsec_")
    await _award(bus, acme, 1)
    await _fan_out(fanout, 1)
    await receiver.start()
    try:
        assert await sender.send_due(bus) == 1
        await _award(bus, acme, 2)
        await _fan_out(fanout, 2)
        clock.advance(timedelta(days=1, seconds=1))  # the overlap is over
        assert await sender.send_due(bus) == 1
    finally:
        await receiver.stop()
    during, after = receiver.requests
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    _verified(old, during)
    _verified(new, during)
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    _verified(new, after)
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        _verified(old, after)


async def test_a_failing_endpoint_is_given_up_and_disabled(
    acme: ProgramRef,
    bus: MessageBus,
    clock: FixedClock,
    fanout: relay.Consumer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sender, "DISABLE_AFTER_FAILURES", 4)
    receiver = Receiver()
    receiver.answer = lambda _request: 503
    subscription_id, _ = await _subscribe(bus, acme, receiver.url)
    await _award(bus, acme, 1)
    await _fan_out(fanout, 1)
    await receiver.start()
    try:
        for _ in range(3):
            assert await sender.send_due(bus) == 1
            clock.advance(timedelta(hours=4))
        # Three days on, the delivery is failed for good at its next attempt.
        clock.advance(timedelta(days=3))
        assert await sender.send_due(bus) == 1
    finally:
        await receiver.stop()
    [delivery] = await _deliveries()
    assert delivery["status"] == "failed"
    [row] = await connections.get("default").execute_query_dict(
        "SELECT active, disabled_reason FROM webhook_subscription WHERE id = $1",
        [subscription_id],
    )
    assert row["active"] is False
    assert "4 failed attempts" in row["disabled_reason"]
    [event] = await connections.get("default").execute_query_dict(
        "SELECT payload FROM event_outbox WHERE type = 'webhook.endpoint_disabled'"
    )
    assert json.loads(event["payload"]) == {"subscriptionId": subscription_id, "failures": 4}
