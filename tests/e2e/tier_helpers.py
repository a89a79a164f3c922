"""Helpers of the tier tests: configuring tiers, reading a member's tier status, the job."""

from __future__ import annotations

from typing import Any

from api.auth import Role
from backbone.bus import MessageBus
from backbone.jobs import run_now
from tests.conftest import token
from tests.e2e.conftest import GraphQLClient
from tests.e2e.points_helpers import member_token

ADMIN = token(Role.ADMIN)
TIERS = [
    {"key": "base", "name": "Base", "threshold": "0"},
    {"key": "silver", "name": "Silver", "threshold": "100", "multiplier": "1.5"},
    {"key": "gold", "name": "Gold", "threshold": "500", "multiplier": "2"},
]
# Judged every 1 October on July-September; ten days of grace.
POLICY = {"windowMonths": 3, "evaluationMonth": 10, "evaluationDay": 1, "graceDays": 10}
CONFIGURE = """mutation($input: ConfigureTiersInput!) {
  configureTiers(input: $input) {
    configuration { tiers { key threshold multiplier } policy { metric windowMonths graceDays } }
    takesEffect userErrors { field message code }
  }
}"""
REEVALUATE = """mutation($input: ReevaluateTiersInput!) {
  reevaluateTiers(input: $input) { takesEffect userErrors { field message code } }
}"""
ASSIGN = """mutation($input: AssignTierInput!) {
  assignTier(input: $input) { member { externalId tier { current { key } assigned assignedUntil } }
    userErrors { field message code } }
}"""
TIER = """tier {
  current { key name multiplier } next { key threshold }
  progress { qualifying toNext percent windowEndsOn }
  retainBy { metric amount } downgradeOn assigned assignedUntil
  history(first: 10) { edges { node { fromTier toTier reason note actor changedAt } } }
}"""
STATUS = f"{{ me {{ points {{ available }} {TIER} }} }}"


async def configure_tiers(
    gql: GraphQLClient,
    tiers: list[dict[str, Any]] | None = None,
    *,
    reevaluate: bool = False,
    **policy: Any,
) -> dict[str, Any]:
    setup = {"tiers": tiers or TIERS, "policy": {**POLICY, **policy}, "reevaluate": reevaluate}
    variables = {"input": setup}
    data = await gql.ok(CONFIGURE, variables, bearer=ADMIN)
    payload: dict[str, Any] = data["configureTiers"]
    return payload


async def tier(gql: GraphQLClient, external_id: str) -> dict[str, Any]:
    data = await gql.ok(STATUS, bearer=member_token(external_id))
    status: dict[str, Any] = data["me"]["tier"]
    return status


def history(status: dict[str, Any]) -> list[tuple[str, str, str]]:
    edges = status["history"]["edges"]
    return [(e["node"]["fromTier"], e["node"]["toTier"], e["node"]["reason"]) for e in edges]


async def evaluate(bus: MessageBus) -> Any:
    return (await run_now(bus, {"tiers.evaluate"}))["tiers.evaluate"]
