from __future__ import annotations

import statistics
import time
from datetime import timedelta

from tortoise import connections

from backbone.bus import MessageBus
from domain.clock import FixedClock
from tests.conftest import START
from tests.e2e.campaign_helpers import deliver, running
from tests.e2e.conftest import GraphQLClient, provision
from tests.e2e.points_helpers import award_order
from tests.e2e.test_campaign_results import members, results


async def test_measure(gql: GraphQLClient, bus: MessageBus, clock: FixedClock) -> None:
    await provision(gql)
    await members(10_000)
    campaign = await running(
        gql, name="split", message=None, arms=[{"key": "a", "weight": 1}, {"key": "b", "weight": 1}],
        holdoutPercent=10,
        offer={"kind": "POINTS_MULTIPLIER", "multiplier": "2", "endsAt": "2026-07-15T12:00:00Z"},
    )
    t = time.perf_counter()
    await deliver(bus)
    print("deliver 10k", time.perf_counter() - t)
    await connections.get("default").execute_script("ANALYZE")
    clock.set(START + timedelta(days=1))
    times = []
    for i in range(1, 2001):
        t = time.perf_counter()
        await award_order(gql, f"m{i}", f"o-{i}", "10")
        times.append(time.perf_counter() - t)
    print("award median ms", statistics.median(times) * 1000)
    await connections.get("default").execute_script("ANALYZE")
    runs = []
    for _ in range(5):
        t = time.perf_counter()
        await results(gql, campaign["id"])
        runs.append(time.perf_counter() - t)
    print("results ms", [round(r * 1000, 1) for r in runs])
