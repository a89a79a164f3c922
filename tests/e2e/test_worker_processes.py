"""Several job workers at once, as in production: two `loyalty worker` processes and a
`loyalty serve --workers 2` (each of its processes runs a worker inline), on one database.
Settlement and retention run once per due item.

The moved clock: the in-process app writes at the test clock's START (months ago), so by the
real clock the workers read, every lot is due to activate and then expire, and every event and
idempotency key written then is past its retention.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import time
from collections.abc import Iterator

import asyncpg
import httpx
import pytest
from pgqueuer.adapters.drivers.asyncpg import AsyncpgDriver
from pgqueuer.adapters.persistence.queries import Queries

from api.auth import Role
from api.database import connection_params
from tests.conftest import token
from tests.e2e.conftest import GraphQLClient, enroll, provision
from tests.e2e.points_helpers import AWARD, CONFIGURE, key
from tests.serving import LOYALTY, free_port, loyalty_env

pytestmark = pytest.mark.e2e

MEMBERS = 12
JOBS = ("points.settle", "events.prune", "idempotency.prune")


@contextlib.contextmanager
def _processes(commands: list[list[str]], env: dict[str, str]) -> Iterator[None]:
    started = [
        (
            command,
            subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE),
        )
        for command in commands
    ]
    try:
        yield
    finally:
        for command, process in started:
            process.send_signal(signal.SIGTERM if "worker" in command else signal.SIGINT)
        for _, process in started:
            _, stderr = process.communicate(timeout=30)
            assert process.returncode == 0, stderr.decode()[-2000:]


def _wait_ready(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{base}/readyz").status_code == 200:
                return
        time.sleep(0.1)
    raise AssertionError("loyalty serve --workers 2 never became ready")


async def _seed(gql: GraphQLClient) -> None:
    await provision(gql)
    admin, store = token(Role.ADMIN), token(Role.STOREFRONT)
    configured = await gql.ok(
        CONFIGURE,
        {"input": {"pendingDays": 14, "expiry": {"mode": "AFTER_DAYS", "amount": 30}}},
        bearer=admin,
    )
    assert configured["configurePoints"]["userErrors"] == []
    for n in range(MEMBERS):
        await enroll(gql, f"m-{n}")
        order = {"orderId": f"o-{n}", "total": "25.00", "currency": "EUR", "lines": []}
        awarded = await gql.ok(
            AWARD,
            {
                "input": {
                    "externalId": f"m-{n}",
                    "idempotencyKey": key(),
                    "source": {"order": order},
                }
            },
            bearer=store,
        )
        assert awarded["awardPoints"]["userErrors"] == []


async def _finished(connection: asyncpg.Connection) -> dict[str, int]:
    rows = await connection.fetch(
        "SELECT entrypoint, count(*) FROM pgqueuer_log WHERE status = 'successful' GROUP BY 1"
    )
    return {row["entrypoint"]: row["count"] for row in rows}


async def test_four_workers_settle_and_prune_once_per_item(
    gql: GraphQLClient, database_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    await _seed(gql)
    port = free_port()
    env = loyalty_env(
        tmp_path_factory.mktemp("workers"), DATABASE_URL=database_url, REDIS_URL=redis_url
    )
    serve = [LOYALTY, "serve", "--port", str(port), "--workers", "2"]
    connection = await asyncpg.connect(**connection_params(database_url))
    try:
        with _processes([serve, [LOYALTY, "worker"], [LOYALTY, "worker"]], env):
            _wait_ready(f"http://127.0.0.1:{port}")
            await Queries(AsyncpgDriver(connection)).enqueue(
                list(JOBS), [None] * len(JOBS), [0] * len(JOBS)
            )
            deadline = time.monotonic() + 60
            while set(await _finished(connection)) < set(JOBS):
                assert time.monotonic() < deadline, await _finished(connection)
                await asyncio.sleep(0.2)
        # A cron tick during the test may run a job again beside the one enqueued here (or
        # another job, due every minute): what must hold is once per item, below.
        assert set(JOBS) <= set(await _finished(connection))
        kinds = await connection.fetch("SELECT kind, count(*) FROM points_entry GROUP BY kind")
        assert {row["kind"]: row["count"] for row in kinds} == {
            "EARN": MEMBERS,
            "ACTIVATE": MEMBERS,
            "EXPIRE": MEMBERS,
        }
        events = await connection.fetch("SELECT type, count(*) FROM event_outbox GROUP BY type")
        # Everything written at START is past its retention; the settlement's events are new.
        assert {row["type"]: row["count"] for row in events} == {
            "points.activated": MEMBERS,
            "points.expired": MEMBERS,
        }
        assert await connection.fetchval("SELECT count(*) FROM idempotency_key") == 0
        balances = await connection.fetch("SELECT available, pending FROM points_balance")
        assert {(row["available"], row["pending"]) for row in balances} == {(0, 0)}
    finally:
        await connection.close()
