"""Every kind of bad token is refused with a top-level UNAUTHENTICATED error; wrong roles get
FORBIDDEN. Tokens are real HS256 JWTs signed (or mis-signed) the way a client would send them."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import jwt
import pytest

from api.auth import Role
from tests.conftest import AUTH, START, TEST_SECRET, token
from tests.e2e.conftest import ENROLL, GraphQLClient, provision

pytestmark = pytest.mark.e2e

PROGRAM_QUERY = "{ program { key } }"


def _claims(**overrides: object) -> dict[str, object]:
    now = int(START.timestamp())
    claims: dict[str, object] = {
        "iss": AUTH.issuer,
        "aud": AUTH.audience,
        "sub": "shop",
        "iat": now,
        "exp": now + 600,
        "role": "admin",
        "program": "acme",
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _expired() -> str:
    # Signed correctly but expired an hour ago, beyond the 5 s leeway (the verifier reads wall time).
    return token(Role.ADMIN, ttl_seconds=-3600)


def _tampered() -> str:
    header, _, signature = token(Role.MEMBER, subject="c-1").split(".")
    forged = _b64(_claims(role="admin"))
    return f"{header}.{forged}.{signature}"


def _alg_none() -> str:
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims())}."


BAD_TOKENS: dict[str, Callable[[], str]] = {
    "expired": _expired,
    "tampered payload": _tampered,
    "alg none": _alg_none,
    "wrong audience": lambda: jwt.encode(_claims(aud="someone-else"), TEST_SECRET, "HS256"),
    "wrong issuer": lambda: jwt.encode(_claims(iss="evil"), TEST_SECRET, "HS256"),
    "wrong secret": lambda: jwt.encode(_claims(), "x" * 64, "HS256"),
    "missing exp": lambda: jwt.encode(_claims(exp=None), TEST_SECRET, "HS256"),
    "missing sub": lambda: jwt.encode(_claims(sub=None), TEST_SECRET, "HS256"),
    "unknown role": lambda: jwt.encode(_claims(role="root"), TEST_SECRET, "HS256"),
    "garbage": lambda: "not-a-jwt",
}


@pytest.mark.parametrize("kind", BAD_TOKENS)
async def test_bad_tokens_are_refused_as_unauthenticated(gql: GraphQLClient, kind: str) -> None:
    body = await gql.post(PROGRAM_QUERY, bearer=BAD_TOKENS[kind]())
    assert body["data"] is None or body["data"]["program"] is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert error["message"].startswith("Not authenticated")


async def test_missing_token_is_unauthenticated_and_writes_nothing(gql: GraphQLClient) -> None:
    await provision(gql)
    variables = {"input": {"externalId": "c-1", "email": "a@b.co", "displayName": "A"}}
    body = await gql.post(ENROLL, variables)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    listing = await gql.ok(
        "{ members(first: 10) { edges { node { id } } } }", bearer=token(Role.ADMIN)
    )
    assert listing["members"]["edges"] == []


async def test_non_bearer_authorization_header_is_unauthenticated(gql: GraphQLClient) -> None:
    response = await gql.http.post(
        "/graphql", json={"query": PROGRAM_QUERY}, headers={"Authorization": "Basic YTpi"}
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_token_within_leeway_is_accepted(gql: GraphQLClient) -> None:
    await provision(gql)
    nearly_expired = token(Role.ADMIN, ttl_seconds=-2)  # leeway is 5 s
    data = await gql.ok(PROGRAM_QUERY, bearer=nearly_expired)
    assert data["program"]["key"] == "acme"


@pytest.mark.parametrize(
    ("role", "operation"),
    [
        (
            Role.STOREFRONT,
            'mutation { createProgram(input: {name: "X", currency: "EUR"}) { userErrors { code } } }',
        ),
        (Role.MEMBER, "{ members(first: 1) { edges { cursor } } }"),
        (Role.STOREFRONT, "{ me { id } }"),
        (
            Role.MEMBER,
            'mutation { enrollMember(input: {externalId: "x", email: "a@b.co", displayName: "x"}) { created } }',
        ),
    ],
)
async def test_wrong_role_is_forbidden(gql: GraphQLClient, role: Role, operation: str) -> None:
    await provision(gql)
    body = await gql.post(operation, bearer=token(role, subject="c-1"))
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN", body
