"""Helpers of the gift tests: settings, enrolments, the relay consumer and reads over GraphQL."""

from __future__ import annotations

import asyncio
from typing import Any

from tortoise import connections

from backbone import relay
from backbone.bus import MessageBus
from backbone.jobs import run_now
from loyalty.gifts.triggers import CONSUMER
from tests.e2e.conftest import GraphQLClient
from tests.e2e.points_helpers import ADMIN, STORE, member_token

CONFIGURE = """mutation($input: ConfigureGiftInput!) {
  configureGift(input: $input) {
    gift { kind points active personalized budgetPoints budgetPeriod memberCap surpriseRule
      everyNthOrder drawProbability triggerEventType triggerPostKind
      budget { period periodStart total spent remaining } }
    userErrors { field message code }
  }
}"""
GIFTS = "{ gifts { kind budget { period periodStart total spent remaining } } }"
GIVEN = """query($kind: GiftKind, $after: String) {
  giftsGiven(first: 100, kind: $kind, after: $after) {
    edges { node { id kind status skipReason points trigger reason memberId entryId
      revokedAt revokeReason why { summary factors { name value } purposes } } }
    pageInfo { hasNextPage endCursor }
  }
}"""
ENROLL = """mutation($input: EnrollMemberInput!) {
  enrollMember(input: $input) { created member { id } userErrors { field code } }
}"""
EVENTS = """query($types: [String!]) { events(first: 100, types: $types) {
  edges { node { type memberId payload } } } }"""
_UNREAD = """SELECT EXISTS (SELECT 1 FROM event_outbox o JOIN event_consumer c ON c.name = $1
  WHERE (o.txid, o.id) > (c.last_txid, c.last_id)) AS unread"""
LEDGER = """{ me { points { available } ledger(first: 20) { edges { node { kind points reasonCode
  reason sourceReference why { summary factors { name value } purposes } } } } } }"""


async def configure_gift(gql: GraphQLClient, **input: Any) -> dict[str, Any]:
    data = await gql.ok(CONFIGURE, {"input": input}, bearer=ADMIN)
    payload: dict[str, Any] = data["configureGift"]
    return payload


async def enroll(gql: GraphQLClient, external_id: str, **extra: Any) -> dict[str, Any]:
    details = {"externalId": external_id, "email": f"{external_id}@example.com"}
    details["displayName"] = external_id.title()
    data = await gql.ok(ENROLL, {"input": {**details, **extra}}, bearer=STORE)
    payload: dict[str, Any] = data["enrollMember"]
    assert payload["userErrors"] == [], payload
    return payload


async def given(gql: GraphQLClient, kind: str | None = None) -> list[dict[str, Any]]:
    data = await gql.ok(GIVEN, {"kind": kind}, bearer=ADMIN)
    return [edge["node"] for edge in data["giftsGiven"]["edges"]]


async def gift_entries(gql: GraphQLClient, external_id: str) -> list[dict[str, Any]]:
    data = await gql.ok(LEDGER, bearer=member_token(external_id))
    entries = [edge["node"] for edge in data["me"]["ledger"]["edges"]]
    return [entry for entry in entries if entry["reasonCode"] == "GIFT"]


def gift_consumer(bus: MessageBus, name: str = CONSUMER) -> relay.Consumer:
    """The gift consumer as the bus delivers it (a writing consumer, bound to the bus)."""
    return next(c for c in bus.consumers if c.name == name)


async def registered_consumer(bus: MessageBus, name: str = CONSUMER) -> relay.Consumer:
    found = gift_consumer(bus, name)
    await relay.register([found], connections.get("default"))
    return found


async def relay_and_give(bus: MessageBus, found: relay.Consumer, *, until: int) -> None:
    """Deliver the log to the gift consumer until `until` gifts are claimed (a transaction of
    another test database may hold the relay's horizon back a moment), then run the gift job."""
    for _ in range(200):
        await relay.deliver(found)
        [row] = await connections.get("default").execute_query_dict(
            "SELECT count(*) AS n FROM gift"
        )
        if row["n"] >= until:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError(f"fewer than {until} gifts claimed")
    await run_now(bus, {"gifts.give"})


async def budget_ledger() -> list[dict[str, Any]]:
    """Each budget account with the sum of the gifts paid from it and of their ledger entries."""
    rows: list[dict[str, Any]] = await connections.get("default").execute_query_dict(
        """SELECT b.id, b.total, b.remaining,
             (SELECT coalesce(sum(g.points), 0) FROM gift g WHERE g.budget_id = b.id) AS gifts,
             (SELECT coalesce(sum(e.points), 0) FROM gift g JOIN points_entry e ON e.id = g.entry_id
              WHERE g.budget_id = b.id) AS entries
           FROM gift_budget b ORDER BY b.id"""
    )
    return rows


async def relay_all(bus: MessageBus, name: str = CONSUMER) -> None:
    """Deliver until the consumer has read every committed event (its own included); another
    database's open transaction may hold the relay's horizon back a moment."""
    for _ in range(1500):  # 30 s
        await relay.deliver(gift_consumer(bus, name))
        [row] = await connections.get("default").execute_query_dict(_UNREAD, [name])
        if not row["unread"]:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{name} did not catch up")


async def rewind(name: str = CONSUMER) -> None:
    """Move the consumer's cursor back to its start: every event is delivered again."""
    await connections.get("default").execute_query_dict(
        "UPDATE event_consumer SET last_txid = 0, last_id = 0 WHERE name = $1", [name]
    )


async def events_of(gql: GraphQLClient, *types: str) -> list[dict[str, Any]]:
    """The program's events of these types, oldest first."""
    data = await gql.ok(EVENTS, {"types": list(types)}, bearer=ADMIN)
    return [edge["node"] for edge in data["events"]["edges"]][::-1]
