"""Surprises for orders the member keeps: returned orders do not count, pending orders are
judged when their points activate, and a full return revokes a given surprise (its points taken
back, its budget credited back) exactly once, however often or concurrently it is delivered."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from api.composition import build_bus
from backbone.bus import MessageBus, Registry, WritingConsumer
from backbone.jobs import run_now
from domain.clock import FixedClock
from loyalty.gifts import triggers
from tests.e2e.conftest import GraphQLClient, provision
from tests.e2e.gift_helpers import (
    GIFTS,
    configure_gift,
    enroll,
    events_of,
    gift_entries,
    given,
    registered_consumer,
    relay_all,
    rewind,
)
from tests.e2e.points_helpers import ADMIN, award_order, balance, configure, ledger, reverse

pytestmark = pytest.mark.e2e


async def _surprise_every(gql: GraphQLClient, nth: int) -> None:
    configured = await configure_gift(
        gql, kind="SURPRISE", points=30, budgetPoints=1_000, surpriseRule="EVERY_NTH_ORDER",
        everyNthOrder=nth,
    )  # fmt: skip
    assert configured["userErrors"] == [], configured


async def _returned(gql: GraphQLClient, order_id: str, return_id: str, amount: str) -> None:
    payload = await reverse(gql, order_id, return_id, amount)
    assert payload["userErrors"] == [], payload


async def _budget(gql: GraphQLClient) -> dict[str, Any]:
    [setting] = (await gql.ok(GIFTS, bearer=ADMIN))["gifts"]
    budget: dict[str, Any] = setting["budget"]
    return budget


async def _relay_and_give(bus: MessageBus) -> None:
    await relay_all(bus)
    await run_now(bus, {"gifts.give"})
    await relay_all(bus)  # what the gift job recorded, read too


async def test_every_third_order_does_not_count_a_fully_returned_one(
    gql: GraphQLClient, bus: MessageBus
) -> None:
    await provision(gql)
    await registered_consumer(bus)
    await _surprise_every(gql, 3)
    await enroll(gql, "ann")
    await award_order(gql, "ann", "o-1", "10.00")
    await award_order(gql, "ann", "o-2", "10.00")
    await _returned(gql, "o-1", "r-1", "4.00")  # partly returned: still an order
    await _returned(gql, "o-2", "r-2", "10.00")  # fully returned: no longer one
    for n in range(3, 7):
        await award_order(gql, "ann", f"o-{n}", "10.00")
    await _relay_and_give(bus)
    # Kept orders: o-1, o-3, o-4 (the 3rd), o-5, o-6; o-3 and o-6 would be the 3rd and 6th
    # if o-2 counted.
    gifts = await given(gql, "SURPRISE")
    assert [(g["trigger"], g["status"]) for g in gifts] == [("order:o-4", "GIVEN")]
    [entry] = await gift_entries(gql, "ann")
    assert (entry["points"], entry["reason"]) == (30, "A thank-you for your 3rd order")


async def test_a_pending_orders_surprise_is_decided_at_activation_and_never_when_returned(
    gql: GraphQLClient, bus: MessageBus, clock: FixedClock
) -> None:
    await provision(gql)
    await registered_consumer(bus)
    await configure(gql, pendingDays=14)
    await _surprise_every(gql, 1)
    await enroll(gql, "ann")
    await award_order(gql, "ann", "o-1", "10.00")
    await award_order(gql, "ann", "o-2", "20.00")
    await _relay_and_give(bus)
    assert await given(gql) == []  # both pending in the return window: not judged yet
    await _returned(gql, "o-2", "r-2", "20.00")  # returned inside the window
    clock.advance(timedelta(days=15))
    await run_now(bus, {"points.settle"})
    await _relay_and_give(bus)
    [gift] = await given(gql)
    assert (gift["trigger"], gift["status"], gift["reason"]) == (
        "order:o-1",
        "GIVEN",
        "A thank-you for your 1st order",
    )
    # The ledger's activation names the order whose window ended; o-2 never activated.
    activations = [e for e in await ledger(gql, "ann") if e["kind"] == "ACTIVATE"]
    assert [(e["points"], e["sourceReference"]) for e in activations] == [(10, "order:o-1")]
    [activated] = await events_of(gql, "points.activated")
    assert activated["payload"]["sourceRef"] == "order:o-1"
    # Returned later, the order's surprise goes: nothing is left of o-2 to surprise.
    assert [g["trigger"] for g in await given(gql)] == ["order:o-1"]


async def test_a_full_return_revokes_a_given_surprise_once_even_delivered_twice_and_at_once(
    gql: GraphQLClient, bus: MessageBus, clock: FixedClock
) -> None:
    await provision(gql)
    await registered_consumer(bus)
    # A second consumer running the same handler races the first over the same events.
    twin = WritingConsumer("gifts.triggers.twin", triggers.on_logged)
    racing = build_bus(clock, extra=[Registry(writers=[twin])])
    await registered_consumer(racing, twin.name)
    await _surprise_every(gql, 1)
    await enroll(gql, "ann")
    await award_order(gql, "ann", "o-1", "50.00")
    await _relay_and_give(bus)
    [gift] = await given(gql)
    assert (gift["status"], gift["points"]) == ("GIVEN", 30)
    assert (await _budget(gql))["spent"] == 30
    before = await balance(gql, "ann")
    assert before["available"] == 80  # the order's 50 and the gift's 30
    await _returned(gql, "o-1", "r-1", "50.00")
    await asyncio.gather(relay_all(bus), relay_all(racing, twin.name), relay_all(bus))
    await rewind()  # the whole log delivered once more
    await asyncio.gather(relay_all(bus), relay_all(racing, twin.name))
    [revoked] = await given(gql)
    assert (revoked["status"], revoked["revokeReason"], revoked["points"]) == (
        "REVOKED",
        "ORDER_RETURNED",
        30,
    )
    assert revoked["revokedAt"] is not None
    assert revoked["entryId"] == gift["entryId"]  # the transfer it undid stays named
    assert revoked["why"]["summary"].startswith("30 points taken back")
    taken = [e for e in await ledger(gql, "ann") if e["kind"] == "REVERSE"]
    assert sorted((e["reasonCode"], e["points"]) for e in taken) == [
        ("GIFT", -30),
        ("RETURN", -50),
    ]
    [taken_back, gift_entry] = await gift_entries(gql, "ann")  # newest first
    assert (taken_back["kind"], gift_entry["kind"]) == ("REVERSE", "EARN")
    assert gift_entry["sourceReference"] == taken_back["sourceReference"]
    assert taken_back["reason"] == "Gift taken back: its order was returned"
    assert (await balance(gql, "ann"))["available"] == 0
    budget = await _budget(gql)
    assert (budget["total"], budget["spent"], budget["remaining"]) == (1_000, 0, 1_000)
    [event] = await events_of(gql, "gift.revoked")
    assert event["payload"] == {
        "giftId": event["payload"]["giftId"], "kind": "SURPRISE", "points": 30,
        "reason": "ORDER_RETURNED",
    }  # fmt: skip
    assert event["memberId"] == revoked["memberId"]


async def test_a_pending_surprise_is_skipped_when_its_order_is_returned_before_the_gift_job(
    gql: GraphQLClient, bus: MessageBus
) -> None:
    await provision(gql)
    await registered_consumer(bus)
    await _surprise_every(gql, 1)
    await enroll(gql, "ann")
    await award_order(gql, "ann", "o-1", "10.00")
    await relay_all(bus)  # claimed, not given yet
    [pending] = await given(gql)
    assert pending["status"] == "PENDING"
    await _returned(gql, "o-1", "r-1", "6.00")
    await relay_all(bus)
    assert (await given(gql))[0]["status"] == "PENDING"  # a partial return leaves it standing
    await _returned(gql, "o-1", "r-2", "4.00")
    await _relay_and_give(bus)
    [skipped] = await given(gql)
    assert (skipped["status"], skipped["skipReason"]) == ("SKIPPED", "ORDER_RETURNED")
    assert await gift_entries(gql, "ann") == []
    assert (await _budget(gql))["spent"] == 0
    [event] = await events_of(gql, "gift.skipped")
    assert event["payload"]["reason"] == "ORDER_RETURNED"
    assert await events_of(gql, "gift.revoked") == []
