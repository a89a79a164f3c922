"""Metrics of several processes are summed by GET /metrics: each process writes its values to
files in PROMETHEUS_MULTIPROC_DIR, and the endpoint reads them all (prometheus_client's
MultiProcessCollector), whichever process answers the scrape."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette

from api.metrics import metrics_routes
from api.settings import load_settings

# What a serving worker records: a request, its userError, a ledger entry, a delivery.
RECORD = """
from backbone.metrics import GRAPHQL_REQUESTS, LEDGER_ENTRIES, USER_ERRORS, WEBHOOK_DELIVERIES
GRAPHQL_REQUESTS.labels("awardPoints", "ok").observe(0.002)
LEDGER_ENTRIES.labels("EARN").inc()
USER_ERRORS.labels("MEMBER_NOT_FOUND").inc()
WEBHOOK_DELIVERIES.labels("delivered").inc(3)
"""


def _worker(folder: Path) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    subprocess.run([sys.executable, "-c", RECORD], env=env, check=True, timeout=60)


def _writers(folder: Path) -> set[str]:
    """The processes with values in the folder: its files are named <kind>_<pid>.db."""
    return {file.stem.rsplit("_", 1)[1] for file in folder.glob("*.db")}


async def test_two_processes_values_are_summed_by_the_scrape(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _worker(tmp_path)
    _worker(tmp_path)
    assert len(_writers(tmp_path)) == 2
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    settings = load_settings({"LOYALTY_ENV": "development", "LOYALTY_DATA_DIR": str(tmp_path)})
    app = Starlette(routes=metrics_routes(settings))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://x"
    ) as http:
        response = await http.get("/metrics")
    assert response.status_code == 200
    samples = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }
    request = {("operation", "awardPoints"), ("outcome", "ok")}
    assert samples[("loyalty_graphql_request_seconds_count", frozenset(request))] == 2
    bucket = frozenset({*request, ("le", "0.0025")})
    assert samples[("loyalty_graphql_request_seconds_bucket", bucket)] == 2
    assert samples[("loyalty_ledger_entries_total", frozenset({("kind", "EARN")}))] == 2
    assert samples[("loyalty_user_errors_total", frozenset({("code", "MEMBER_NOT_FOUND")}))] == 2
    delivered = frozenset({("outcome", "delivered")})
    assert samples[("loyalty_webhook_deliveries_total", delivered)] == 6
