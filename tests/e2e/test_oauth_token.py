"""POST /oauth/token: the client credentials grant as RFC 6749 §4.4 and §5 describe it, and the
tokens it issues: short-lived, scoped, refused once expired, forged or revoked."""

from __future__ import annotations

import asyncio
import base64
import time
from datetime import timedelta
from typing import Any

import jwt
import pytest

from api.auth import Role
from domain.clock import FixedClock
from tests.conftest import AUTH, TEST_SECRET, token
from tests.e2e.conftest import GraphQLClient, provision
from tests.e2e.partner_helpers import ALL_SCOPES, client_token, register_client, token_response

pytestmark = pytest.mark.e2e

ADMIN = token(Role.ADMIN)
PROBE = "{ referrals(first: 1) { edges { cursor } } }"
ROTATE = """mutation($input: RotatePartnerClientSecretInput!) { rotatePartnerClientSecret(input: $input)
  { client { secrets { hint expiresAt } } clientSecret userErrors { field code } } }"""
REVOKE = """mutation($id: ID!) { revokePartnerClient(input: {clientId: $id})
  { client { active revokedAt secrets { hint } } userErrors { field code } } }"""


async def _client(
    gql: GraphQLClient, scopes: tuple[str, ...] | None = None
) -> tuple[str, str, str]:
    """A registered client of acme: (global id, client id, secret)."""
    await provision(gql)
    registered = await register_client(gql, "crm", scopes=scopes or ALL_SCOPES)
    return registered["client"]["id"], registered["client"]["clientId"], registered["clientSecret"]


async def _code(gql: GraphQLClient, bearer: str) -> str | None:
    """The top-level error code of the probe query for `bearer`, or None when it is answered."""
    body = await gql.post(PROBE, bearer=bearer)
    return body["errors"][0]["extensions"]["code"] if "errors" in body else None


def _forged(**claims: Any) -> str:
    now = int(time.time())
    base = {
        "iss": AUTH.oauth_issuer,
        "aud": AUTH.audience,
        "sub": "pc_00000000000000000000",
        "iat": now,
        "exp": now + 600,
        "role": "partner",
        "program": "acme",
        "scope": "referrals:read",
    }
    assert AUTH.oauth_secret is not None
    return jwt.encode({**base, **claims}, AUTH.oauth_secret, algorithm="HS256")


async def test_a_client_trades_its_credentials_for_a_short_lived_scoped_token(
    gql: GraphQLClient,
) -> None:
    _, client_id, secret = await _client(gql)
    response = await token_response(gql.http, client_id, secret)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["scope"].split() == sorted(body["scope"].split())
    assert len(body["scope"].split()) == 5
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert (claims["role"], claims["program"], claims["sub"]) == ("partner", "acme", client_id)
    assert claims["exp"] - claims["iat"] == 900
    assert await _code(gql, body["access_token"]) is None
    # Credentials in the body work too; a narrower scope gives a narrower token.
    narrow = await gql.http.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "scope": "events:read",
        },
    )
    assert narrow.status_code == 200, narrow.text
    assert narrow.json()["scope"] == "events:read"
    assert await _code(gql, narrow.json()["access_token"]) == "FORBIDDEN"


