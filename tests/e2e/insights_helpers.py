"""Helpers for the segments and RFM tests: consent, the RFM job, and segment mutations."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tortoise import connections

from api.auth import Role
from backbone.bus import MessageBus
from domain.clock import FixedClock
from loyalty.insights.models import MemberPrediction
from tests.conftest import START, token
from tests.e2e.conftest import GraphQLClient, enroll, provision
from tests.e2e.points_helpers import award_order, member_token

ADMIN = token(Role.ADMIN)
CONSENT = """mutation($input: UpdateConsentsInput!) { updateConsents(input: $input) {
  userErrors { field message code } } }"""
RFM = "recencyDays frequency monetary recencyScore frequencyScore monetaryScore computedAt"
SEGMENT = """id name description behavioural memberVisible archivedAt
  rules { all { field operator number texts withinDays } any { field operator number texts } }"""
CREATE = f"""mutation($input: CreateSegmentInput!) {{ createSegment(input: $input) {{
  segment {{ {SEGMENT} }} userErrors {{ field message code }} }} }}"""
UPDATE = f"""mutation($input: UpdateSegmentInput!) {{ updateSegment(input: $input) {{
  segment {{ {SEGMENT} }} userErrors {{ field message code }} }} }}"""
ARCHIVE = f"""mutation($input: ArchiveSegmentInput!) {{ archiveSegment(input: $input) {{
  segment {{ {SEGMENT} }} userErrors {{ field message code }} }} }}"""
MEMBERS = """query($id: ID!, $first: Int, $after: String) { segment(id: $id) { size
  members(first: $first, after: $after) { edges { cursor node { externalId } }
  pageInfo { hasNextPage endCursor } } } }"""


async def set_profiling(gql: GraphQLClient, who: str, granted: bool) -> None:
    data = await gql.ok(
        CONSENT,
        {"input": {"changes": [{"purpose": "profiling", "granted": granted}]}},
        bearer=member_token(who),
    )
    assert data["updateConsents"]["userErrors"] == []


async def order_at(
    gql: GraphQLClient, clock: FixedClock, who: str, order_id: str, total: str, days: float
) -> None:
    """An order placed `days` after the test clock's start."""
    clock.set(START + timedelta(days=days))
    payload = await award_order(gql, who, order_id, total)
    assert payload["userErrors"] == [], payload


async def run_rfm_job(bus: MessageBus) -> Any:
    [job] = [job for job in bus.registry.jobs if job.name == "insights.rfm"]
    return await job.run(bus)


def condition(field: str, operator: str, **value: Any) -> dict[str, Any]:
    return {"field": field, "operator": operator, **value}


async def create_segment(
    gql: GraphQLClient,
    name: str,
    *,
    all: list[dict[str, Any]] | None = None,
    any: list[dict[str, Any]] | None = None,
    bearer: str = ADMIN,
    **more: Any,
) -> dict[str, Any]:
    data = await gql.ok(
        CREATE,
        {"input": {"name": name, "rules": {"all": all or [], "any": any or []}, **more}},
        bearer=bearer,
    )
    payload: dict[str, Any] = data["createSegment"]
    return payload


async def members_of(gql: GraphQLClient, segment_id: str, *, first: int = 100) -> list[str]:
    """Every member of the segment, page by page."""
    found: list[str] = []
    after = None
    while True:
        data = await gql.ok(
            MEMBERS, {"id": segment_id, "first": first, "after": after}, bearer=ADMIN
        )
        page = data["segment"]["members"]
        found += [edge["node"]["externalId"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


async def seed_members(gql: GraphQLClient, *names: str, consenting: tuple[str, ...]) -> None:
    await provision(gql)
    for name in names:
        await enroll(gql, name)
    for name in consenting:
        await set_profiling(gql, name, True)


async def predict(name: str, churn: float, next_order_in_days: float | None = None) -> None:
    """A prediction row as the predictions job writes it (that job is another area's)."""
    expected = None if next_order_in_days is None else START + timedelta(days=next_order_in_days)
    [row] = await connections.get("default").execute_query_dict(
        "SELECT id, program_id FROM member WHERE external_id = $1", [name]
    )
    await MemberPrediction.create(
        member_id=row["id"], program_id=row["program_id"], churn_probability=churn,
        expected_orders_90d=0.5, expected_next_order_at=expected, why=[], model_version="test-1",
        computed_at=START,
    )  # fmt: skip
