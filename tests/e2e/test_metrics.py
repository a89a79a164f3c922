"""GET /metrics end to end: the series move with the requests, writes and deliveries made over
the real databases; production serves them only to the scraper's token."""

from __future__ import annotations

import asyncio
import dataclasses
import signal
import subprocess
from collections.abc import Mapping
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from tortoise import connections

from api.app import create_app
from api.auth import Role
from api.settings import load_settings
from backbone import relay
from backbone.bus import MessageBus
from backbone.jobs import enqueue
from loyalty.programs import find_program, ref
from loyalty.webhooks import sender
from loyalty.webhooks.commands import CreateSubscription
from loyalty.webhooks.deliveries import consumer as fan_out_consumer
from tests.conftest import AUTH, TEST_SECRET, token
from tests.e2e.conftest import GraphQLClient, enroll, provision
from tests.e2e.points_helpers import award_manual
from tests.e2e.webhook_receiver import Receiver
from tests.serving import LOYALTY, _wait_ready, free_port, loyalty_env

METRICS_TOKEN = "scraper-token-long-enough-0123456789abcdef"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(http: httpx.AsyncClient, headers: Mapping[str, str] | None = None) -> Samples:
    response = await http.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


async def test_the_series_move_with_requests_writes_and_deliveries(
    gql: GraphQLClient, client: httpx.AsyncClient, bus: MessageBus
) -> None:
    await provision(gql)
    await enroll(gql, "ann")
    consumer = fan_out_consumer()
    await relay.register([consumer], connections.get("default"))
    program = await find_program("acme")
    assert program is not None
    receiver = Receiver()
    await receiver.start()
    try:
        await bus.handle(
            CreateSubscription(
                program_id=ref(program).id,
                owner="partner:crm",
                url=receiver.url,
                event_types=("points.earned",),
                description="CRM",
            )
        )
        before = await scrape(client)

        assert (await award_manual(gql, "ann", 10))["userErrors"] == []
        refused = await award_manual(gql, "nobody", 10)
        assert [e["code"] for e in refused["userErrors"]] == ["MEMBER_NOT_FOUND"]
        anonymous = await gql.post("{ program { key } }")
        assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        async with bus.unit_of_work() as uow:
            await enqueue(uow, "points.settle")
        await _fan_out(consumer)
        assert await sender.send_due(bus) == 1
        after = await scrape(client)
    finally:
        await receiver.stop()

    requests = "loyalty_graphql_request_seconds_count"
    assert moved(before, after, requests, operation="awardPoints", outcome="ok") == 1
    assert moved(before, after, requests, operation="awardPoints", outcome="user_error") == 1
    assert moved(before, after, requests, operation="program", outcome="unauthenticated") == 1
    assert moved(before, after, "loyalty_user_errors_total", code="MEMBER_NOT_FOUND") == 1
    assert moved(before, after, "loyalty_ledger_entries_total", kind="EARN") == 1
    assert moved(before, after, "loyalty_webhook_deliveries_total", outcome="delivered") == 1
    assert value(after, "loyalty_job_queue_depth", job="points.settle", status="queued") == 1
    assert value(after, "loyalty_job_queue_lag_seconds", job="points.settle") >= 0
    assert value(before, "loyalty_job_queue_depth", job="points.settle", status="queued") == 0
    # The fan-out consumer caught up; the relay's other consumers were not registered here.
    assert value(after, "loyalty_outbox_lag_events", consumer=consumer.name) == 0
    assert value(after, "loyalty_outbox_lag_seconds", consumer=consumer.name) == 0
    assert value(after, "loyalty_db_pool_max") >= 1
    assert value(after, "loyalty_db_pool_connections", state="idle") >= 0
    assert after.keys() >= {("loyalty_db_pool_connections", frozenset({("state", "in_use")}))}


async def test_a_consumer_behind_the_log_shows_its_lag(
    gql: GraphQLClient, client: httpx.AsyncClient
) -> None:
    await provision(gql)
    await enroll(gql, "ann")
    consumer = fan_out_consumer()
    await relay.register([consumer], connections.get("default"))
    await award_manual(gql, "ann", 10)
    await award_manual(gql, "ann", 5)
    samples = await scrape(client)
    assert value(samples, "loyalty_outbox_lag_events", consumer=consumer.name) >= 2
    assert value(samples, "loyalty_outbox_lag_seconds", consumer=consumer.name) >= 0


