"""What a hostile or careless client can send: malformed ids, odd claims, anonymous documents.
None of it may reach the database unchecked, surface as a masked bug, or leak across tenants."""

from __future__ import annotations

import asyncio
import base64

import httpx
import jwt
import pytest
from graphql import get_introspection_query
from starlette.applications import Starlette
from starlette.routing import Route

from api.auth import Role, TokenVerifier
from api.composition import build_bus
from api.endpoint import LoyaltyGraphQL
from api.trusted.registry import TrustedDocuments
from domain.clock import SystemClock
from domain.members import MemberStatus
from loyalty.models import Member
from tests.conftest import AUTH, START, TEST_SECRET, token
from tests.e2e.conftest import CREATE_PROGRAM, ENROLL, GraphQLClient, enroll, provision
from tests.e2e.partner_helpers import partner

pytestmark = pytest.mark.e2e

ADMIN = token(Role.ADMIN)
NODE = "query($id: ID!) { node(id: $id) { id } }"
MEMBER = "query($id: ID!) { member(id: $id) { id } }"
UPDATE = 'mutation($id: ID!) { updateMember(input: {id: $id, displayName: "X"}) { member { id } userErrors { field code } } }'


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


BAD_IDS = [
    "!!!",
    "",
    _b64("Member"),
    _b64("Nope:1"),
    _b64("Query:1"),
    _b64("Member:²"),
    _b64("Member:１"),  # noqa: RUF001 - a full-width digit must not alias member 1
    _b64("Member:01"),
    _b64("Member:-1"),
    _b64("Member:99999999999999999999999"),
    _b64("Member:1\n"),
]


@pytest.mark.parametrize("bad_id", BAD_IDS)
async def test_malformed_or_foreign_ids_are_simply_not_found(
    gql: GraphQLClient, bad_id: str
) -> None:
    await provision(gql)
    await enroll(gql, "c-1")  # member 1 exists: no spelling of another kind may reach it
    assert (await gql.ok(NODE, {"id": bad_id}, bearer=ADMIN))["node"] is None
    assert (await gql.ok(MEMBER, {"id": bad_id}, bearer=ADMIN))["member"] is None
    update = (await gql.ok(UPDATE, {"id": bad_id}, bearer=ADMIN))["updateMember"]
    assert update == {
        "member": None,
        "userErrors": [{"field": ["input", "id"], "code": "INVALID_ID"}],
    }


