"""Helpers of the gift tests: settings, enrolments, the relay consumer and reads over GraphQL."""

from __future__ import annotations

import asyncio
from typing import Any

from tortoise import connections

from backbone import relay
from backbone.bus import MessageBus
from backbone.jobs import run_now
from loyalty.gifts.triggers import consumer
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
      why { summary factors { name value } purposes } } }
    pageInfo { hasNextPage endCursor }
  }
}"""
ENROLL = """mutation($input: EnrollMemberInput!) {
  enrollMember(input: $input) { created member { id } userErrors { field code } }
}"""
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


async def registered_consumer() -> relay.Consumer:
    found = consumer()
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
