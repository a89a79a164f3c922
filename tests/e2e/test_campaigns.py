"""Campaigns over GraphQL: created once per idempotency key, changed while DRAFT, scheduled and
cancelled; bad input refused with typed errors and nothing written; admins of one program
never see or touch another's."""

from __future__ import annotations

import asyncio
from typing import Any

from tortoise import connections

from api.auth import Role
from tests.conftest import token
from tests.e2e.campaign_helpers import (
    CANCEL,
    CREATE,
    ONE,
    SCHEDULE,
    UPDATE,
    act,
    campaign_input,
    create,
    created,
)
from tests.e2e.conftest import GraphQLClient, provision
from tests.e2e.points_helpers import ADMIN

NODE = "query($id: ID!) { node(id: $id) { ... on Campaign { id name } } }"
LIST = """query($after: String) { campaigns(first: 2, after: $after) {
  edges { node { name status } } pageInfo { hasNextPage endCursor } } }"""


async def _count() -> int:
    rows = await connections.get("default").execute_query_dict("SELECT count(*) AS n FROM campaign")
    return int(rows[0]["n"])


async def test_a_campaign_is_created_as_a_draft_with_what_was_asked(gql: GraphQLClient) -> None:
    await provision(gql)
    campaign = await created(
        gql,
        name="  Double points  ",
        endsAt="2026-07-15T12:00:00+00:00",
        offer={"kind": "POINTS_MULTIPLIER", "multiplier": "2.5"},
        arms=[{"key": "short", "weight": 1}, {"key": "long", "weight": 3}],
        holdoutPercent=10,
    )
    assert campaign["name"] == "Double points"
    assert campaign["status"] == "DRAFT"
    assert campaign["message"] == {"channel": "EMAIL", "templateKey": "spring-2026"}
    assert campaign["offer"]["kind"] == "POINTS_MULTIPLIER"
    assert campaign["offer"]["multiplier"] == "2.50"
    assert campaign["experiment"] == {
        "arms": [{"key": "short", "weight": 1}, {"key": "long", "weight": 3}],
        "holdoutPercent": 10,
    }
    assert campaign["conversionWindowDays"] == 14
    assert campaign["deliveryCounts"] == []
    node = await gql.ok(NODE, {"id": campaign["id"]}, bearer=ADMIN)
    assert node["node"] == {"id": campaign["id"], "name": "Double points"}


async def test_a_retried_create_creates_once(gql: GraphQLClient) -> None:
    await provision(gql)
    results = await asyncio.gather(*(create(gql, key="create-once") for _ in range(4)))
    assert {result["campaign"]["id"] for result in results} != {None}
    assert len({result["campaign"]["id"] for result in results}) == 1
    assert await _count() == 1
    reused = await create(gql, key="create-once", name="Another")
    assert [e["code"] for e in reused["userErrors"]] == ["IDEMPOTENCY_KEY_REUSED"]


async def test_invalid_inputs_are_typed_errors_and_write_nothing(gql: GraphQLClient) -> None:
    await provision(gql)
    cases: list[tuple[dict[str, Any], list[list[str] | None]]] = [
        ({"name": " "}, [["input", "name"]]),
        ({"endsAt": "2026-06-15T11:00:00+00:00"}, [["input", "endsAt"]]),
        ({"message": None}, [None]),
        (
            {"message": {"channel": "SMS", "templateKey": "Bad Key"}},
            [["input", "message", "templateKey"]],
        ),
        (
            {"offer": {"kind": "POINTS_MULTIPLIER", "multiplier": "10.5"}},
            [["input", "offer", "multiplier"]],
        ),
        (
            {"offer": {"kind": "GIFT", "points": 0, "multiplier": "2"}},
            [
                ["input", "offer", "multiplier"],
                ["input", "offer", "points"],
            ],
        ),
        (
            {
                "offer": {
                    "kind": "REWARD_DISCOUNT",
                    "rewardId": "UmV3YXJkOjE=",
                    "discountPercent": 101,
                }
            },
            [["input", "offer", "discountPercent"]],
        ),
        ({"trigger": "AT_RISK"}, [["input", "atRiskThreshold"]]),
        (
            {"trigger": "AT_RISK", "atRiskThreshold": 1.5},
            [["input", "atRiskThreshold"]],
        ),
        (
            {"trigger": "REORDER_DUE", "reorderLeadDays": 31},
            [["input", "reorderLeadDays"]],
        ),
        ({"reorderLeadDays": 2}, [["input", "reorderLeadDays"]]),
        ({"conversionWindowDays": 366}, [["input", "conversionWindowDays"]]),
        ({"holdoutPercent": 51}, [["input", "holdoutPercent"]]),
        ({"arms": [{"key": "only", "weight": 1}]}, [["input", "arms"]]),
        ({"segmentId": "not-an-id"}, [["input", "segmentId"]]),
        ({"surveyId": "U3VydmV5Ojk5"}, [["input", "surveyId"]]),
    ]
    for fields, where in cases:
        payload = await create(gql, **fields)
        assert payload["campaign"] is None, fields
        assert sorted(e["field"] or [] for e in payload["userErrors"]) == sorted(
            w or [] for w in where
        ), payload
        codes = {e["code"] for e in payload["userErrors"]}
        assert codes <= {"INVALID_CAMPAIGN", "INVALID_ID", "SURVEY_NOT_FOUND"}, payload
    assert await _count() == 0


