"""Redemptions under real concurrency, through the ASGI app and real PostgreSQL: exactly the
stock succeeds, the others keep their points; a per-member limit holds; codes stay distinct."""

from __future__ import annotations

import asyncio

import pytest

from tests.e2e.conftest import GraphQLClient, enroll, provision
from tests.e2e.points_helpers import award_manual, balance, errors
from tests.e2e.rewards_helpers import (
    IMPORT,
    assert_audits_clean,
    create_reward,
    payload,
    redeem_reward,
)

pytestmark = pytest.mark.e2e


async def test_100_members_race_for_10_units(gql: GraphQLClient) -> None:
    await provision(gql)
    people = [f"m-{n}" for n in range(100)]
    for who in people:
        await enroll(gql, who)
    await asyncio.gather(*(award_manual(gql, who, 250) for who in people))
    reward = await create_reward(
        gql, kind="DISCOUNT_CODE", discount={"type": "FIXED_AMOUNT", "value": "5"},
        pointsCost=200, stock=10,
    )  # fmt: skip

    results = await asyncio.gather(*(redeem_reward(gql, who, reward["id"]) for who in people))

    won = [r for r in results if r["userErrors"] == []]
    lost = [r for r in results if r["userErrors"] != []]
    assert len(won) == 10
    assert all(errors(r) == ["OUT_OF_STOCK"] and r["redemption"] is None for r in lost)
    assert len({r["redemption"]["code"] for r in won}) == 10
    winners = {r["redemption"]["member"]["externalId"] for r in won}
    for who in people:
        assert (await balance(gql, who))["available"] == (50 if who in winners else 250)
    again = await payload(gql, IMPORT, {"rewardId": reward["id"], "codes": ["X-1"]})
    assert again["userErrors"][0]["code"] == "INVALID_CODE"  # generated codes, no pool
    await assert_audits_clean()


async def test_pool_codes_under_a_race_go_to_one_redemption_each(gql: GraphQLClient) -> None:
    await provision(gql)
    people = [f"p-{n}" for n in range(30)]
    for who in people:
        await enroll(gql, who)
    await asyncio.gather(*(award_manual(gql, who, 10) for who in people))
    reward = await create_reward(
        gql, kind="DISCOUNT_CODE", discount={"type": "FREE_SHIPPING"}, codeSource="POOL",
        pointsCost=10,
    )  # fmt: skip
    await payload(
        gql, IMPORT, {"rewardId": reward["id"], "codes": [f"SHIP-{n}" for n in range(12)]}
    )
    results = await asyncio.gather(*(redeem_reward(gql, who, reward["id"]) for who in people))
    codes = [r["redemption"]["code"] for r in results if r["userErrors"] == []]
    assert sorted(codes) == sorted(f"SHIP-{n}" for n in range(12))
    assert sorted(errors(r) for r in results if r["userErrors"]) == [["OUT_OF_STOCK"]] * 18
    await assert_audits_clean()


async def test_a_member_limit_holds_under_concurrent_requests(gql: GraphQLClient, ann: str) -> None:
    await award_manual(gql, ann, 1000)
    reward = await create_reward(gql, pointsCost=10, memberLimit={"count": 3, "period": "LIFETIME"})
    results = await asyncio.gather(*(redeem_reward(gql, ann, reward["id"]) for _ in range(20)))
    assert sorted(errors(r) for r in results) == [[]] * 3 + [["LIMIT_REACHED"]] * 17
    assert (await balance(gql, ann))["available"] == 970
    await assert_audits_clean()