async def test_a_database_outage_leaves_its_series_out_and_counts_the_failed_scrape(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = await scrape(client)
    connection = connections.get("default")

    async def down(*_: object, **__: object) -> None:
        raise ConnectionRefusedError("PostgreSQL is down")

    monkeypatch.setattr(type(connection), "execute_query_dict", down)
    during = await scrape(client)
    monkeypatch.undo()
    assert moved(before, during, "loyalty_metrics_scrape_errors_total") == 1
    assert not any(name.startswith("loyalty_job_queue") for name, _ in during)
    assert not any(name.startswith("loyalty_outbox") for name, _ in during)
    # What the processes recorded is still served.
    assert any(name.startswith("loyalty_graphql_request_seconds") for name, _ in during)


def _production_app(tmp_path: Path, database_url: str, redis_url: str, **env: str) -> Starlette:
    settings = load_settings(
        {
            "LOYALTY_ENV": "production",
            "LOYALTY_DATA_DIR": str(tmp_path),
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "LOYALTY_JWT_SECRET": TEST_SECRET,
            "LOYALTY_OAUTH_SECRET": "o" * 40,
            **env,
        }
    )
    settings = dataclasses.replace(settings, auth=AUTH, inline_worker=False)
    return create_app(settings, database_url=database_url, redis_url=redis_url)


async def test_production_serves_metrics_only_to_the_scrapers_token(
    tmp_path: Path, database_url: str, redis_url: str, db: None
) -> None:
    app = _production_app(tmp_path, database_url, redis_url, LOYALTY_METRICS_TOKEN=METRICS_TOKEN)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://x") as http:
        for headers in (
            {},
            {"Authorization": "Bearer wrong-token"},
            {"Authorization": f"Basic {METRICS_TOKEN}"},
            {"Authorization": f"Bearer {METRICS_TOKEN}x"},
            {"Authorization": f"Bearer {token(Role.ADMIN)}"},  # an API token is not the scraper's
        ):
            response = await http.get("/metrics", headers=headers)
            assert response.status_code == 401, headers
            assert "loyalty_" not in response.text
        samples = await scrape(http, {"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert any(name.startswith("loyalty_graphql_request_seconds") for name, _ in samples)


async def test_production_without_a_token_serves_no_metrics(
    tmp_path: Path, database_url: str, redis_url: str
) -> None:
    app = _production_app(tmp_path, database_url, redis_url)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://x") as http:
        response = await http.get("/metrics", headers={"Authorization": "Bearer anything"})
    assert response.status_code == 404


async def _fan_out(consumer: relay.Consumer) -> None:
    """Relay until the consumer is caught up (another database's transaction may hold the
    horizon back a moment)."""
    for _ in range(200):
        await relay.deliver(consumer)
        rows = await connections.get("default").execute_query_dict(
            "SELECT count(*) AS n FROM webhook_delivery"
        )
        if rows[0]["n"]:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("no delivery")


def test_serve_with_two_workers_sums_their_metrics_in_a_folder_of_the_run(
    tmp_path: Path, database_url: str, redis_url: str
) -> None:
    env = loyalty_env(tmp_path, DATABASE_URL=database_url, REDIS_URL=redis_url)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [LOYALTY, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_ready(base, server)
        for _ in range(REQUESTS):  # each on a connection of its own: either worker answers
            httpx.post(f"{base}/graphql", json={"query": "{ program { key } }"})
        [folder] = (tmp_path / "metrics").iterdir()
        counts = set()
        for _ in range(10):
            text = httpx.get(f"{base}/metrics").text
            counts.add(_count(text, operation="program", outcome="unauthenticated"))
        # Two processes write there: each imported the metrics into the run's folder.
        assert len({file.name.rsplit("_", 1)[1] for file in folder.glob("counter_*.db")}) >= 2
    finally:
        server.send_signal(signal.SIGINT)
        _, stderr = server.communicate(timeout=30)
    assert server.returncode == 0, stderr.decode()[-2000:]
    # Whichever worker answered, the scrape counts every request.
    assert counts == {REQUESTS}
    assert not folder.exists()  # removed with the run: the next one starts from zero


REQUESTS = 20


def _count(text: str, **labels: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "loyalty_graphql_request_seconds_count" and sample.labels == labels:
                return sample.value
    return 0.0