async def test_references_must_be_the_programs_own(gql: GraphQLClient) -> None:
    await provision(gql)
    payload = await create(
        gql,
        segmentId="U2VnbWVudDo0Mg==",  # Segment:42
        surveyId="U3VydmV5OjQy",  # Survey:42
        offer={"kind": "REWARD_DISCOUNT", "rewardId": "UmV3YXJkOjQy", "discountPercent": 20},
    )
    assert sorted(e["code"] for e in payload["userErrors"]) == [
        "REWARD_NOT_FOUND",
        "SEGMENT_NOT_FOUND",
        "SURVEY_NOT_FOUND",
    ]
    assert await _count() == 0


async def test_only_a_draft_changes_and_schedules(gql: GraphQLClient) -> None:
    await provision(gql)
    campaign = await created(gql, startsAt="2026-06-20T00:00:00+00:00")
    changed = await gql.ok(
        UPDATE,
        {
            "input": {
                "id": campaign["id"],
                **campaign_input(name="Summer", startsAt="2026-06-20T00:00:00+00:00"),
            }
        },
        bearer=ADMIN,
    )
    assert changed["updateCampaign"]["campaign"]["name"] == "Summer"
    scheduled = await act(gql, SCHEDULE, campaign["id"])
    assert scheduled["campaign"]["status"] == "SCHEDULED"
    again = await act(gql, SCHEDULE, campaign["id"])
    assert [e["code"] for e in again["userErrors"]] == ["INVALID_CAMPAIGN_STATE"]
    refused = await gql.ok(
        UPDATE, {"input": {"id": campaign["id"], **campaign_input()}}, bearer=ADMIN
    )
    assert [e["code"] for e in refused["updateCampaign"]["userErrors"]] == [
        "INVALID_CAMPAIGN_STATE"
    ]
    cancelled = await act(gql, CANCEL, campaign["id"])
    assert cancelled["campaign"]["status"] == "CANCELLED"
    twice = await act(gql, CANCEL, campaign["id"])
    assert [e["code"] for e in twice["userErrors"]] == ["INVALID_CAMPAIGN_STATE"]


async def test_names_are_unique_in_a_program(gql: GraphQLClient) -> None:
    await provision(gql)
    await created(gql)
    payload = await create(gql)
    assert [e["code"] for e in payload["userErrors"]] == ["CAMPAIGN_NAME_TAKEN"]


async def test_campaigns_page_by_keyset(gql: GraphQLClient) -> None:
    await provision(gql)
    for name in ("A", "B", "C"):
        await created(gql, name=name)
    first = (await gql.ok(LIST, bearer=ADMIN))["campaigns"]
    assert [e["node"]["name"] for e in first["edges"]] == ["A", "B"]
    assert first["pageInfo"]["hasNextPage"]
    rest = await gql.ok(LIST, {"after": first["pageInfo"]["endCursor"]}, bearer=ADMIN)
    assert [e["node"]["name"] for e in rest["campaigns"]["edges"]] == ["C"]


async def test_another_programs_admin_sees_and_touches_nothing(gql: GraphQLClient) -> None:
    await provision(gql)
    await provision(gql, "globex")
    campaign = await created(gql)
    other = token(Role.ADMIN, "globex")
    assert (await gql.ok(ONE, {"id": campaign["id"]}, bearer=other))["campaign"] is None
    assert (await gql.ok(NODE, {"id": campaign["id"]}, bearer=other))["node"] is None
    listed = await gql.ok(LIST, bearer=other)
    assert listed["campaigns"]["edges"] == []
    for mutation in (SCHEDULE, CANCEL):
        data = await gql.ok(mutation, {"input": {"id": campaign["id"]}}, bearer=other)
        payload = next(iter(data.values()))
        assert [e["code"] for e in payload["userErrors"]] == ["CAMPAIGN_NOT_FOUND"]
    changed = await gql.ok(
        UPDATE, {"input": {"id": campaign["id"], **campaign_input()}}, bearer=other
    )
    assert [e["code"] for e in changed["updateCampaign"]["userErrors"]] == ["CAMPAIGN_NOT_FOUND"]
    mine = await gql.ok(ONE, {"id": campaign["id"]}, bearer=ADMIN)
    assert mine["campaign"]["status"] == "DRAFT"


async def test_only_admins_read_or_write_campaigns(gql: GraphQLClient) -> None:
    await provision(gql)
    for role in (Role.STOREFRONT, Role.MEMBER):
        body = await gql.post(LIST, bearer=token(role, subject="ann"))
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        body = await gql.post(
            CREATE,
            {"input": {**campaign_input(), "idempotencyKey": "k"}},
            bearer=token(role, subject="ann"),
        )
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await _count() == 0
