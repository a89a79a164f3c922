"""Helpers for the rewards end-to-end tests: catalog and redemption mutations over GraphQL."""

from __future__ import annotations

from typing import Any

from loyalty.models import Program
from loyalty.rewards.audit import audit_rewards
from tests.e2e.conftest import GraphQLClient
from tests.e2e.points_helpers import ADMIN, STORE, assert_ledger_audits_clean, key

REWARD = """id name description imageUrl kind discount { type amount { amount currency } percentage }
  codeSource pointsCost tierPrices { tier points } tierGate stock { total left }
  memberLimit { count period } availableFrom availableUntil active refundable"""
ERRORS = "userErrors { field message code }"
CREATE = f"""mutation($input: CreateRewardInput!) {{
  createReward(input: $input) {{ reward {{ {REWARD} }} {ERRORS} }} }}"""
UPDATE = f"""mutation($input: UpdateRewardInput!) {{
  updateReward(input: $input) {{ reward {{ {REWARD} }} {ERRORS} }} }}"""
IMPORT = f"""mutation($input: ImportRewardCodesInput!) {{
  importRewardCodes(input: $input) {{ imported {ERRORS} }} }}"""
CONFIGURE = f"""mutation($input: ConfigureRewardsInput!) {{
  configureRewards(input: $input) {{ settings {{ holdMinutes withinReachPercent }} {ERRORS} }} }}"""
REDEMPTION = """id points status code codeUsed holdExpiresAt reward { id name }
  member { externalId }"""
PAYLOAD = f"""redemption {{ {REDEMPTION} }}
  balance {{ available held lifetimeEarned }} replayed {ERRORS}"""
REDEEM = (
    f"""mutation($input: RedeemRewardInput!) {{ redeemReward(input: $input) {{ {PAYLOAD} }} }}"""
)
CONFIRM = (
    f"""mutation($input: RedemptionInput!) {{ confirmRedemption(input: $input) {{ {PAYLOAD} }} }}"""
)
CANCEL = (
    f"""mutation($input: RedemptionInput!) {{ cancelRedemption(input: $input) {{ {PAYLOAD} }} }}"""
)
USED = f"""mutation($input: RedemptionInput!) {{
  markRedemptionCodeUsed(input: $input) {{ {PAYLOAD} }} }}"""
LIST = f"""query($first: Int, $after: String, $affordable: Boolean, $kind: RewardKind, $ext: String) {{
  rewards(first: $first, after: $after, affordable: $affordable, kind: $kind, externalId: $ext) {{
    edges {{ node {{ {REWARD} }} }} pageInfo {{ hasNextPage endCursor }} }} }}"""


async def payload(
    gql: GraphQLClient, mutation: str, input: dict[str, Any], *, bearer: str = ADMIN
) -> dict[str, Any]:
    data = await gql.ok(mutation, {"input": input}, bearer=bearer)
    [found] = data.values()
    result: dict[str, Any] = found
    return result


async def create_reward(gql: GraphQLClient, **fields: Any) -> dict[str, Any]:
    """A reward, by default a 100-point physical item with unlimited stock."""
    spec = {"name": "Mug", "kind": "PHYSICAL_ITEM", "pointsCost": 100, **fields}
    result = await payload(gql, CREATE, spec)
    assert result["userErrors"] == [], result
    reward: dict[str, Any] = result["reward"]
    return reward


async def redeem_reward(
    gql: GraphQLClient,
    external_id: str,
    reward_id: str,
    *,
    hold: bool = False,
    idem: str | None = None,
    bearer: str = STORE,
) -> dict[str, Any]:
    input = {"idempotencyKey": idem or key(), "rewardId": reward_id, "hold": hold}
    if external_id:
        input["externalId"] = external_id
    return await payload(gql, REDEEM, input, bearer=bearer)


async def act(gql: GraphQLClient, mutation: str, redemption_id: str) -> dict[str, Any]:
    return await payload(gql, mutation, {"redemptionId": redemption_id}, bearer=STORE)


async def listing(gql: GraphQLClient, bearer: str, **variables: Any) -> dict[str, Any]:
    data = await gql.ok(LIST, variables, bearer=bearer)
    connection: dict[str, Any] = data["rewards"]
    return connection


def names(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["name"] for edge in connection["edges"]]


async def assert_audits_clean(program: str = "acme") -> None:
    """The ledger and the rewards audits find nothing."""
    await assert_ledger_audits_clean(program)
    found = await Program.get(key=program)
    assert await audit_rewards(found.id) == []