async def test_requests_are_refused_with_rfc_6749_errors(gql: GraphQLClient) -> None:
    _, client_id, secret = await _client(gql, scopes=("referrals:read",))
    basic = {
        "Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    }
    form = {"grant_type": "client_credentials"}
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"data": {}, "headers": basic}, 400, "invalid_request"),
        ({"data": {"grant_type": "password"}, "headers": basic}, 400, "unsupported_grant_type"),
        ({"json": form, "headers": basic}, 400, "invalid_request"),
        (
            {
                "content": "grant_type=client_credentials&grant_type=x",
                "headers": {**basic, "Content-Type": "application/x-www-form-urlencoded"},
            },
            400,
            "invalid_request",
        ),
        (
            {
                "content": b"grant_type=%ff",
                "headers": {**basic, "Content-Type": "application/x-www-form-urlencoded"},
            },
            400,
            "invalid_request",
        ),
        (
            {"data": {**form, "client_id": client_id, "client_secret": secret}, "headers": basic},
            400,
            "invalid_request",
        ),
        ({"data": form}, 401, "invalid_client"),
        ({"data": {**form, "client_id": client_id}}, 401, "invalid_client"),
        ({"data": form, "auth": (client_id, secret + "x")}, 401, "invalid_client"),
        ({"data": form, "auth": ("pc_ffffffffffffffffffff", secret)}, 401, "invalid_client"),
        ({"data": form, "auth": ("not a client", secret)}, 401, "invalid_client"),
        ({"data": form, "headers": {"Authorization": "Basic !!!"}}, 401, "invalid_client"),
        ({"data": form, "headers": {"Authorization": "Bearer x"}}, 401, "invalid_client"),
        ({"data": {**form, "scope": "events:read"}, "headers": basic}, 400, "invalid_scope"),
        ({"data": {**form, "scope": "admin"}, "headers": basic}, 400, "invalid_scope"),
    ]
    for request, status, error in cases:
        response = await gql.http.post("/oauth/token", **request)
        assert (response.status_code, response.json()["error"]) == (status, error), request
        assert response.headers["cache-control"] == "no-store"
        if status == 401:
            assert response.headers["www-authenticate"].startswith("Basic ")
    assert (await gql.http.get("/oauth/token")).status_code == 405
    huge = await gql.http.post(
        "/oauth/token",
        content=b"grant_type=client_credentials&x=" + b"a" * 10_000,
        headers={**basic, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert huge.status_code == 413
    # Nothing refused above stopped the good request from working.
    assert (await token_response(gql.http, client_id, secret)).status_code == 200


async def test_expired_forged_and_foreign_tokens_are_refused(gql: GraphQLClient) -> None:
    _, client_id, _secret = await _client(gql)
    now = int(time.time())
    refusals = {
        _forged(sub=client_id, iat=now - 1000, exp=now - 100): "token expired",
        _forged(sub=client_id, program="globex"): "unknown partner client",
        _forged(): "unknown partner client",
        _forged(sub=client_id, role="admin"): "unknown role",
        # Signed with the identity provider's secret instead of the OAuth one.
        jwt.encode(
            jwt.decode(_forged(sub=client_id), options={"verify_signature": False}),
            TEST_SECRET,
            algorithm="HS256",
        ): "invalid signature",
        # The identity provider may not speak for partners at all.
        token(Role.PARTNER, subject=client_id): "partner tokens come from POST /oauth/token",
    }
    for bearer, reason in refusals.items():
        body = await gql.post(PROBE, bearer=bearer)
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert reason in body["errors"][0]["message"], body
    # A token claiming more scopes than its client holds gets only the client's.
    narrow = (await register_client(gql, "narrow", scopes=("events:read",)))["client"]["clientId"]
    assert await _code(gql, _forged(sub=narrow, scope="referrals:read events:read")) == "FORBIDDEN"


async def test_revocation_stops_every_token_at_once_even_under_load(gql: GraphQLClient) -> None:
    gid, client_id, secret = await _client(gql)
    bearer = await client_token(gql.http, client_id, secret)
    assert await _code(gql, bearer) is None  # warms the cache of the client's state

    async def probe() -> str | None:
        return await _code(gql, bearer)

    during = asyncio.gather(*(probe() for _ in range(20)))
    revoked = (await gql.ok(REVOKE, {"id": gid}, bearer=ADMIN))["revokePartnerClient"]
    await during
    assert revoked["userErrors"] == []
    assert revoked["client"]["active"] is False
    assert revoked["client"]["secrets"] == []
    after = await asyncio.gather(*(probe() for _ in range(20)))
    assert after == ["UNAUTHENTICATED"] * 20
    assert (await token_response(gql.http, client_id, secret)).status_code == 401
    again = (await gql.ok(REVOKE, {"id": gid}, bearer=ADMIN))["revokePartnerClient"]
    assert [e["code"] for e in again["userErrors"]] == ["PARTNER_CLIENT_REVOKED"]


async def test_a_rotated_secret_keeps_working_for_its_overlap_only(
    gql: GraphQLClient, clock: FixedClock
) -> None:
    gid, client_id, old = await _client(gql)
    rotated = await gql.ok(ROTATE, {"input": {"clientId": gid, "overlapHours": 2}}, bearer=ADMIN)
    payload = rotated["rotatePartnerClientSecret"]
    assert payload["userErrors"] == []
    new = payload["clientSecret"]
    assert new != old
    assert new.startswith("pcs_")
    [current, previous] = payload["client"]["secrets"]
    assert (current["hint"], current["expiresAt"]) == ("…" + new[-4:], None)
    assert previous["hint"] == "…" + old[-4:]
    assert previous["expiresAt"] is not None
    for secret in (old, new):
        assert (await token_response(gql.http, client_id, secret)).status_code == 200
    clock.advance(timedelta(hours=2, seconds=1))
    assert (await token_response(gql.http, client_id, old)).status_code == 401
    assert (await token_response(gql.http, client_id, new)).status_code == 200
    at_once = await gql.ok(ROTATE, {"input": {"clientId": gid, "overlapHours": 0}}, bearer=ADMIN)
    assert (await token_response(gql.http, client_id, new)).status_code == 401
    newest = at_once["rotatePartnerClientSecret"]["clientSecret"]
    assert (await token_response(gql.http, client_id, newest)).status_code == 200
    bad = await gql.ok(ROTATE, {"input": {"clientId": gid, "overlapHours": 721}}, bearer=ADMIN)
    assert [e["code"] for e in bad["rotatePartnerClientSecret"]["userErrors"]] == [
        "INVALID_OVERLAP"
    ]


async def test_concurrent_token_requests_all_succeed(gql: GraphQLClient) -> None:
    _, client_id, secret = await _client(gql)
    responses = await asyncio.gather(
        *(token_response(gql.http, client_id, secret) for _ in range(25))
    )
    assert [r.status_code for r in responses] == [200] * 25
    assert len({r.json()["access_token"] for r in responses}) == 25  # each has its own jti


async def test_one_authentication_and_at_most_three_live_secrets(gql: GraphQLClient) -> None:
    gid, client_id, secret = await _client(gql)
    basic = "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    twice = await gql.http.post(
        "/oauth/token",
        content=b"grant_type=client_credentials",
        headers=[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Authorization", basic),
            ("Authorization", "Basic eDp5"),
        ],
    )
    assert (twice.status_code, twice.json()["error"]) == (400, "invalid_request")
    secrets = [secret]
    for _ in range(4):
        rotated = await gql.ok(ROTATE, {"input": {"clientId": gid}}, bearer=ADMIN)
        secrets.append(rotated["rotatePartnerClientSecret"]["clientSecret"])
        live = rotated["rotatePartnerClientSecret"]["client"]["secrets"]
        assert len(live) <= 3
    working = [(await token_response(gql.http, client_id, s)).status_code == 200 for s in secrets]
    assert working == [False, False, True, True, True]


async def test_guessing_a_secret_is_stopped_before_the_secret_is_checked(
    gql: GraphQLClient,
) -> None:
    _, client_id, secret = await _client(gql)
    other = await register_client(gql, "pos")
    for _ in range(10):
        assert (await token_response(gql.http, client_id, "wrong-" + "x" * 30)).status_code == 401
    # The failures are spent: even the right secret is refused, unchecked, until they age out.
    refused = await token_response(gql.http, client_id, secret)
    assert refused.status_code == 429
    assert refused.json()["error"] == "too_many_requests"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["cache-control"] == "no-store"
    # Another client of the same address is not locked out by them.
    fine = await token_response(gql.http, other["client"]["clientId"], other["clientSecret"])
    assert fine.status_code == 200, fine.text


async def test_one_address_may_ask_for_120_tokens_a_minute(gql: GraphQLClient) -> None:
    _, client_id, secret = await _client(gql)
    answers = await asyncio.gather(
        *(token_response(gql.http, client_id, secret) for _ in range(121))
    )
    codes = sorted(answer.status_code for answer in answers)
    assert codes == [200] * 120 + [429]
