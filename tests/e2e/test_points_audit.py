"""What partners audit: entries as nodes, who wrote them and under which key, how each moved the
balance's buckets, and honest answers to a return or an order repeated under a new key."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from api.auth import Role
from backbone.bus import MessageBus
from domain.clock import FixedClock
from loyalty.points.jobs import run_due
from tests.conftest import token
from tests.e2e.conftest import GraphQLClient, enroll, provision
from tests.e2e.partner_helpers import partner
from tests.e2e.points_helpers import (
    ADJUST,
    ADMIN,
    STORE,
    award_manual,
    award_order,
    bal,
    balance,
    configure,
    errors,
    key,
    member_token,
    redeem,
    reverse,
    write,
)

pytestmark = pytest.mark.e2e

AUDIT = (
    "id kind points returnId idempotencyKey actor { kind subject }"
    " changes { available pending debt lifetimeEarned }"
    " balanceAfter { available pending debt lifetimeEarned }"
)
NODE = "query($id: ID!) { node(id: $id) { id ... on LedgerEntry { kind points } } }"
PAGE = f"ledger(first: 100) {{ edges {{ node {{ {AUDIT} }} }} }}"
MY_LEDGER = f"{{ me {{ {PAGE} }} }}"
THEIR_LEDGER = f"query($id: ID!) {{ member(id: $id) {{ {PAGE} }} }}"
REVERSE = f"""mutation($input: ReverseOrderInput!) {{ reverseOrder(input: $input) {{
  entry {{ {AUDIT} }} balance {{ available pending debt lifetimeEarned }}
  replayed alreadyProcessed userErrors {{ code }}
}} }}"""
AWARD = """mutation($input: AwardPointsInput!) { awardPoints(input: $input) {
  entry { id } balance { available } replayed alreadyProcessed userErrors { code }
} }"""
BUCKETS = ("available", "pending", "debt", "lifetimeEarned")


async def _node(gql: GraphQLClient, global_id: str, bearer: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = (await gql.ok(NODE, {"id": global_id}, bearer=bearer))["node"]
    return found


async def _my_ledger(gql: GraphQLClient, external_id: str) -> list[dict[str, Any]]:
    data = await gql.ok(MY_LEDGER, bearer=member_token(external_id))
    return [edge["node"] for edge in data["me"]["ledger"]["edges"]]


async def _reverse(
    gql: GraphQLClient, return_id: str, amount: str, *, order: str = "o-1", idem: str | None = None
) -> dict[str, Any]:
    input = {
        "idempotencyKey": idem or key(),
        "orderId": order,
        "returnId": return_id,
        "amount": amount,
        "currency": "EUR",
    }
    return await write(gql, REVERSE, input)


async def test_a_ledger_entry_is_a_node_for_whoever_may_see_it(
    gql: GraphQLClient, ann: str
) -> None:
    await enroll(gql, "bob")
    await provision(gql, "globex")
    mine = (await award_manual(gql, ann, 10))["entry"]["id"]
    bobs = (await award_manual(gql, "bob", 20))["entry"]["id"]
    for bearer in (member_token(ann), STORE, ADMIN):
        found = await _node(gql, mine, bearer)
        assert found is not None
        assert (found["id"], found["kind"], found["points"]) == (mine, "EARN", 10)
    assert (await _node(gql, bobs, STORE) or {}).get("points") == 20
    assert await _node(gql, bobs, member_token(ann)) is None  # another member's entry
    crm = await partner(gql, "crm")
    assert await _node(gql, mine, crm) is None  # partners see no ledger entries
    assert await _node(gql, mine, token(Role.ADMIN, "globex")) is None  # another program


async def test_entries_show_who_wrote_them_and_under_which_key_to_staff_only(
    gql: GraphQLClient, ann: str, bus: MessageBus, clock: FixedClock
) -> None:
    await configure(gql, pendingDays=1)
    await award_order(gql, ann, "o-1", "10.00", idem="order-o-1")
    fix = await write(
        gql,
        ADJUST,
        {"idempotencyKey": "fix-1", "externalId": ann, "points": 5, "reason": "Goodwill"},
        bearer=ADMIN,
    )
    assert fix["userErrors"] == []
    clock.advance(timedelta(days=2))
    await run_due(bus)

    member_id = (await gql.ok("{ me { id } }", bearer=member_token(ann)))["me"]["id"]
    staff = await gql.ok(THEIR_LEDGER, {"id": member_id}, bearer=STORE)
    seen = [
        (e["kind"], e["actor"], e["idempotencyKey"])
        for e in (edge["node"] for edge in staff["member"]["ledger"]["edges"])
    ]
    assert seen == [
        ("ACTIVATE", {"kind": "SYSTEM", "subject": None}, None),
        ("ADJUST", {"kind": "ADMIN", "subject": "admin-client"}, "fix-1"),
        ("EARN", {"kind": "STOREFRONT", "subject": "storefront-client"}, "order-o-1"),
    ]
    # The member sees what kind of client acted, not the client's id nor its keys.
    assert [(e["actor"], e["idempotencyKey"]) for e in await _my_ledger(gql, ann)] == [
        ({"kind": "SYSTEM", "subject": None}, None),
        ({"kind": "ADMIN", "subject": None}, None),
        ({"kind": "STOREFRONT", "subject": None}, None),
    ]


async def test_bucket_changes_add_up_to_the_balance(
    gql: GraphQLClient, ann: str, bus: MessageBus, clock: FixedClock
) -> None:
    await configure(gql, pendingDays=14, clawbackPolicy="CLAMP_AND_RECORD_DEBT")
    await award_order(gql, ann, "o-1", "100.00")  # pending
    await award_manual(gql, ann, 50)
    clock.advance(timedelta(days=15))
    await run_due(bus)  # o-1 activates
    await redeem(gql, ann, 120)
    await award_order(gql, ann, "o-2", "40.00")  # pending again
    await reverse(gql, "o-1", "r-1", "100.00")  # 30 left to take: 70 become debt
    await award_manual(gql, ann, 50)  # repays 50 of the debt

    entries = await _my_ledger(gql, ann)
    assert [e["kind"] for e in entries] == [
        "EARN",
        "REVERSE",
        "EARN",
        "REDEEM",
        "ACTIVATE",
        "EARN",
        "EARN",
    ]
    assert [e["returnId"] for e in entries] == [None, "r-1", None, None, None, None, None]
    assert entries[1]["changes"] == {
        "available": -30,
        "pending": 0,
        "debt": 70,
        "lifetimeEarned": -100,
    }
    assert entries[0]["changes"] == {
        "available": 0,
        "pending": 0,
        "debt": -50,
        "lifetimeEarned": 50,
    }
    now = await balance(gql, ann)
    assert now == bal(0, pending=40, debt=20, lifetime=140)
    assert {b: sum(e["changes"][b] for e in entries) for b in BUCKETS} == now
    assert entries[0]["balanceAfter"] == now
    assert sum(e["points"] for e in entries) != now["available"]  # why `changes` exists


async def test_a_return_repeated_under_a_new_key_says_it_was_already_processed(
    gql: GraphQLClient, ann: str
) -> None:
    await award_order(gql, ann, "o-1", "10.00")
    first = await _reverse(gql, "r-1", "4.00")
    assert (first["replayed"], first["alreadyProcessed"]) == (False, False)
    assert first["balance"] == bal(6, lifetime=6)
    await award_manual(gql, ann, 5)

    idem = key()
    again = await _reverse(gql, "r-1", "4.00", idem=idem)
    assert (again["userErrors"], again["replayed"], again["alreadyProcessed"]) == ([], False, True)
    assert again["entry"]["id"] == first["entry"]["id"]
    assert again["balance"] == bal(11, lifetime=11) == await balance(gql, ann)  # now, not then

    await award_manual(gql, ann, 1)
    replay = await _reverse(gql, "r-1", "4.00", idem=idem)  # a retry of that answer
    assert (replay["replayed"], replay["alreadyProcessed"]) == (True, True)
    assert (replay["entry"]["id"], replay["balance"]) == (first["entry"]["id"], again["balance"])

    await award_order(gql, ann, "o-2", "0.50")  # earns nothing, so its return takes nothing back
    nothing = await _reverse(gql, "r-1", "0.50", order="o-2")  # no entry
    assert (nothing["entry"], nothing["alreadyProcessed"]) == (None, False)
    repeated = await _reverse(gql, "r-1", "0.50", order="o-2")
    assert (repeated["entry"], repeated["alreadyProcessed"]) == (None, True)
    assert repeated["balance"] == bal(12, lifetime=12)
    assert [e["points"] for e in await _my_ledger(gql, ann)] == [0, 1, 5, -4, 10]


async def test_an_order_repeated_under_a_new_key_is_refused_as_already_awarded(
    gql: GraphQLClient, ann: str
) -> None:
    order = {"orderId": "o-1", "total": "10.00", "currency": "EUR", "lines": []}

    async def award() -> dict[str, Any]:
        source = {"order": order}
        return await write(
            gql, AWARD, {"idempotencyKey": key(), "externalId": ann, "source": source}
        )

    first = await award()
    assert (first["userErrors"], first["alreadyProcessed"]) == ([], False)
    again = await award()
    assert errors(again) == ["ALREADY_AWARDED"]
    assert (again["entry"], again["balance"], again["replayed"], again["alreadyProcessed"]) == (
        None,
        None,
        False,
        False,
    )
    assert await balance(gql, ann) == bal(10, lifetime=10)
