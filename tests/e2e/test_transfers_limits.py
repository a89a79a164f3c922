"""The program's transfer limits and fraud caps: each refusal has its own code and writes
nothing (no transfer, no entry on either side, balances as they were)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from domain.clock import FixedClock
from tests.e2e.conftest import GraphQLClient
from tests.e2e.points_helpers import STORE, bal, balance, errors, ledger, member_token
from tests.e2e.privacy_helpers import erase
from tests.e2e.referral_helpers import REGENERATE, code_of
from tests.e2e.transfer_helpers import configure_transfers, my_transfers, send, setup

pytestmark = pytest.mark.e2e

UPDATE = """mutation($input: UpdateMemberInput!) {
  updateMember(input: $input) { userErrors { field code } } }"""


async def _nothing_written(gql: GraphQLClient, before: dict[str, Any]) -> None:
    for name, (points, entries) in before.items():
        assert await balance(gql, name) == points, name
        assert len(await ledger(gql, name)) == entries, name
        assert await my_transfers(gql, name) == [], name


async def _state(gql: GraphQLClient, *names: str) -> dict[str, Any]:
    return {name: (await balance(gql, name), len(await ledger(gql, name))) for name in names}


async def test_each_limit_is_refused_with_its_code_and_nothing_is_written(
    gql: GraphQLClient,
) -> None:
    codes = await setup(
        gql, {"ann": 10_000, "bob": 0}, minPoints=10, maxPoints=500,
        dailySentCap=600, dailyReceivedCap=600,
    )  # fmt: skip
    before = await _state(gql, "ann", "bob")
    cases = [
        (5, codes["bob"], None, "TRANSFER_BELOW_MINIMUM"),
        (501, codes["bob"], None, "TRANSFER_ABOVE_MAXIMUM"),
        (50, codes["ann"], None, "SELF_TRANSFER"),
        (50, "ZZZZZZZZ", None, "RECIPIENT_UNAVAILABLE"),
        (50, "not a code at all", None, "RECIPIENT_UNAVAILABLE"),
        (50, codes["bob"], "two\nlines", "INVALID_TRANSFER_MESSAGE"),
        (50, codes["bob"], "x" * 141, "INVALID_TRANSFER_MESSAGE"),
    ]
    for points, recipient, message, code in cases:
        refused = await send(gql, "ann", recipient, points, message=message)
        assert errors(refused) == [code], (points, recipient, refused)
        assert refused["transfer"] is None
    await _nothing_written(gql, before)
    # A code is read as people type it: lower case and hyphens are the same code.
    typed = codes["bob"].lower()[:4] + "-" + codes["bob"].lower()[4:]
    assert (await send(gql, "ann", typed, 10))["userErrors"] == []


async def test_the_daily_caps_count_the_programs_day_for_sender_and_recipient(
    gql: GraphQLClient, clock: FixedClock
) -> None:
    codes = await setup(
        gql, {"ann": 5_000, "bob": 5_000, "cy": 0}, maxPoints=500,
        dailySentCap=700, dailyReceivedCap=900,
    )  # fmt: skip
    assert (await send(gql, "ann", codes["cy"], 500))["userErrors"] == []
    over = await send(gql, "ann", codes["cy"], 201)
    assert errors(over) == ["TRANSFER_DAILY_SENT_CAP"]
    assert "200 more" in over["userErrors"][0]["message"]
    assert (await send(gql, "bob", codes["cy"], 400))["userErrors"] == []
    full = await send(gql, "bob", codes["cy"], 1)
    assert errors(full) == ["TRANSFER_DAILY_RECEIVED_CAP"]
    assert await balance(gql, "cy") == bal(900)
    # A new day in the program's time zone: both caps start again.
    clock.advance(timedelta(days=1))
    assert (await send(gql, "ann", codes["cy"], 200))["userErrors"] == []
    assert (await send(gql, "bob", codes["cy"], 1))["userErrors"] == []


async def test_new_members_cannot_send_until_their_membership_is_old_enough(
    gql: GraphQLClient, clock: FixedClock
) -> None:
    codes = await setup(gql, {"ann": 100, "bob": 0}, minMembershipDays=7)
    refused = await send(gql, "ann", codes["bob"], 10)
    assert errors(refused) == ["MEMBERSHIP_TOO_RECENT"]
    # Receiving is not gated: the risk is an account made to funnel its welcome points away.
    clock.advance(timedelta(days=7))
    assert (await send(gql, "ann", codes["bob"], 10))["userErrors"] == []
    assert (await send(gql, "bob", codes["ann"], 10))["userErrors"] == []


async def test_suspended_and_erased_members_neither_send_nor_receive(gql: GraphQLClient) -> None:
    codes = await setup(gql, {"ann": 100, "bob": 100, "cy": 0})
    members = {name: await _member_id(gql, name) for name in ("ann", "bob", "cy")}
    await gql.ok(UPDATE, {"input": {"id": members["bob"], "status": "SUSPENDED"}}, bearer=STORE)
    before = await _state(gql, "ann")
    assert errors(await send(gql, "ann", codes["bob"], 10)) == ["RECIPIENT_UNAVAILABLE"]
    assert errors(await send(gql, "bob", codes["ann"], 10)) == ["MEMBER_NOT_ACTIVE"]
    assert await balance(gql, "bob") == bal(100, lifetime=100)
    await _nothing_written(gql, before)
    await erase(gql, id=members["cy"])
    assert errors(await send(gql, "ann", codes["cy"], 10)) == ["RECIPIENT_UNAVAILABLE"]
    await _nothing_written(gql, before)


async def test_the_limits_are_checked_when_set(gql: GraphQLClient) -> None:
    await setup(gql, {})
    refused = await configure_transfers(
        gql, minPoints=0, maxPoints=10, dailySentCap=5, dailyReceivedCap=200_000_000,
        minMembershipDays=-1,
    )  # fmt: skip
    fields = {error["field"][-1] for error in refused["userErrors"]}
    assert fields == {"minPoints", "dailySentCap", "dailyReceivedCap", "minMembershipDays"}
    assert {error["code"] for error in refused["userErrors"]} == {"INVALID_TRANSFER_SETTINGS"}
    kept = await configure_transfers(gql, enabled=False)
    assert kept["settings"]["enabled"] is False


async def test_a_retired_code_no_longer_reaches_its_member(gql: GraphQLClient) -> None:
    codes = await setup(gql, {"ann": 100, "bob": 0})
    data = await gql.ok(REGENERATE, {"input": {}}, bearer=member_token("bob"))
    assert data["regenerateReferralCode"]["userErrors"] == []
    assert errors(await send(gql, "ann", codes["bob"], 10)) == ["RECIPIENT_UNAVAILABLE"]
    assert (await send(gql, "ann", await code_of(gql, "bob"), 10))["userErrors"] == []


async def _member_id(gql: GraphQLClient, name: str) -> str:
    data = await gql.ok("{ me { id } }", bearer=member_token(name))
    found: str = data["me"]["id"]
    return found
