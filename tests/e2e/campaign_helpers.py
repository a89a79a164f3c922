"""Helpers of the campaign tests: campaigns over GraphQL, members' consents and preferences,
predicted reorders and churn seeded as the predictions job writes them, and the job."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from tortoise import connections

from backbone.bus import MessageBus
from backbone.jobs import run_now
from tests.e2e.conftest import GraphQLClient
from tests.e2e.points_helpers import ADMIN, member_token

JOB = "campaigns.deliver"
DAY = timedelta(days=1)
REORDER = {"trigger": "REORDER_DUE", "reorderLeadDays": 2, "name": "Time to reorder?"}
CAMPAIGN = """id name status trigger segmentId startsAt endsAt message { channel templateKey }
  surveyId offer { kind multiplier rewardId discountPercent points startsAt endsAt }
  experiment { arms { key weight } holdoutPercent } atRiskThreshold reorderLeadDays
  conversionWindowDays deliveryCounts { status count }"""
PAYLOAD = f"campaign {{ {CAMPAIGN} }} userErrors {{ field message code }}"
CREATE = f"""mutation($input: CreateCampaignInput!) {{
  createCampaign(input: $input) {{ {PAYLOAD} }} }}"""
UPDATE = f"""mutation($input: UpdateCampaignInput!) {{
  updateCampaign(input: $input) {{ {PAYLOAD} }} }}"""
SCHEDULE = f"""mutation($input: CampaignIdInput!) {{
  scheduleCampaign(input: $input) {{ {PAYLOAD} }} }}"""
CANCEL = f"""mutation($input: CampaignIdInput!) {{
  cancelCampaign(input: $input) {{ {PAYLOAD} }} }}"""
ONE = f"query($id: ID!) {{ campaign(id: $id) {{ {CAMPAIGN} }} }}"
MESSAGES = """{ events(first: 100, types: ["campaign.message_due"]) {
  edges { node { type memberId payload occurredAt } } } }"""
CONSENTS = """mutation($input: UpdateConsentsInput!) {
  updateConsents(input: $input) { userErrors { field code } } }"""
PREFERENCES = """mutation($input: UpdatePreferencesInput!) {
  updatePreferences(input: $input) { userErrors { field code } } }"""
_REORDER = """
INSERT INTO member_reorder (member_id, sku, program_id, last_ordered_at, cycle_days, due_at,
  orders, why, model_version, computed_at)
SELECT id, $2, program_id, $3, $4, $5, 3, '[]'::jsonb, 'test-cycle-1', $3 FROM member
WHERE external_id = $1
"""
_PREDICTION = """
INSERT INTO member_prediction (member_id, program_id, churn_probability, expected_orders_90d,
  why, model_version, computed_at)
SELECT id, program_id, $2, 0.5, '[]'::jsonb, $3, now() FROM member WHERE external_id = $1
ON CONFLICT (member_id) DO UPDATE SET churn_probability = EXCLUDED.churn_probability,
  model_version = EXCLUDED.model_version
"""
_DELIVERIES = """
SELECT m.external_id, d.occasion, d.arm, d.status, d.reason, d.due_at FROM campaign_delivery d
JOIN member m ON m.id = d.member_id ORDER BY d.id
"""


def campaign_input(**fields: Any) -> dict[str, Any]:
    """A SCHEDULED email campaign to every member, starting at the test's START, with `fields`."""
    base: dict[str, Any] = {
        "name": "Spring",
        "trigger": "SCHEDULED",
        "startsAt": "2026-06-15T12:00:00+00:00",
        "message": {"channel": "EMAIL", "templateKey": "spring-2026"},
    }
    return {**base, **fields}


async def create(gql: GraphQLClient, *, key: str | None = None, **fields: Any) -> dict[str, Any]:
    variables = {**campaign_input(**fields), "idempotencyKey": key or uuid.uuid4().hex}
    data = await gql.ok(CREATE, {"input": variables}, bearer=ADMIN)
    payload: dict[str, Any] = data["createCampaign"]
    return payload


async def created(gql: GraphQLClient, **fields: Any) -> dict[str, Any]:
    payload = await create(gql, **fields)
    assert payload["userErrors"] == [], payload
    campaign: dict[str, Any] = payload["campaign"]
    return campaign


async def act(gql: GraphQLClient, mutation: str, campaign_id: str) -> dict[str, Any]:
    data = await gql.ok(mutation, {"input": {"id": campaign_id}}, bearer=ADMIN)
    payload: dict[str, Any] = next(iter(data.values()))
    return payload


async def running(gql: GraphQLClient, **fields: Any) -> dict[str, Any]:
    """A campaign created and scheduled; it starts at once (startsAt is now)."""
    campaign = await created(gql, **fields)
    payload = await act(gql, SCHEDULE, campaign["id"])
    assert payload["userErrors"] == [], payload
    assert payload["campaign"]["status"] == "RUNNING"
    found: dict[str, Any] = payload["campaign"]
    return found


async def consent(
    gql: GraphQLClient, who: str, *purposes: str, granted: bool = True, program: str = "acme"
) -> None:
    changes = [{"purpose": purpose, "granted": granted} for purpose in purposes]
    bearer = member_token(who, program)
    data = await gql.ok(CONSENTS, {"input": {"changes": changes}}, bearer=bearer)
    assert data["updateConsents"]["userErrors"] == []


async def prefer(gql: GraphQLClient, who: str, **changes: Any) -> None:
    data = await gql.ok(PREFERENCES, {"input": changes}, bearer=member_token(who))
    assert data["updatePreferences"]["userErrors"] == []


async def seed_reorder(
    who: str, sku: str, *, last_ordered_at: datetime, cycle_days: float, due_at: datetime
) -> None:
    """A predicted reorder, as the predictions job writes one."""
    await connections.get("default").execute_query(
        _REORDER, [who, sku, last_ordered_at, cycle_days, due_at]
    )


async def seed_prediction(who: str, churn: float, model_version: str = "bgnbd-1") -> None:
    await connections.get("default").execute_query(_PREDICTION, [who, churn, model_version])


async def deliver(bus: MessageBus) -> dict[str, object]:
    return await run_now(bus, {JOB})


async def deliveries() -> list[dict[str, Any]]:
    rows = await connections.get("default").execute_query_dict(_DELIVERIES)
    return [dict(row) for row in rows]


async def messages(gql: GraphQLClient) -> list[dict[str, Any]]:
    data = await gql.ok(MESSAGES, bearer=ADMIN)
    return [edge["node"] for edge in data["events"]["edges"]]
