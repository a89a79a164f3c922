"""Two workers on one database: the in-process app and a `loyalty serve` process, each with its own
program cache. A write uses the configuration in force when it commits, whichever worker the
configuration change went through."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import httpx
import pytest

from api.auth import Role
from api.database import connection_params
from tests.conftest import token
from tests.e2e.conftest import CREATE_PROGRAM, ENROLL, GraphQLClient
from tests.e2e.points_helpers import AWARD, CONFIGURE, REDEEM, REVERSE, errors, key, write
from tests.serving import loyalty_env, serving

pytestmark = pytest.mark.e2e

LOCK_TIMEOUT_MS = 300


@pytest.fixture(scope="module")
def worker_url(
    database_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A second worker: `loyalty serve` in its own process, on the session's database."""
    env = loyalty_env(
        tmp_path_factory.mktemp("worker"),
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        LOYALTY_WORKER="off",
        LOYALTY_DB_LOCK_TIMEOUT_MS=str(LOCK_TIMEOUT_MS),
    )
    with serving(env) as base:
        yield base


@pytest.fixture
async def other(worker_url: str, db: None) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(base_url=worker_url, timeout=10) as http:
        yield GraphQLClient(http)


class Tenant:
    """A program of its own per test: the second worker's cache outlives each test's tables."""

    def __init__(self) -> None:
        self.key = f"w-{uuid.uuid4().hex[:12]}"
        self.admin = token(Role.ADMIN, self.key)
        self.store = token(Role.STOREFRONT, self.key)

    async def provision(self, gql: GraphQLClient) -> None:
        created = await gql.ok(
            CREATE_PROGRAM, {"input": {"name": "Workers", "currency": "EUR"}}, bearer=self.admin
        )
        assert created["createProgram"]["userErrors"] == []
        enrolled = await gql.ok(
            ENROLL,
            {"input": {"externalId": "ann", "email": "ann@example.com", "displayName": "Ann"}},
            bearer=self.store,
        )
        assert enrolled["enrollMember"]["userErrors"] == []

    async def configure(self, gql: GraphQLClient, **config: Any) -> dict[str, Any]:
        data = await gql.ok(CONFIGURE, {"input": config}, bearer=self.admin)
        payload: dict[str, Any] = data["configurePoints"]
        assert payload["userErrors"] == [], payload
        return payload

    async def order(self, gql: GraphQLClient, order_id: str, total: str) -> dict[str, Any]:
        order = {"orderId": order_id, "total": total, "currency": "EUR", "lines": []}
        source = {"order": order}
        return await write(
            gql,
            AWARD,
            {"idempotencyKey": key(), "externalId": "ann", "source": source},
            bearer=self.store,
        )

    async def redeem(self, gql: GraphQLClient, points: int) -> dict[str, Any]:
        return await write(
            gql,
            REDEEM,
            {"idempotencyKey": key(), "externalId": "ann", "points": points, "reason": "Gift"},
            bearer=self.store,
        )

    async def reverse(self, gql: GraphQLClient, return_id: str, amount: str) -> dict[str, Any]:
        return await write(
            gql,
            REVERSE,
            {
                "idempotencyKey": key(),
                "orderId": "o-1",
                "returnId": return_id,
                "amount": amount,
                "currency": "EUR",
            },
            bearer=self.store,
        )


async def test_a_new_earn_rate_applies_at_once_on_the_other_worker(
    gql: GraphQLClient, other: GraphQLClient
) -> None:
    tenant = Tenant()
    await tenant.provision(gql)
    # The other worker has the program cached at the old rate...
    assert (await tenant.order(other, "o-0", "10.00"))["entry"]["points"] == 10
    answered = await tenant.configure(gql, earnRate="10")
    assert answered["configuration"]["earnRate"] == "10"
    # ...and still earns at the rate now in force, at once.
    earned = [(await tenant.order(other, f"o-{n}", "10.00"))["entry"]["points"] for n in (1, 2, 3)]
    assert earned == [100, 100, 100]


async def test_a_deny_clawback_policy_applies_at_once_on_the_other_worker(
    gql: GraphQLClient, other: GraphQLClient
) -> None:
    tenant = Tenant()
    await tenant.provision(gql)
    assert (await tenant.order(other, "o-1", "100.00"))["entry"]["points"] == 100
    assert (await tenant.redeem(other, 100))["balance"]["available"] == 0
    await tenant.configure(gql, clawbackPolicy="DENY")
    returns = [await tenant.reverse(other, f"r-{n}", "5.00") for n in range(5)]
    assert [errors(r) for r in returns] == [["CLAWBACK_DENIED"]] * 5


async def test_a_write_stuck_behind_a_lock_gets_an_error_to_retry_not_a_hang(
    gql: GraphQLClient, other: GraphQLClient, database_url: str
) -> None:
    tenant = Tenant()
    await tenant.provision(gql)
    award = {
        "idempotencyKey": key(),
        "externalId": "ann",
        "source": {"manual": {"points": 5, "reason": "Goodwill"}},
    }
    holder = await asyncpg.connect(**connection_params(database_url))
    try:
        async with holder.transaction():
            # Something else holds ann's lock for longer than the worker's lock_timeout.
            await holder.execute(
                "SELECT 1 FROM member m JOIN program p ON p.id = m.program_id"
                " WHERE p.key = $1 FOR UPDATE OF m",
                tenant.key,
            )
            started = time.monotonic()
            response = await other.http.post(
                "/graphql",
                json={"query": AWARD, "variables": {"input": award}},
                headers={"Authorization": f"Bearer {tenant.store}"},
            )
            waited = time.monotonic() - started
    finally:
        await holder.close()
    body = response.json()
    assert waited < 3
    assert body["data"] is None or body["data"]["awardPoints"] is None
    # The lock timeout is the service's Busy, which the gateway answers as "retry later".
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["awardPoints"], "SERVICE_UNAVAILABLE")
    ]
    # Nothing was written: the same request goes through once the lock is free.
    retried = await write(gql, AWARD, award, bearer=tenant.store)
    assert (retried["userErrors"], retried["replayed"], retried["entry"]["points"]) == (
        [],
        False,
        5,
    )
