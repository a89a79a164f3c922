"""What partners audit: entries as nodes, who wrote them and under which key, how each moved the
balance's buckets, and honest answers to a return or an order repeated under a new key."""

from __future__ import annotations

from typing import Any

import pytest

from api.auth import Role
from tests.conftest import token
from tests.e2e.conftest import GraphQLClient, enroll, provision
from tests.e2e.points_helpers import ADMIN, STORE, award_manual, member_token

pytestmark = pytest.mark.e2e

NODE = "query($id: ID!) { node(id: $id) { id ... on LedgerEntry { kind points } } }"


async def _node(gql: GraphQLClient, global_id: str, bearer: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = (await gql.ok(NODE, {"id": global_id}, bearer=bearer))["node"]
    return found


async def test_a_ledger_entry_is_a_node_for_whoever_may_see_it(
    gql: GraphQLClient, ann: str
) -> None:
    await enroll(gql, "bob")
    await provision(gql, "globex")
    mine = (await award_manual(gql, ann, 10))["entry"]["id"]
    bobs = (await award_manual(gql, "bob", 20))["entry"]["id"]
    for bearer in (member_token(ann), STORE, ADMIN):
        found = await _node(gql, mine, bearer)
        assert found is not None
        assert (found["id"], found["kind"], found["points"]) == (mine, "EARN", 10)
    assert (await _node(gql, bobs, STORE) or {}).get("points") == 20
    assert await _node(gql, bobs, member_token(ann)) is None  # another member's entry
    assert await _node(gql, mine, token(Role.PARTNER)) is None  # partners see no members
    assert await _node(gql, mine, token(Role.ADMIN, "globex")) is None  # another program
