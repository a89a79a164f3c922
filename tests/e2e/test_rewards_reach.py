"""Rewards within reach on the member status document: nearest first, explained, within the
program's percentage, and a constant handful of queries whatever the catalog's size."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import GraphQLClient
from tests.e2e.points_helpers import award_manual, member_token
from tests.e2e.rewards_helpers import CONFIGURE, create_reward, payload, redeem_reward
from tests.e2e.test_query_counts import _queries

pytestmark = pytest.mark.e2e

REACH = """query($first: Int!) { me { rewardsWithinReach(first: $first) {
  reward { name } price pointsNeeded progressPercent explanation } } }"""
STATUS = """{ me { points { available held pending }
  rewardsWithinReach { reward { id name stock { left } } pointsNeeded explanation } } }"""


async def _reach(gql: GraphQLClient, who: str, first: int = 10) -> list[dict[str, object]]:
    data = await gql.ok(REACH, {"first": first}, bearer=member_token(who))
    found: list[dict[str, object]] = data["me"]["rewardsWithinReach"]
    return found


async def test_nearest_first_with_the_points_needed_and_why(gql: GraphQLClient, ann: str) -> None:
    await award_manual(gql, ann, 1000)
    for name, cost in (
        ("far", 1251),
        ("quarter", 1250),
        ("near", 1050),
        ("owned", 900),
        ("mid", 1100),
    ):
        await create_reward(gql, name=name, pointsCost=cost)
    await create_reward(gql, name="sold out", pointsCost=1010, stock=0)
    await create_reward(gql, name="withdrawn", pointsCost=1010, active=False)
    found = await _reach(gql, ann)
    assert [(s["reward"]["name"], s["pointsNeeded"]) for s in found] == [  # type: ignore[index]
        ("near", 50),
        ("mid", 100),
        ("quarter", 250),
    ]
    assert found[0]["progressPercent"] == 95
    assert found[0]["explanation"] == (
        "50 more points for near: you have 1000 of its 1050 points (95%), and what is missing "
        "is within 25% of your balance."
    )
    assert len(await _reach(gql, ann, first=1)) == 1
    await payload(gql, CONFIGURE, {"withinReachPercent": 6})
    assert [s["reward"]["name"] for s in await _reach(gql, ann)] == ["near"]  # type: ignore[index]
    bad = await gql.post(REACH, {"first": 0}, bearer=member_token(ann))
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_reward_at_its_limit_is_not_suggested(gql: GraphQLClient, ann: str) -> None:
    await award_manual(gql, ann, 100)
    reward = await create_reward(
        gql, name="once", pointsCost=90, memberLimit={"count": 1, "period": "YEAR"}
    )
    await redeem_reward(gql, ann, reward["id"])
    await create_reward(gql, name="other", pointsCost=12)
    assert [s["reward"]["name"] for s in await _reach(gql, ann)] == ["other"]  # type: ignore[index]


async def test_the_status_document_costs_the_same_for_1_or_40_rewards(
    gql: GraphQLClient, ann: str
) -> None:
    await award_manual(gql, ann, 100)
    await create_reward(gql, name="r-0", pointsCost=110)
    one = await _queries(gql, STATUS, member_token(ann))
    for n in range(1, 40):
        await create_reward(gql, name=f"r-{n}", pointsCost=101 + n, stock=5)
    many = await _queries(gql, STATUS, member_token(ann))
    # program, member with balance, tier, the candidates (with their settings)
    assert many == one <= 5
