"""Input strictness over GraphQL: one spelling per value, duplicates refused, problems reported
at the position the client sent them, and bad input changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import GraphQLClient
from tests.e2e.points_helpers import ADMIN, CONFIGURE

pytestmark = pytest.mark.e2e

RULES = "configuration { earnRate } userErrors { field message code }"
READ_RULES = "query { program { pointsConfiguration { earnRate events { name points } } } }"


async def configure_refused(gql: GraphQLClient, config: dict[str, Any]) -> list[dict[str, Any]]:
    data = await gql.ok(CONFIGURE, {"input": config}, bearer=ADMIN)
    payload = data["configurePoints"]
    assert payload["configuration"] is None, payload
    errors: list[dict[str, Any]] = payload["userErrors"]
    return errors


async def test_duplicate_event_names_are_refused_at_the_duplicate(
    gql: GraphQLClient, ann: str
) -> None:
    events = [{"name": "review_posted", "points": 5}, {"name": "review_posted", "points": 500}]
    errors = await configure_refused(gql, {"events": events})
    assert [(e["field"], e["code"]) for e in errors] == [
        (["input", "events", "1", "name"], "DUPLICATE_RULE")
    ]


@pytest.mark.parametrize(
    ("kind", "value"), [("sku", "A"), ("category", "shoes")], ids=["sku", "category"]
)
async def test_two_bonuses_for_one_target_are_refused(
    gql: GraphQLClient, ann: str, kind: str, value: str
) -> None:
    bonuses = [{"multiplier": "2", kind: value}, {"multiplier": "3", kind: value}]
    errors = await configure_refused(gql, {"bonuses": bonuses})
    assert [(e["field"], e["code"]) for e in errors] == [
        (["input", "bonuses", "1", kind], "DUPLICATE_RULE")
    ]


async def test_event_problems_sit_at_their_position_in_the_input(
    gql: GraphQLClient, ann: str
) -> None:
    events = [
        {"name": "ok_one", "points": 5},
        {"name": "ok_one", "points": 0},
        {"name": "Bad", "points": 1},
    ]
    errors = await configure_refused(gql, {"events": events})
    assert sorted(tuple(e["field"]) for e in errors) == [
        ("input", "events", "1", "name"),
        ("input", "events", "1", "points"),
        ("input", "events", "2", "name"),
    ]
