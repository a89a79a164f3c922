"""Catalog rewards as referral rewards, through GraphQL: given to both sides at conversion at no
points cost under each reward's own rules, refused without stopping the points, taken back by a
return while unused and kept once used."""

from __future__ import annotations

from typing import Any

import pytest

from api.auth import Role
from tests.conftest import token
from tests.e2e.conftest import GraphQLClient, enroll, provision
from tests.e2e.points_helpers import (
    ADMIN,
    award_manual,
    award_order,
    balance,
    member_token,
    reverse,
)
from tests.e2e.referral_helpers import code_of, configure_referrals, enroll_with
from tests.e2e.rewards_helpers import (
    CANCEL,
    UPDATE,
    USED,
    act,
    assert_audits_clean,
    create_reward,
    payload,
    redeem_reward,
)

pytestmark = pytest.mark.e2e

GIFTS = """{ redemptions(first: 10) { edges { node { id points status giftSource code
  reward { id } } } } }"""
REFERRALS = """{ referrals(first: 10) { edges { node { id status rewardedPoints
  referrerReward { rewardId redemptionId outcome refusal }
  refereeReward { rewardId redemptionId outcome refusal } } } } }"""
SETTINGS = "{ referralSettings { referrerRewardId refereeRewardId referrerPoints } }"
EVENTS = """{ events(first: 50, types: ["reward.granted", "reward.redemption_cancelled"]) {
  edges { node { type payload } } } }"""


@pytest.fixture
async def ann(gql: GraphQLClient) -> str:
    await provision(gql)
    await enroll(gql, "ann")
    return "ann"


def _code(**fields: Any) -> dict[str, Any]:
    return {"kind": "DISCOUNT_CODE", "discount": {"type": "FREE_SHIPPING"}, **fields}


async def _gifts(gql: GraphQLClient, external_id: str) -> list[dict[str, Any]]:
    data = await gql.ok(GIFTS, bearer=member_token(external_id))
    return [edge["node"] for edge in data["redemptions"]["edges"]]


async def _referral(gql: GraphQLClient) -> dict[str, Any]:
    data = await gql.ok(REFERRALS, bearer=ADMIN)
    [edge] = data["referrals"]["edges"]
    node: dict[str, Any] = edge["node"]
    return node


async def _stock_left(gql: GraphQLClient, reward_id: str) -> int:
    left: int = (await payload(gql, UPDATE, {"id": reward_id}))["reward"]["stock"]["left"]
    return left


async def _events(gql: GraphQLClient) -> list[str]:
    data = await gql.ok(EVENTS, bearer=ADMIN)
    return [edge["node"]["type"] for edge in data["events"]["edges"]]


async def _convert(gql: GraphQLClient, ann: str, referrer: str, referee: str) -> None:
    configured = await configure_referrals(gql, referrerRewardId=referrer, refereeRewardId=referee)
    assert configured["userErrors"] == [], configured
    await enroll_with(gql, "bob", await code_of(gql, ann))
    await award_order(gql, "bob", "o-1", "50.00")


async def test_both_sides_get_their_catalog_reward_at_no_points_cost(
    gql: GraphQLClient, ann: str
) -> None:
    voucher = await create_reward(gql, **_code(name="Free shipping", stock=5))
    mug = await create_reward(gql, name="Mug", pointsCost=1000)
    await _convert(gql, ann, voucher["id"], mug["id"])

    settings = (await gql.ok(SETTINGS, bearer=ADMIN))["referralSettings"]
    assert settings == {
        "referrerRewardId": voucher["id"],
        "refereeRewardId": mug["id"],
        "referrerPoints": 500,
    }
    [given] = await _gifts(gql, ann)
    assert (given["points"], given["status"], given["reward"]["id"]) == (
        0,
        "CONFIRMED",
        voucher["id"],
    )
    assert given["giftSource"].startswith("referral:")
    assert len(given["code"]) == 12
    [welcome] = await _gifts(gql, "bob")
    assert (welcome["points"], welcome["reward"]["id"], welcome["code"]) == (0, mug["id"], None)
    assert await _stock_left(gql, voucher["id"]) == 4
    # The points part as before: nothing was spent on the rewards.
    assert (await balance(gql, ann))["available"] == 500
    assert (await balance(gql, "bob"))["available"] == 50 + 200

    referral = await _referral(gql)
    assert referral["status"] == "CONVERTED"
    assert referral["referrerReward"] == {
        "rewardId": voucher["id"],
        "redemptionId": given["id"],
        "outcome": "GRANTED",
        "refusal": None,
    }
    assert referral["refereeReward"]["outcome"] == "GRANTED"
    assert await _events(gql) == ["reward.granted", "reward.granted"]
    await assert_audits_clean()


