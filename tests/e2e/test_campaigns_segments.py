"""Campaigns aimed at segments: a behavioural segment only ever reaches members who consent to
profiling, a plain one reaches everyone in it; cancelling stops a campaign at once."""

from __future__ import annotations

from typing import Any

from backbone.bus import MessageBus
from tests.e2e.campaign_helpers import CANCEL, act, consent, created, deliver, deliveries, running
from tests.e2e.conftest import GraphQLClient, enroll, provision
from tests.e2e.points_helpers import ADMIN
from tests.e2e.prediction_helpers import statements

CREATE_SEGMENT = """mutation($input: CreateSegmentInput!) { createSegment(input: $input) {
  segment { id behavioural } userErrors { field code } } }"""


async def _segment(gql: GraphQLClient, name: str, condition: dict[str, Any]) -> dict[str, Any]:
    variables = {"input": {"name": name, "rules": {"all": [condition]}}}
    data = await gql.ok(CREATE_SEGMENT, variables, bearer=ADMIN)
    payload = data["createSegment"]
    assert payload["userErrors"] == [], payload
    segment: dict[str, Any] = payload["segment"]
    return segment


async def test_behavioural_segments_reach_profiling_consenters_only(
    gql: GraphQLClient, bus: MessageBus
) -> None:
    await provision(gql)
    for who in ("ann", "bob"):
        await enroll(gql, who)
        await consent(gql, who, "marketing_email")
    await consent(gql, "ann", "profiling")
    behavioural = await _segment(
        gql, "Everyone by orders", {"field": "ORDER_COUNT", "operator": "GTE", "number": "0"}
    )
    plain = await _segment(
        gql, "Enrolled", {"field": "ENROLLED_DAYS", "operator": "GTE", "number": "0"}
    )
    assert (behavioural["behavioural"], plain["behavioural"]) == (True, False)
    by_orders = await running(gql, name="By orders", segmentId=behavioural["id"])
    await running(gql, name="Everyone enrolled", segmentId=plain["id"])
    assert by_orders["segmentId"] == behavioural["id"]
    await deliver(bus)
    reached = sorted((row["external_id"], row["status"]) for row in await deliveries())
    assert reached == [("ann", "SENT"), ("ann", "SENT"), ("bob", "SENT")]


async def test_a_cancelled_campaign_reaches_nobody_more(
    gql: GraphQLClient, bus: MessageBus
) -> None:
    await provision(gql)
    await enroll(gql, "ann")
    await consent(gql, "ann", "marketing_email")
    campaign = await running(gql)
    cancelled = await act(gql, CANCEL, campaign["id"])
    assert cancelled["campaign"]["status"] == "CANCELLED"
    await deliver(bus)
    assert await deliveries() == []


async def test_a_page_of_campaigns_with_their_segments_costs_the_same_for_one_or_several(
    gql: GraphQLClient,
) -> None:
    await provision(gql)
    query = "{ campaigns(first: 20) { edges { node { name segment { id name } } } } }"
    first = await _segment(gql, "S0", {"field": "ENROLLED_DAYS", "operator": "GTE", "number": "0"})
    await created(gql, name="C0", segmentId=first["id"])
    one = await statements(gql, query, ADMIN)
    for i in range(1, 4):
        segment = await _segment(
            gql, f"S{i}", {"field": "ENROLLED_DAYS", "operator": "GTE", "number": str(i)}
        )
        await created(gql, name=f"C{i}", segmentId=segment["id"])
    data = await gql.ok(query, bearer=ADMIN)
    names = [(e["node"]["name"], e["node"]["segment"]["name"]) for e in data["campaigns"]["edges"]]
    assert names == [(f"C{i}", f"S{i}") for i in range(4)]
    assert await statements(gql, query, ADMIN) == one
