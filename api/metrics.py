"""GET /metrics: Prometheus's text format, summed over the serving processes.

What the code records as it runs (requests, userErrors, ledger entries, webhook deliveries:
backbone/metrics.py) is read from prometheus_client's multiprocess folder when
PROMETHEUS_MULTIPROC_DIR is set (`loyalty serve` sets one per run), else from this process.
What the database knows (the job queue, the event log's consumers) and this process's connection
pool are read at scrape time; when PostgreSQL does not answer, those series are left out and
`loyalty_metrics_scrape_errors_total` goes up, while the rest is still served.

A scraper authenticates with `Authorization: Bearer <LOYALTY_METRICS_TOKEN>` (compared in
constant time); production without a token serves no /metrics at all.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from tortoise import connections

from api.settings import Settings
from backbone.bus import MessageBus
from backbone.metrics import SCRAPE_ERRORS

log = logging.getLogger(__name__)

# A scrape waits this long for PostgreSQL, then answers without its figures.
DATABASE_SECONDS = 2.0

# Jobs waiting or running, by job; the oldest due job's wait (pgqueuer's own clock: now()).
_QUEUE = """
SELECT entrypoint, status::text AS status, count(*) AS jobs,
  EXTRACT(EPOCH FROM now() - min(execute_after) FILTER (WHERE execute_after <= now()))::float8
    AS lag
FROM pgqueuer WHERE status IN ('queued', 'picked') GROUP BY entrypoint, status
"""
# Each consumer's distance from the newest event (ids: approximate, as the relay reads in
# commit order), and the oldest event it has not been given yet (through the (txid, id) index).
_OUTBOX = """
SELECT c.name, GREATEST(newest.id - c.last_id, 0) AS behind, next.occurred_at
FROM event_consumer c
CROSS JOIN (SELECT COALESCE(MAX(id), 0) AS id FROM event_outbox) newest
LEFT JOIN LATERAL (
  SELECT e.occurred_at FROM event_outbox e WHERE (e.txid, e.id) > (c.last_txid, c.last_id)
  ORDER BY e.txid, e.id LIMIT 1
) next ON true
"""


def metrics_routes(settings: Settings) -> list[Route]:
    if settings.metrics_token is None and not settings.development:
        return []
    return [Route("/metrics", _endpoint(settings.metrics_token), methods=["GET"])]


def _endpoint(token: str | None) -> Any:
    async def metrics(request: Request) -> Response:
        if token is not None and not _authorised(request.headers.get("authorization"), token):
            return Response(
                "A bearer token is required.",
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        bus: MessageBus | None = getattr(request.app.state, "bus", None)
        fresh = [*_pool(), *await _database(bus)]
        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Scrape(fresh))
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return metrics


def _authorised(header: str | None, token: str) -> bool:
    scheme, _, credentials = (header or "").partition(" ")
    matches = hmac.compare_digest(credentials.strip().encode(), token.encode())
    return scheme.lower() == "bearer" and matches


class _Scrape(Collector):
    """The recorded series (of every process, or of this one) and the ones read just now."""

    def __init__(self, fresh: list[Metric]) -> None:
        self._fresh = fresh

    def collect(self) -> Iterable[Metric]:
        folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if folder:
            yield from MultiProcessCollector(None, folder).collect()  # type: ignore[no-untyped-call]
        else:
            yield from REGISTRY.collect()
        yield from self._fresh


def _pool() -> Iterator[Metric]:
    """This process's connections to PostgreSQL (the worker that answered the scrape)."""
    try:
        pool = getattr(connections.get("default"), "_pool", None)
    except Exception:
        pool = None  # Tortoise not started: no pool to show
    if pool is None:
        return
    size, idle = pool.get_size(), pool.get_idle_size()
    connected = GaugeMetricFamily(
        "loyalty_db_pool_connections",
        "Connections of the answering process's pool to PostgreSQL, by state.",
        labels=["state"],
    )
    connected.add_metric(["idle"], idle)
    connected.add_metric(["in_use"], size - idle)
    yield connected
    yield GaugeMetricFamily(
        "loyalty_db_pool_max", "The most connections the pool may open.", pool.get_max_size()
    )


async def _database(bus: MessageBus | None) -> list[Metric]:
    try:
        return await asyncio.wait_for(_read_database(bus), DATABASE_SECONDS)
    except Exception as error:
        SCRAPE_ERRORS.inc()
        log.warning("metrics: the database's figures could not be read: %r", error)
        return []


async def _read_database(bus: MessageBus | None) -> list[Metric]:
    connection = connections.get("default")
    queue = await connection.execute_query_dict(_QUEUE)
    outbox = await connection.execute_query_dict(_OUTBOX)
    jobs = {job.name for job in bus.registry.jobs} if bus is not None else set()
    depth = GaugeMetricFamily(
        "loyalty_job_queue_depth", "Jobs in the queue, by job and status.", labels=["job", "status"]
    )
    lag = GaugeMetricFamily(
        "loyalty_job_queue_lag_seconds",
        "How long the oldest due job has waited for a worker (0: none waiting).",
        labels=["job"],
    )
    counted: dict[tuple[str, str], float] = {(j, s): 0 for j in jobs for s in ("queued", "picked")}
    waited: dict[str, float] = dict.fromkeys(jobs, 0.0)
    for row in queue:
        counted[(row["entrypoint"], row["status"])] = row["jobs"]
        if row["status"] == "queued":
            waited[row["entrypoint"]] = max(0.0, row["lag"] or 0.0)
    for (job, status), jobs_there in sorted(counted.items()):
        depth.add_metric([job, status], jobs_there)
    for job, seconds in sorted(waited.items()):
        lag.add_metric([job], seconds)
    return [depth, lag, *_outbox(outbox, bus.clock.now() if bus is not None else None)]


def _outbox(rows: list[dict[str, Any]], now: datetime | None) -> list[Metric]:
    behind = GaugeMetricFamily(
        "loyalty_outbox_lag_events",
        "Events of the log written after a consumer's place (approximately: by id).",
        labels=["consumer"],
    )
    age = GaugeMetricFamily(
        "loyalty_outbox_lag_seconds",
        "Age of the oldest event a consumer has not been given yet (0: caught up).",
        labels=["consumer"],
    )
    for row in rows:
        behind.add_metric([row["name"]], row["behind"])
        waiting = row["occurred_at"]
        seconds = (now - waiting).total_seconds() if now and waiting else 0.0
        age.add_metric([row["name"]], max(0.0, seconds))
    return [behind, age]
