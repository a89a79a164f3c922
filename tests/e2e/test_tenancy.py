"""Nothing crosses programs, and a member token sees only its own member."""

from __future__ import annotations

import pytest

from api.auth import Role
from tests.conftest import token
from tests.e2e.conftest import GraphQLClient, enroll, provision

pytestmark = pytest.mark.e2e

NODE = "query($id: ID!) { node(id: $id) { id ... on Member { email } } }"
MEMBER = "query($id: ID!) { member(id: $id) { id email } }"
BY_EXTERNAL_ID = 'query { memberByExternalId(externalId: "alice") { id } }'
UPDATE = """mutation($input: UpdateMemberInput!) {
  updateMember(input: $input) { member { displayName } userErrors { field code } }
}"""


@pytest.fixture
async def two_programs(gql: GraphQLClient) -> dict[str, str]:
    """Programs acme and globex, each with a member; returns their member ids."""
    await provision(gql, "acme")
    await provision(gql, "globex")
    return {
        "acme": await enroll(gql, "alice", "acme"),
        "globex": await enroll(gql, "bob", "globex"),
    }


async def test_member_token_reads_only_itself(
    gql: GraphQLClient, two_programs: dict[str, str]
) -> None:
    carol = await enroll(gql, "carol", "acme")
    alice_token = token(Role.MEMBER, "acme", subject="alice")

    me = await gql.ok("{ me { id email } }", bearer=alice_token)
    assert me["me"] == {"id": two_programs["acme"], "email": "alice@example.com"}
    own = await gql.ok(NODE, {"id": two_programs["acme"]}, bearer=alice_token)
    assert own["node"]["id"] == two_programs["acme"]

    other = await gql.ok(NODE, {"id": carol}, bearer=alice_token)
    assert other["node"] is None
    body = await gql.post(MEMBER, {"id": carol}, bearer=alice_token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["data"] == {"member": None}


async def test_member_token_for_unknown_subject_sees_nothing(
    gql: GraphQLClient, two_programs: dict[str, str]
) -> None:
    stranger = token(Role.MEMBER, "acme", subject="nobody")
    assert (await gql.ok("{ me { id } }", bearer=stranger))["me"] is None
    assert (await gql.ok(NODE, {"id": two_programs["acme"]}, bearer=stranger))["node"] is None


@pytest.mark.parametrize("role", [Role.ADMIN, Role.STOREFRONT])
async def test_program_a_cannot_read_program_b(
    gql: GraphQLClient, two_programs: dict[str, str], role: Role
) -> None:
    acme = token(role, "acme")
    globex_member = two_programs["globex"]
    assert (await gql.ok(NODE, {"id": globex_member}, bearer=acme))["node"] is None
    assert (await gql.ok(MEMBER, {"id": globex_member}, bearer=acme))["member"] is None
    by_external = await gql.ok(
        'query { memberByExternalId(externalId: "bob") { id } }', bearer=acme
    )
    assert by_external["memberByExternalId"] is None


async def test_program_a_admin_lists_only_its_members(
    gql: GraphQLClient, two_programs: dict[str, str]
) -> None:
    data = await gql.ok(
        "{ members(first: 100) { edges { node { id } } } }", bearer=token(Role.ADMIN, "acme")
    )
    assert [e["node"]["id"] for e in data["members"]["edges"]] == [two_programs["acme"]]


async def test_program_a_cannot_change_program_b(
    gql: GraphQLClient, two_programs: dict[str, str]
) -> None:
    acme = token(Role.STOREFRONT, "acme")
    data = await gql.ok(
        UPDATE, {"input": {"id": two_programs["globex"], "displayName": "Hacked"}}, bearer=acme
    )
    assert data["updateMember"] == {
        "member": None,
        "userErrors": [{"field": ["input", "id"], "code": "MEMBER_NOT_FOUND"}],
    }
    globex = await gql.ok(
        MEMBER, {"id": two_programs["globex"]}, bearer=token(Role.ADMIN, "globex")
    )
    assert globex["member"]["email"] == "bob@example.com"
    names = await gql.ok(
        'query { memberByExternalId(externalId: "bob") { displayName } }',
        bearer=token(Role.ADMIN, "globex"),
    )
    assert names["memberByExternalId"]["displayName"] == "Bob"


async def test_admin_of_a_cannot_reconfigure_b(
    gql: GraphQLClient, two_programs: dict[str, str]
) -> None:
    # Program identity comes from the token alone: there is no argument to aim at another tenant.
    renamed = await gql.ok(
        'mutation { updateProgram(input: {name: "Renamed"}) { program { key name } userErrors { code } } }',
        bearer=token(Role.ADMIN, "acme"),
    )
    assert renamed["updateProgram"]["program"] == {"key": "acme", "name": "Renamed"}
    globex = await gql.ok("{ program { name } }", bearer=token(Role.ADMIN, "globex"))
    assert globex["program"]["name"] == "Globex"
