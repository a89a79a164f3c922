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
    base = []
    for i in range(5001, 5051):
        t = time.perf_counter()
        await award_order(gql, f"m{i}", f"o-{i}", "10")
        base.append(time.perf_counter() - t)
    print("award no-offer median ms", statistics.median(base) * 1000)
    t = time.perf_counter()
    await deliver(bus)
    print("deliver 10k", time.perf_counter() - t)
    await connections.get("default").execute_script("ANALYZE")
    clock.set(START + timedelta(days=1))
    times = []
    for i in range(1, 51):
        t = time.perf_counter()
        await award_order(gql, f"m{i}", f"o-{i}", "10")
        times.append(time.perf_counter() - t)
    print("award median ms", statistics.median(times) * 1000)
    from loyalty.points.account import _OPEN
    from loyalty.campaigns.held_offers import MULTIPLIER_OFFERS_COLUMN
    for offers in ("", ",\n  " + MULTIPLIER_OFFERS_COLUMN):
        q = "EXPLAIN (ANALYZE, FORMAT TEXT) " + _OPEN.format(match="m.external_id = $2", skip="", offers=offers)
        async with __import__("tortoise.transactions").transactions.in_transaction() as c:
            for _ in range(3):
                rows = await c.execute_query_dict(q, [1, "m777"])
        print("\n".join("PLAN " + r["QUERY PLAN"] for r in rows))
    more = []
    for i in range(5501, 5511):
        t = time.perf_counter()
        await award_order(gql, f"m{i}", f"o-{i}", "10")
        more.append(time.perf_counter() - t)
    print("award after-deliver (also offered) median ms", statistics.median(more) * 1000)
    await connections.get("default").execute_script("ANALYZE")
    runs = []
    for _ in range(5):
        t = time.perf_counter()
        await results(gql, campaign["id"])
        runs.append(time.perf_counter() - t)
    print("results ms", [round(r * 1000, 1) for r in runs])