async def test_huge_cursor_is_a_clear_error(gql: GraphQLClient) -> None:
    await provision(gql)
    cursor = _b64("member:99999999999999999999999")
    body = await gql.post(
        "query($c: String) { members(first: 1, after: $c) { edges { cursor } } }",
        {"c": cursor},
        bearer=ADMIN,
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize("external_id", ["x" * 500, "nul\x00byte", ""])
async def test_unlikely_external_ids_are_not_found(gql: GraphQLClient, external_id: str) -> None:
    await provision(gql)
    data = await gql.ok(
        "query($e: String!) { memberByExternalId(externalId: $e) { id } }",
        {"e": external_id},
        bearer=ADMIN,
    )
    assert data["memberByExternalId"] is None


@pytest.mark.parametrize(
    "claims",
    [{"program": "acme\x00"}, {"program": "a" * 300}, {"sub": "c-1\x00"}, {"sub": "x" * 201}],
)
async def test_tokens_with_unusable_claims_are_unauthenticated(
    gql: GraphQLClient, claims: dict[str, str]
) -> None:
    now = int(START.timestamp())
    payload = {
        "iss": AUTH.issuer,
        "aud": AUTH.audience,
        "sub": "c-1",
        "iat": now,
        "exp": now + 9e9,
        "role": "member",
        "program": "acme",
        **claims,
    }
    body = await gql.post("{ me { id } }", bearer=jwt.encode(payload, TEST_SECRET, "HS256"))
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_program_is_a_node_visible_only_to_its_own_tenant(gql: GraphQLClient) -> None:
    await provision(gql, "acme")
    await provision(gql, "globex")
    acme_id = (await gql.ok("{ program { id } }", bearer=ADMIN))["program"]["id"]
    own = await gql.ok(
        "query($id: ID!) { node(id: $id) { id ... on Program { key } } }",
        {"id": acme_id},
        bearer=ADMIN,
    )
    assert own["node"] == {"id": acme_id, "key": "acme"}
    assert (await gql.ok(NODE, {"id": acme_id}, bearer=token(Role.ADMIN, "globex")))["node"] is None


async def test_partner_sees_no_members(gql: GraphQLClient) -> None:
    await provision(gql)
    member_id = await enroll(gql, "c-1")
    crm = await partner(gql, "crm")
    assert (await gql.ok(NODE, {"id": member_id}, bearer=crm))["node"] is None


async def test_erased_member_cannot_be_rewritten_or_read_as_me(gql: GraphQLClient) -> None:
    await provision(gql)
    member_id = await enroll(gql, "c-1")
    await Member.filter(external_id="c-1").update(status=MemberStatus.ERASED)
    update = (await gql.ok(UPDATE, {"id": member_id}, bearer=ADMIN))["updateMember"]
    assert update == {"member": None, "userErrors": [{"field": None, "code": "MEMBER_NOT_ACTIVE"}]}
    assert (await gql.ok("{ me { id } }", bearer=token(Role.MEMBER, subject="c-1")))["me"] is None
    assert (await Member.get(external_id="c-1")).display_name == "C-1"


async def test_concurrent_provisioning_creates_one_program(gql: GraphQLClient) -> None:
    variables = {"input": {"name": "Acme", "currency": "EUR"}}
    results = await asyncio.gather(
        *(gql.ok(CREATE_PROGRAM, variables, bearer=ADMIN) for _ in range(10))
    )
    assert all(r["createProgram"]["userErrors"] == [] for r in results)
    ids = {(await gql.ok("{ program { id } }", bearer=ADMIN))["program"]["id"]}
    assert len(ids) == 1


async def test_a_program_created_earlier_in_the_same_document_is_seen_later(
    gql: GraphQLClient,
) -> None:
    document = """mutation {
      first: enrollMember(input: {externalId: "a", email: "a@b.co", displayName: "A"}) { userErrors { code } }
      createProgram(input: {name: "Acme", currency: "EUR"}) { userErrors { code } }
      second: enrollMember(input: {externalId: "a", email: "a@b.co", displayName: "A"}) { created userErrors { code } }
    }"""
    data = await gql.ok(document, bearer=ADMIN)
    assert data["first"]["userErrors"] == [{"code": "PROGRAM_NOT_FOUND"}]
    assert data["second"] == {"created": True, "userErrors": []}


async def test_anonymous_documents_are_refused_before_execution(gql: GraphQLClient) -> None:
    body = await gql.post(
        ENROLL, {"input": {"externalId": "a", "email": "a@b.co", "displayName": "A"}}
    )
    assert body == {
        "data": None,
        "errors": [
            {
                "message": "Not authenticated: authentication required.",
                "extensions": {"code": "UNAUTHENTICATED"},
            }
        ],
    }
    # Development serves GraphiQL, which may read the schema anonymously; nothing else.
    assert (await gql.ok("{ __schema { queryType { name } } }"))["__schema"]["queryType"][
        "name"
    ] == "Query"


async def test_production_refuses_even_anonymous_introspection() -> None:
    view = LoyaltyGraphQL(
        TokenVerifier(AUTH),
        build_bus(SystemClock()),
        graphiql=False,
        documents=TrustedDocuments(()),
    )
    app = Starlette(routes=[Route("/graphql", view, methods=["POST"])])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://x"
    ) as http:
        response = await http.post(
            "/graphql", json={"query": "{ __schema { queryType { name } } }"}
        )
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{ " + "program { " * 13 + "key" + " }" * 14, "exceeds maximum operation depth"),
        ("{ program { " + "key " * 6000 + "} }", "token"),
    ],
)
async def test_deep_or_huge_documents_are_refused(
    gql: GraphQLClient, document: str, message: str
) -> None:
    body = await gql.post(document, bearer=ADMIN)
    assert body["data"] is None
    assert any(message in error["message"].lower() for error in body["errors"]), body


async def test_depth_counts_through_fragments_and_survives_fragment_cycles(
    gql: GraphQLClient,
) -> None:
    cyclic = "query { program { ...A } } fragment A on Program { key ...B } fragment B on Program { ...A }"
    body = await gql.post(cyclic, bearer=ADMIN)
    assert "cannot spread fragment" in body["errors"][0]["message"].lower()
    aliased = (
        "query { "
        + " ".join(f"a{i}: program {{ ...F }}" for i in range(31))
        + " } fragment F on Program { key }"
    )
    body = await gql.post(aliased, bearer=ADMIN)
    assert body["errors"][0]["message"] == "31 aliases found. Allowed: 30"


async def test_graphiql_can_read_the_schema_anonymously_in_development(gql: GraphQLClient) -> None:
    body = await gql.post(get_introspection_query())
    assert "errors" not in body
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"
    # ...but a document mixing introspection with data is not introspection.
    mixed = await gql.post("{ __typename program { key } }")
    assert mixed["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