async def test_a_reward_that_cannot_be_given_is_refused_and_the_points_are_given(
    gql: GraphQLClient, ann: str
) -> None:
    empty_pool = await create_reward(
        gql, **_code(name="Partner voucher", codeSource="POOL", stock=3)
    )
    withdrawn = await create_reward(gql, name="Old mug")
    await payload(gql, UPDATE, {"id": withdrawn["id"], "active": False})
    await _convert(gql, ann, empty_pool["id"], withdrawn["id"])

    assert (await balance(gql, ann))["available"] == 500
    assert (await balance(gql, "bob"))["available"] == 50 + 200
    assert await _gifts(gql, ann) == []
    assert await _gifts(gql, "bob") == []
    assert await _stock_left(gql, empty_pool["id"]) == 3  # the unit taken went back
    referral = await _referral(gql)
    assert referral["status"] == "CONVERTED"
    assert referral["referrerReward"] == {
        "rewardId": empty_pool["id"],
        "redemptionId": None,
        "outcome": "REFUSED",
        "refusal": "OUT_OF_STOCK",
    }
    assert (referral["refereeReward"]["outcome"], referral["refereeReward"]["refusal"]) == (
        "REFUSED",
        "NOT_AVAILABLE",
    )
    assert await _events(gql) == []
    await assert_audits_clean()


async def test_a_gift_counts_toward_the_rewards_per_member_limit(
    gql: GraphQLClient, ann: str
) -> None:
    mug = await create_reward(gql, pointsCost=10, memberLimit={"count": 1, "period": "LIFETIME"})
    await award_manual(gql, ann, 10)
    assert (await redeem_reward(gql, ann, mug["id"]))["userErrors"] == []
    await _convert(gql, ann, mug["id"], mug["id"])

    referral = await _referral(gql)
    assert (referral["referrerReward"]["outcome"], referral["referrerReward"]["refusal"]) == (
        "REFUSED",
        "LIMIT_REACHED",
    )
    assert referral["refereeReward"]["outcome"] == "GRANTED"
    again = await redeem_reward(gql, "bob", mug["id"])  # bob's gift used up its limit
    assert [e["code"] for e in again["userErrors"]] == ["LIMIT_REACHED"]
    await assert_audits_clean()


async def test_a_full_return_takes_an_unused_reward_back_and_keeps_a_used_one(
    gql: GraphQLClient, ann: str
) -> None:
    voucher = await create_reward(gql, **_code(name="Free shipping", stock=5))
    await _convert(gql, ann, voucher["id"], voucher["id"])
    [welcome] = await _gifts(gql, "bob")
    used = await act(gql, USED, welcome["id"])
    assert used["userErrors"] == [], used

    returned = await reverse(gql, "o-1", "r-1", "50.00")
    assert returned["userErrors"] == [], returned

    referral = await _referral(gql)
    assert referral["status"] == "REVERSED"
    assert referral["referrerReward"]["outcome"] == "TAKEN_BACK"
    assert referral["refereeReward"]["outcome"] == "KEPT_USED"
    assert [gift["status"] for gift in await _gifts(gql, ann)] == ["CANCELLED"]
    assert [gift["status"] for gift in await _gifts(gql, "bob")] == ["CONFIRMED"]
    assert await _stock_left(gql, voucher["id"]) == 4  # the referrer's unit is back
    assert (await balance(gql, ann))["available"] == 0
    assert (await _events(gql))[0] == "reward.redemption_cancelled"
    await assert_audits_clean()


async def test_a_gift_cancelled_before_the_return_is_taken_back_already(
    gql: GraphQLClient, ann: str
) -> None:
    voucher = await create_reward(gql, **_code(name="Free shipping", stock=5))
    await _convert(gql, ann, voucher["id"], voucher["id"])
    [gift] = await _gifts(gql, ann)
    cancelled = await act(gql, CANCEL, gift["id"])
    assert cancelled["userErrors"] == [], cancelled
    assert cancelled["redemption"]["status"] == "CANCELLED"
    assert (await balance(gql, ann))["available"] == 500  # no points were refunded for it
    assert await _stock_left(gql, voucher["id"]) == 4

    await reverse(gql, "o-1", "r-1", "50.00")
    referral = await _referral(gql)
    assert referral["referrerReward"]["outcome"] == "TAKEN_BACK"
    assert referral["refereeReward"]["outcome"] == "TAKEN_BACK"
    assert await _stock_left(gql, voucher["id"]) == 5
    await assert_audits_clean()


async def test_settings_name_only_rewards_of_the_program(gql: GraphQLClient, ann: str) -> None:
    await provision(gql, "other")
    foreign = await payload(
        gql,
        "mutation($input: CreateRewardInput!) { createReward(input: $input) { reward { id } } }",
        {"name": "Theirs", "kind": "PHYSICAL_ITEM", "pointsCost": 10},
        bearer=token(Role.ADMIN, "other"),
    )
    referral_id = "UmVmZXJyYWw6MQ=="  # Referral:1, not a Reward id
    refused = await configure_referrals(
        gql, referrerRewardId=referral_id, refereeRewardId="not an id", windowDays=0
    )
    assert {(tuple(e["field"]), e["code"]) for e in refused["userErrors"]} == {
        (("input", "referrerRewardId"), "INVALID_ID"),
        (("input", "refereeRewardId"), "INVALID_ID"),
        (("input", "windowDays"), "INVALID_REFERRAL_CONFIG"),
    }
    refused = await configure_referrals(gql, refereeRewardId=foreign["reward"]["id"], windowDays=0)
    assert {(tuple(e["field"]), e["code"]) for e in refused["userErrors"]} == {
        (("input", "refereeRewardId"), "REWARD_NOT_FOUND"),
        (("input", "windowDays"), "INVALID_REFERRAL_CONFIG"),
    }
    assert (await gql.ok(SETTINGS, bearer=ADMIN))["referralSettings"] is None
