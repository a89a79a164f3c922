"""End-to-end helpers: GraphQL over HTTP through the ASGI app, with real signed tokens."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from api.auth import Role
from tests.conftest import token

pytestmark = pytest.mark.e2e


@dataclass
class GraphQLClient:
    http: httpx.AsyncClient
    # Partner tokens by (program, name), so a test's "crm" is one client (partner_helpers.py).
    partners: dict[tuple[str, str, tuple[str, ...]], str] = field(default_factory=dict)

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, *, bearer: str | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def ok(
        self, query: str, variables: dict[str, Any] | None = None, *, bearer: str | None = None
    ) -> dict[str, Any]:
        """Data of a response that must have no top-level errors."""
        body = await self.post(query, variables, bearer=bearer)
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(client)


CREATE_PROGRAM = """
mutation Create($input: CreateProgramInput!) {
  createProgram(input: $input) {
    program { key name currency timezone defaultLocale }
    userErrors { field message code }
  }
}"""

ENROLL = """
mutation Enroll($input: EnrollMemberInput!) {
  enrollMember(input: $input) {
    created
    member { id externalId email displayName birthday locale status }
    userErrors { field message code }
  }
}"""


async def provision(gql: GraphQLClient, program: str = "acme", currency: str = "EUR") -> None:
    data = await gql.ok(
        CREATE_PROGRAM,
        {"input": {"name": program.title(), "currency": currency}},
        bearer=token(Role.ADMIN, program),
    )
    assert data["createProgram"]["userErrors"] == []


async def enroll(gql: GraphQLClient, external_id: str, program: str = "acme") -> str:
    """Enroll a member and return its global id."""
    data = await gql.ok(
        ENROLL,
        {
            "input": {
                "externalId": external_id,
                "email": f"{external_id}@example.com",
                "displayName": external_id.title(),
            }
        },
        bearer=token(Role.STOREFRONT, program),
    )
    payload = data["enrollMember"]
    assert payload["userErrors"] == [], payload
    member_id: str = payload["member"]["id"]
    return member_id


@pytest.fixture
async def ann(gql: GraphQLClient) -> str:
    """Program acme provisioned, with one member, ann (the points tests' usual subject)."""
    await provision(gql)
    await enroll(gql, "ann")
    return "ann"
