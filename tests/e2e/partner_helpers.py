"""Partners as they really authenticate: an admin registers a client through GraphQL, and the
partner trades its id and secret at POST /oauth/token for a token."""

from __future__ import annotations

from typing import Any

import httpx

from api.auth import Role
from domain.partners import Scope
from tests.conftest import token
from tests.e2e.conftest import GraphQLClient, provision

ALL_SCOPES = tuple(scope.value for scope in Scope)
REGISTER = """
mutation Register($input: RegisterPartnerClientInput!) {
  registerPartnerClient(input: $input) {
    client { id clientId name scopes active secrets { hint expiresAt } }
    clientSecret
    userErrors { field message code }
  }
}"""


def graphql_scopes(scopes: tuple[str, ...]) -> list[str]:
    """OAuth scope tokens as the PartnerScope enum spells them (referrals:write → REFERRALS_WRITE)."""
    return [Scope(scope).name for scope in scopes]


async def register_client(
    gql: GraphQLClient, name: str, *, program: str = "acme", scopes: tuple[str, ...] = ALL_SCOPES
) -> dict[str, Any]:
    """A new client of `program` (provisioned first if it is not): its fields and its secret."""
    variables = {"input": {"name": name, "scopes": graphql_scopes(scopes)}}
    admin = token(Role.ADMIN, program)
    payload = (await gql.ok(REGISTER, variables, bearer=admin))["registerPartnerClient"]
    if [e["code"] for e in payload["userErrors"]] == ["PROGRAM_NOT_FOUND"]:
        await provision(gql, program)
        payload = (await gql.ok(REGISTER, variables, bearer=admin))["registerPartnerClient"]
    assert payload["userErrors"] == [], payload
    result: dict[str, Any] = payload
    return result


async def token_response(
    http: httpx.AsyncClient, client_id: str, secret: str, **form: str
) -> httpx.Response:
    """POST /oauth/token with HTTP Basic credentials (as most OAuth libraries send them)."""
    return await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", **form},
        auth=(client_id, secret),
    )


async def client_token(http: httpx.AsyncClient, client_id: str, secret: str, **form: str) -> str:
    response = await token_response(http, client_id, secret, **form)
    assert response.status_code == 200, response.text
    access: str = response.json()["access_token"]
    return access


async def partner(
    gql: GraphQLClient, name: str, program: str = "acme", scopes: tuple[str, ...] = ALL_SCOPES
) -> str:
    """A token of the partner called `name` in `program`: the same client for the whole test."""
    key = (program, name, scopes)
    if key not in gql.partners:
        registered = await register_client(gql, name, program=program, scopes=scopes)
        client_id = registered["client"]["clientId"]
        gql.partners[key] = await client_token(gql.http, client_id, registered["clientSecret"])
    return gql.partners[key]


async def partner_subject(gql: GraphQLClient, name: str, program: str = "acme") -> str:
    """The client id (the token's subject) of the partner `name`."""
    import jwt

    claims = jwt.decode(await partner(gql, name, program), options={"verify_signature": False})
    subject: str = claims["sub"]
    return subject
