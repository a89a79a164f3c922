"""reverseTransfer: an admin takes a transfer's points back from the recipient, once, and gives
them back to the sender; what the recipient spent follows the program's clawback policy."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import GraphQLClient
from tests.e2e.points_helpers import (
    assert_ledger_audits_clean,
    bal,
    balance,
    configure,
    errors,
    key,
    ledger,
    member_token,
    redeem,
)
from tests.e2e.privacy_helpers import erase, exported, mentions
from tests.e2e.test_events import events
from tests.e2e.transfer_helpers import my_transfers, reverse, send, setup

pytestmark = pytest.mark.e2e


async def test_a_reversal_gives_the_points_back_once(gql: GraphQLClient) -> None:
    codes = await setup(gql, {"ann": 300, "bob": 50})
    transfer = (await send(gql, "ann", codes["bob"], 100))["transfer"]
    idem = key()
    reversed_ = await reverse(gql, transfer["id"], "Sent by mistake", idem=idem)
    assert reversed_["userErrors"] == []
    assert (reversed_["transfer"]["status"], reversed_["transfer"]["reverseReason"]) == (
        "REVERSED",
        "Sent by mistake",
    )
    assert await balance(gql, "ann") == bal(300, lifetime=300)
    assert await balance(gql, "bob") == bal(50, lifetime=50)
    back, taken = (await ledger(gql, "ann"))[0], (await ledger(gql, "bob"))[0]
    assert (back["kind"], back["points"], back["reasonCode"]) == (
        "TRANSFER_IN",
        100,
        "TRANSFER_REVERSAL",
    )
    assert (taken["kind"], taken["points"], taken["reasonCode"]) == (
        "TRANSFER_OUT",
        -100,
        "TRANSFER_REVERSAL",
    )
    assert taken["reason"] == "Transfer reversed by the program: Sent by mistake"
    # Both members see it reversed, with the reason.
    for name in ("ann", "bob"):
        [seen] = await my_transfers(gql, name)
        assert (seen["status"], seen["reverseReason"]) == ("REVERSED", "Sent by mistake")
    # The same key replays; another key is refused: a transfer is reversed once.
    again = await reverse(gql, transfer["id"], "Sent by mistake", idem=idem)
    assert again["replayed"] is True
    twice = await reverse(gql, transfer["id"], "Sent by mistake")
    assert errors(twice) == ["TRANSFER_ALREADY_REVERSED"]
    assert await balance(gql, "ann") == bal(300, lifetime=300)
    [event] = await events(gql, types=["points.transfer_reversed"])
    assert (event["payload"]["points"], event["payload"]["debtRecorded"]) == (100, 0)
    await assert_ledger_audits_clean()


async def test_points_the_recipient_spent_become_its_debt(gql: GraphQLClient) -> None:
    codes = await setup(gql, {"ann": 300, "bob": 0})
    transfer = (await send(gql, "ann", codes["bob"], 100))["transfer"]
    assert (await redeem(gql, "bob", 70))["userErrors"] == []
    assert (await reverse(gql, transfer["id"]))["userErrors"] == []
    assert await balance(gql, "bob") == bal(0, debt=70)
    assert await balance(gql, "ann") == bal(300, lifetime=300)
    [event] = await events(gql, types=["points.transfer_reversed"])
    assert event["payload"]["debtRecorded"] == 70
    await assert_ledger_audits_clean()


async def test_a_program_that_denies_clawbacks_refuses_the_reversal_and_writes_nothing(
    gql: GraphQLClient,
) -> None:
    codes = await setup(gql, {"ann": 300, "bob": 0})
    await configure(gql, clawbackPolicy="DENY")
    transfer = (await send(gql, "ann", codes["bob"], 100))["transfer"]
    await redeem(gql, "bob", 70)
    entries = {name: len(await ledger(gql, name)) for name in ("ann", "bob")}
    refused = await reverse(gql, transfer["id"])
    assert errors(refused) == ["CLAWBACK_DENIED"]
    assert refused["userErrors"][0]["field"] is None
    assert await balance(gql, "bob") == bal(30)
    assert {name: len(await ledger(gql, name)) for name in ("ann", "bob")} == entries
    [seen] = await my_transfers(gql, "ann")
    assert seen["status"] == "COMPLETED"


async def test_reversal_needs_an_admin_a_real_transfer_and_a_reason(gql: GraphQLClient) -> None:
    codes = await setup(gql, {"ann": 300, "bob": 0})
    transfer = (await send(gql, "ann", codes["bob"], 100))["transfer"]
    body = await gql.post(
        "mutation($input: ReverseTransferInput!) { reverseTransfer(input: $input) { replayed } }",
        {"input": {"idempotencyKey": key(), "transferId": transfer["id"], "reason": "x"}},
        bearer=member_token("ann"),
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert errors(await reverse(gql, transfer["receivedEntryId"])) == ["INVALID_ID"]
    assert errors(await reverse(gql, transfer["id"], " ")) == ["INVALID_REASON"]
    assert await balance(gql, "bob") == bal(100)


async def test_the_message_is_in_both_exports_and_goes_with_either_members_erasure(
    gql: GraphQLClient,
) -> None:
    codes = await setup(gql, {"ann": 300, "bob": 0})
    transfer = (await send(gql, "ann", codes["bob"], 100, message="Thanks for lunch"))["transfer"]
    for name, direction in (("ann", "SENT"), ("bob", "RECEIVED")):
        document = await exported(gql, member_token(name))
        [row] = document["pointsTransfers"]
        assert (row["direction"], row["points"], row["message"]) == (
            direction,
            100,
            "Thanks for lunch",
        )
    await erase(gql, bearer=member_token("bob"))
    [seen] = await my_transfers(gql, "ann")
    assert (seen["message"], seen["recipientName"], seen["points"]) == (None, "Erased member", 100)
    assert mentions(await exported(gql, member_token("ann")), "Thanks for lunch") == []
    # The points and both entries stay: the ledger still adds up, and can still be reversed.
    assert (await reverse(gql, transfer["id"]))["userErrors"] == []
    await assert_ledger_audits_clean()
