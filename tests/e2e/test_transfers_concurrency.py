"""Transfers under real concurrent requests: one sender never overdraws, opposite transfers do not
deadlock, one key makes one transfer, and a recipient's daily cap holds."""

from __future__ import annotations

import asyncio

import pytest

from tests.e2e.conftest import GraphQLClient
from tests.e2e.points_helpers import assert_ledger_audits_clean, bal, balance, errors, key
from tests.e2e.transfer_helpers import my_transfers, reverse, send, setup

pytestmark = pytest.mark.e2e


async def test_twenty_concurrent_transfers_from_one_sender_never_overdraw(
    gql: GraphQLClient,
) -> None:
    codes = await setup(gql, {"ann": 1_000, "bob": 0, "cy": 0})
    answers = await asyncio.gather(
        *(send(gql, "ann", codes["bob" if i % 2 else "cy"], 70) for i in range(20))
    )
    done = [answer for answer in answers if not answer["userErrors"]]
    refused = [errors(answer) for answer in answers if answer["userErrors"]]
    assert len(done) == 14  # 14 x 70 = 980 of 1,000
    assert refused == [["INSUFFICIENT_POINTS"]] * 6
    assert await balance(gql, "ann") == bal(20, lifetime=1_000)
    received = (await balance(gql, "bob"))["available"] + (await balance(gql, "cy"))["available"]
    assert received == 980
    assert len(await my_transfers(gql, "ann")) == 14
    await assert_ledger_audits_clean()


async def test_opposite_transfers_at_once_do_not_deadlock(gql: GraphQLClient) -> None:
    codes = await setup(gql, {"ann": 1_000, "bob": 1_000})
    answers = await asyncio.gather(
        *(send(gql, "ann", codes["bob"], 10) for _ in range(10)),
        *(send(gql, "bob", codes["ann"], 20) for _ in range(10)),
        *(
            reverse(gql, transfer["id"])
            for transfer in [(await send(gql, "ann", codes["bob"], 5))["transfer"]]
        ),
    )
    assert [answer["userErrors"] for answer in answers] == [[]] * 21
    assert await balance(gql, "ann") == bal(1_100, lifetime=1_000)
    assert await balance(gql, "bob") == bal(900, lifetime=1_000)
    await assert_ledger_audits_clean()


async def test_one_key_sent_concurrently_makes_one_transfer(gql: GraphQLClient) -> None:
    codes = await setup(gql, {"ann": 1_000, "bob": 0})
    idem = key()
    answers = await asyncio.gather(
        *(send(gql, "ann", codes["bob"], 40, idem=idem) for _ in range(8))
    )
    assert {answer["transfer"]["id"] for answer in answers} == {answers[0]["transfer"]["id"]}
    assert sorted(answer["replayed"] for answer in answers) == [False] + [True] * 7
    assert await balance(gql, "bob") == bal(40)
    assert len(await my_transfers(gql, "ann")) == 1


async def test_a_recipients_daily_cap_holds_against_concurrent_senders(gql: GraphQLClient) -> None:
    senders = {f"s{i}": 500 for i in range(8)}
    codes = await setup(gql, {**senders, "bob": 0}, maxPoints=100, dailyReceivedCap=300)
    answers = await asyncio.gather(*(send(gql, name, codes["bob"], 100) for name in senders))
    assert sum(1 for answer in answers if not answer["userErrors"]) == 3
    assert {code for answer in answers for code in errors(answer)} == {
        "TRANSFER_DAILY_RECEIVED_CAP"
    }
    assert await balance(gql, "bob") == bal(300)
