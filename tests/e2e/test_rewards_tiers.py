"""Tier gates and tier prices of rewards, with the member's tier as loyalty.tiers publishes it."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import GraphQLClient
from tests.e2e.points_helpers import ADMIN, award_manual, balance, errors, member_token
from tests.e2e.rewards_helpers import create_reward, listing, names, redeem_reward

pytestmark = pytest.mark.e2e

TIERS = """mutation($input: ConfigureTiersInput!) {
  configureTiers(input: $input) { userErrors { field message code } } }"""


async def test_a_gate_refuses_other_tiers_and_a_tier_price_applies(
    gql: GraphQLClient, ann: str
) -> None:
    tiers = [
        {"key": "base", "name": "Base", "threshold": "0"},
        {"key": "gold", "name": "Gold", "threshold": "100000"},
    ]
    configured = await gql.ok(TIERS, {"input": {"tiers": tiers, "policy": {}}}, bearer=ADMIN)
    assert configured["configureTiers"]["userErrors"] == []
    await award_manual(gql, ann, 100)
    gold_only = await create_reward(gql, name="Lounge", pointsCost=10, tierGate=["gold"])
    cheap_for_base = await create_reward(
        gql, name="Mug", pointsCost=150, tierPrices=[{"tier": "base", "points": 80}]
    )
    assert errors(await redeem_reward(gql, ann, gold_only["id"])) == ["TIER_REQUIRED"]
    assert names(await listing(gql, member_token(ann), affordable=True)) == ["Mug"]
    done = await redeem_reward(gql, ann, cheap_for_base["id"])
    assert done["redemption"]["points"] == 80
    assert (await balance(gql, ann))["available"] == 20
