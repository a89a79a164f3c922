"""`why` on what is chosen for a member: awards, tier changes, rewards within reach."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import GraphQLClient
from tests.e2e.points_helpers import ADMIN, award_manual, award_order, configure, member_token
from tests.e2e.rewards_helpers import create_reward
from tests.e2e.tier_helpers import ASSIGN, configure_tiers

pytestmark = pytest.mark.e2e

WHY = "why { summary factors { name value } dataUsed purposes }"
LEDGER = f"{{ me {{ ledger(first: 5) {{ edges {{ node {{ points {WHY} }} }} }} }} }}"
TIERS = f"{{ me {{ tier {{ history(first: 5) {{ edges {{ node {{ toTier {WHY} }} }} }} }} }} }}"
REACH = f"{{ me {{ rewardsWithinReach {{ reward {{ name }} pointsNeeded {WHY} }} }} }}"


def factors(why: dict[str, object]) -> dict[str, str]:
    return {f["name"]: f["value"] for f in why["factors"]}  # type: ignore[attr-defined]


async def test_an_order_award_says_how_its_points_came_about(gql: GraphQLClient, ann: str) -> None:
    await configure(gql, earnRate="1", bonuses=[{"multiplier": "2", "category": "shoes"}])
    lines = [{"sku": "S", "quantity": 1, "unitPrice": "20.00", "category": "shoes"}]
    await award_order(gql, ann, "1001", "30.00", lines=lines)
    await award_manual(gql, ann, 5)
    data = await gql.ok(LEDGER, bearer=member_token(ann))
    manual, order = [edge["node"] for edge in data["me"]["ledger"]["edges"]]
    why = order["why"]
    assert why["summary"].startswith(f"{order['points']} points earned: Order 1001.")
    assert factors(why)["reason"] == "ORDER"
    assert factors(why)["source"] == "order:1001"
    assert "BASE" in factors(why)
    assert "BONUS" in factors(why)
    assert why["dataUsed"] == ["purchase history", "loyalty activity"]
    assert why["purposes"] == ["account"]
    assert manual["why"]["dataUsed"] == ["loyalty activity"]
    assert manual["why"]["summary"] == "5 points earned: Goodwill."


async def test_a_tier_change_says_which_rule_moved_it(gql: GraphQLClient, ann: str) -> None:
    await configure_tiers(gql)
    await award_order(gql, ann, "o-1", "150.00")
    await gql.ok(
        ASSIGN, {"input": {"externalId": ann, "tierKey": "gold", "reason": "VIP"}}, bearer=ADMIN
    )
    data = await gql.ok(TIERS, bearer=member_token(ann))
    assigned, qualified = [e["node"] for e in data["me"]["tier"]["history"]["edges"]][:2]
    assert qualified["toTier"] == "silver"
    assert qualified["why"]["summary"] == (
        "Your tier moved from base to silver: your qualifying points reached silver's "
        "threshold of 100."
    )
    assert factors(qualified["why"]) == {
        "reason": "QUALIFIED",
        "fromTier": "base",
        "toTier": "silver",
        "metric": "POINTS",
        "threshold": "100",
    }
    assert qualified["why"]["purposes"] == ["account"]
    assert factors(assigned["why"])["note"] == "VIP"
    assert "staff assigned you gold" in assigned["why"]["summary"]


async def test_a_suggested_reward_says_why_it_was_suggested(gql: GraphQLClient, ann: str) -> None:
    await award_manual(gql, ann, 1000)
    await create_reward(gql, name="near", pointsCost=1050)
    data = await gql.ok(REACH, bearer=member_token(ann))
    [suggestion] = data["me"]["rewardsWithinReach"]
    why = suggestion["why"]
    assert why["summary"] == (
        "Suggested because you are close to near: you have 1000 of its 1050 points (95%), "
        "50 points to go."
    )
    assert factors(why) == {
        "price": "1050",
        "balance": "1000",
        "pointsNeeded": "50",
        "progressPercent": "95",
    }
    assert why["purposes"] == ["personalization"]
    assert why["dataUsed"] == ["loyalty activity"]
