"""transferPoints through the API: both sides of the ledger, who sees what, idempotency, and the
events a transfer records."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from strawberry import relay

from api.auth import Role
from domain.clock import FixedClock
from tests.conftest import token
from tests.e2e.conftest import GraphQLClient, enroll, provision
from tests.e2e.points_helpers import (
    ADMIN,
    STORE,
    assert_ledger_audits_clean,
    award_manual,
    bal,
    balance,
    configure,
    errors,
    key,
    ledger,
    member_token,
    points,
)
from tests.e2e.test_events import events
from tests.e2e.test_query_counts import StatementLog, _queries
from tests.e2e.transfer_helpers import SEND, TRANSFER, my_transfers, reverse, send, setup

pytestmark = pytest.mark.e2e

NODE = f"query($id: ID!) {{ node(id: $id) {{ ... on PointsTransfer {{ {TRANSFER} }} }} }}"
SETTINGS = "{ transferSettings { enabled minPoints maxPoints dailySentCap minMembershipDays } }"


async def test_a_transfer_moves_spendable_points_between_two_ledgers(gql: GraphQLClient) -> None:
    codes = await setup(gql, {"ann": 500, "bob": 20})
    sent = await send(gql, "ann", codes["bob"], 120, message="Happy birthday!")
    assert sent["userErrors"] == []
    transfer = sent["transfer"]
    assert (transfer["points"], transfer["status"], transfer["direction"]) == (
        120,
        "COMPLETED",
        "SENT",
    )
    assert (transfer["senderName"], transfer["recipientName"]) == ("Ann", "Bob")
    assert transfer["message"] == "Happy birthday!"
    assert sent["balance"]["available"] == 380
    # Lifetime totals stay with whoever earned the points: a transfer lifts nobody's tier.
    assert await balance(gql, "ann") == bal(380, lifetime=500)
    assert await balance(gql, "bob") == bal(140, lifetime=20)
    out, into = (await ledger(gql, "ann"))[0], (await ledger(gql, "bob"))[0]
    source = f"transfer:{_key(transfer['id'])}"
    assert (out["kind"], out["points"], out["reasonCode"], out["sourceReference"]) == (
        "TRANSFER_OUT",
        -120,
        "TRANSFER",
        source,
    )
    assert out["reason"] == "Points sent to another member"
    assert (into["kind"], into["points"], into["reasonCode"], into["sourceReference"]) == (
        "TRANSFER_IN",
        120,
        "TRANSFER",
        source,
    )
    assert into["reason"] == "Points received from another member"
    assert (out["id"], into["id"]) == (transfer["sentEntryId"], transfer["receivedEntryId"])
    # Each member sees the transfer, from its own side.
    [mine] = await my_transfers(gql, "ann")
    [theirs] = await my_transfers(gql, "bob")
    assert (mine["id"], mine["direction"]) == (transfer["id"], "SENT")
    assert (theirs["id"], theirs["direction"], theirs["message"]) == (
        transfer["id"],
        "RECEIVED",
        "Happy birthday!",
    )
    await assert_ledger_audits_clean()


async def test_the_transfer_and_both_entries_are_events_without_personal_data(
    gql: GraphQLClient,
) -> None:
    codes = await setup(gql, {"ann": 100, "bob": 0})
    transfer = (await send(gql, "ann", codes["bob"], 30, message="for you"))["transfer"]
    found = await events(gql, types=["points.transferred", "points.transferred_out",
                                     "points.transferred_in"])  # fmt: skip
    by_type = {event["type"]: event for event in found}
    assert set(by_type) == {"points.transferred", "points.transferred_out", "points.transferred_in"}
    payload = by_type["points.transferred"]["payload"]
    assert payload["transferId"] == _key(transfer["id"])
    assert payload["points"] == 30
    assert set(payload) == {
        "transferId", "recipientId", "points", "sentEntryId", "receivedEntryId",
    }  # fmt: skip
    assert "for you" not in str(found)
    assert "bob" not in str(found).lower()


async def test_transfers_are_seen_by_their_two_members_and_the_staff_only(
    gql: GraphQLClient,
) -> None:
    codes = await setup(gql, {"ann": 100, "bob": 0, "cy": 0})
    transfer = (await send(gql, "ann", codes["bob"], 10))["transfer"]
    for bearer, direction in ((member_token("ann"), "SENT"), (member_token("bob"), "RECEIVED")):
        seen = (await gql.ok(NODE, {"id": transfer["id"]}, bearer=bearer))["node"]
        assert seen["direction"] == direction
    for bearer in (ADMIN, STORE):
        seen = (await gql.ok(NODE, {"id": transfer["id"]}, bearer=bearer))["node"]
        assert (seen["id"], seen["direction"]) == (transfer["id"], None)
    assert (await gql.ok(NODE, {"id": transfer["id"]}, bearer=member_token("cy")))["node"] is None
    assert await my_transfers(gql, "cy") == []
    listed = await gql.ok("{ pointsTransfers(first: 10) { edges { node { id } } } }", bearer=ADMIN)
    assert [e["node"]["id"] for e in listed["pointsTransfers"]["edges"]] == [transfer["id"]]
    # The recipient's entry names no sender: not even the kind of token shows its id to staff.
    entry = (
        await gql.ok(
            "query($id: ID!) { node(id: $id) { ... on LedgerEntry { actor { kind subject } } } }",
            {"id": transfer["receivedEntryId"]},
            bearer=ADMIN,
        )
    )["node"]
    assert entry["actor"] == {"kind": "MEMBER", "subject": None}


async def test_only_a_member_token_sends_and_only_an_admin_configures(gql: GraphQLClient) -> None:
    codes = await setup(gql, {"ann": 100, "bob": 0})
    input = {"idempotencyKey": key(), "recipient": codes["bob"], "points": 5}
    for bearer in (STORE, ADMIN):
        body = await gql.post(SEND, {"input": input}, bearer=bearer)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    configure_doc = (
        "mutation { configureTransfers(input: {enabled: false}) { userErrors { code } } }"
    )
    body = await gql.post(configure_doc, bearer=member_token("ann"))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await balance(gql, "ann") == bal(100, lifetime=100)


async def test_members_see_the_limits_and_transfers_are_off_until_an_admin_allows_them(
    gql: GraphQLClient, clock: FixedClock
) -> None:
    await provision(gql)
    for name in ("ann", "bob"):
        await enroll(gql, name)
    await award_manual(gql, "ann", 100)
    data = await gql.ok(SETTINGS, bearer=member_token("ann"))
    assert data["transferSettings"] == {
        "enabled": False, "minPoints": 1, "maxPoints": 5000, "dailySentCap": 10000,
        "minMembershipDays": 7,
    }  # fmt: skip
    bob = (await gql.ok("{ me { referralCode } }", bearer=member_token("bob")))["me"]
    refused = await send(gql, "ann", bob["referralCode"], 10)
    assert errors(refused) == ["TRANSFERS_DISABLED"]
    assert await my_transfers(gql, "ann") == []


async def test_the_same_key_answers_the_same_transfer_and_refuses_other_input(
    gql: GraphQLClient,
) -> None:
    codes = await setup(gql, {"ann": 100, "bob": 0})
    idem = key()
    first = await send(gql, "ann", codes["bob"], 25, idem=idem)
    again = await send(gql, "ann", codes["bob"], 25, idem=idem)
    assert (again["replayed"], again["transfer"]["id"]) == (True, first["transfer"]["id"])
    other = await send(gql, "ann", codes["bob"], 26, idem=idem)
    assert errors(other) == ["IDEMPOTENCY_KEY_REUSED"]
    assert await balance(gql, "ann") == bal(75, lifetime=100)
    assert len(await my_transfers(gql, "ann")) == 1


async def test_pending_and_held_points_are_not_transferable(
    gql: GraphQLClient, clock: FixedClock
) -> None:
    codes = await setup(gql, {"ann": 0, "bob": 0})
    await configure(gql, pendingDays=14)
    order = {"orderId": "o-1", "total": "100.00", "currency": "EUR", "lines": []}
    award = await gql.ok(
        "mutation($input: AwardPointsInput!) { awardPoints(input: $input) { userErrors { code } } }",
        {"input": {"idempotencyKey": key(), "externalId": "ann", "source": {"order": order}}},
        bearer=STORE,
    )
    assert award["awardPoints"]["userErrors"] == []
    assert (await points(gql, "ann"))["pending"] == 100
    refused = await send(gql, "ann", codes["bob"], 10)
    assert errors(refused) == ["INSUFFICIENT_POINTS"]
    assert (await points(gql, "ann"))["pending"] == 100
    assert await my_transfers(gql, "ann") == []
    # Once the return window ends, they are spendable: and so transferable.
    clock.advance(timedelta(days=15))
    assert (await send(gql, "ann", codes["bob"], 10))["userErrors"] == []


async def test_the_senders_soonest_expiring_points_go_and_the_recipient_gets_a_fresh_lot(
    gql: GraphQLClient, clock: FixedClock
) -> None:
    codes = await setup(gql, {"ann": 0, "bob": 0})
    await configure(gql, expiry={"mode": "AFTER_DAYS", "amount": 30})
    await award_manual(gql, "ann", 50)  # expires in 30 days
    clock.advance(timedelta(days=10))
    await award_manual(gql, "ann", 50)  # expires in 40 days
    clock.advance(timedelta(days=5))
    assert (await send(gql, "ann", codes["bob"], 60))["userErrors"] == []
    left = (await points(gql, "ann", within_days=60))["expiringSoon"]
    assert [item["points"] for item in left] == [40]  # the older lot went first, then 10 more
    arrived = (await points(gql, "bob", within_days=60))["expiringSoon"]
    assert [item["points"] for item in arrived] == [60]
    assert (
        arrived[0]["expiresAt"] > left[0]["expiresAt"]
    )  # 30 days from the transfer, not the lot's
    await assert_ledger_audits_clean()


async def test_a_member_of_another_program_reaches_no_one_here(gql: GraphQLClient) -> None:
    codes = await setup(gql, {"ann": 100, "bob": 0})
    transfer = (await send(gql, "ann", codes["bob"], 10))["transfer"]
    await provision(gql, "globex")
    other_admin = token(Role.ADMIN, "globex")
    await gql.ok(
        "mutation { configureTransfers(input: {enabled: true, minMembershipDays: 0})"
        " { userErrors { code } } }",
        bearer=other_admin,
    )
    await enroll(gql, "eve", program="globex")
    await gql.ok(
        "mutation($input: AwardPointsInput!) { awardPoints(input: $input) { userErrors { code } } }",
        {"input": {"idempotencyKey": key(), "externalId": "eve",
                   "source": {"manual": {"points": 50, "reason": "Hi"}}}},
        bearer=token(Role.STOREFRONT, "globex"),
    )  # fmt: skip
    probe = await send(gql, "eve", codes["bob"], 10, program="globex")
    assert errors(probe) == ["RECIPIENT_UNAVAILABLE"]
    assert (await gql.ok(NODE, {"id": transfer["id"]}, bearer=other_admin))["node"] is None
    foreign = await reverse(gql, transfer["id"], bearer=other_admin)
    assert errors(foreign) == ["TRANSFER_NOT_FOUND"]
    assert await balance(gql, "bob") == bal(10)


def _key(global_id: str) -> int:
    return int(relay.GlobalID.from_id(global_id).node_id)


async def test_a_transfer_is_fourteen_statements_in_its_transaction_and_a_page_of_them_costs_as_one(
    gql: GraphQLClient,
) -> None:
    """Both members locked and loaded in one statement each (their lots in another), today's
    totals with the new transfer's id in one, one statement per entry and lot change, one for
    the transfer, and the outbox with the key's result; then the answer's two reads."""
    codes = await setup(gql, {"ann": 1_000, "bob": 0})
    logger = logging.getLogger("tortoise.db_client")
    log, level = StatementLog(), logger.level
    logger.addHandler(log)
    logger.setLevel(logging.DEBUG)
    try:
        assert (await send(gql, "ann", codes["bob"], 1))["userErrors"] == []
    finally:
        logger.removeHandler(log)
        logger.setLevel(level)
    assert len(log.statements) == 16
    assert log.statements[0].startswith("INSERT INTO idempotency_key")
    assert log.statements[13].startswith("WITH remembered AS")
    page = "{ me { transfers(first: 100) { edges { node { id direction senderName } } } } }"
    one = await _queries(gql, page, member_token("ann"))
    for _ in range(20):
        await send(gql, "ann", codes["bob"], 1)
    assert await _queries(gql, page, member_token("ann")) == one <= 3
