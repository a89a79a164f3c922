"""Tier evaluation throughput: members evaluated per second by the `tiers.evaluate` job.

`python -m bench.tiers [--members 100000]` seeds a fresh database (members by COPY as in
bench/seed.py; tiers, standings and twelve months of buckets by set-based SQL), makes every
member due (today is the evaluation moment) and times one run of the job. A third of the members
fall below their tier's threshold and get a pending downgrade; with --grace 0 they are downgraded
in the same run. Uses DATABASE_URL when set, else the embedded PostgreSQL. Goal: >= 20,000/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tortoise import Tortoise, connections

from api.composition import build_bus
from api.database import tortoise_config
from api.embedded import services
from api.migrations import upgrade
from backbone.jobs import run_now
from bench.seed import seed
from bench.servers import fresh_database
from domain.clock import FixedClock
from domain.tier_config import policy_to_json
from domain.tiers import Policy, add_months, month_of

RESULTS = Path(__file__).resolve().parent / "results"
GOAL = 20_000
TODAY = datetime(2027, 1, 1, 6, 0, tzinfo=UTC)  # the evaluation moment of the policy below

_TIERS = """
INSERT INTO tier (program_id, key, name, description, threshold, multiplier, position)
VALUES ($1, 'base', 'Base', '', 0, 1, 0), ($1, 'silver', 'Silver', '', 1000, 1.25, 1),
  ($1, 'gold', 'Gold', '', 5000, 1.5, 2)
"""
_POLICY = "INSERT INTO tier_policy (program_id, policy, updated_at) VALUES ($1, $2, $3)"
# Gold and silver members, every one due today.
_STANDINGS = """
INSERT INTO member_tier (member_id, program_id, tier_key, since, evaluate_on)
SELECT id, program_id, CASE WHEN id % 2 = 0 THEN 'gold' ELSE 'silver' END, $2, $3::date
FROM member WHERE program_id = $1
"""
# Twelve months each; members with id % 3 = 0 earn too little to keep their tier.
_BUCKETS = """
INSERT INTO tier_bucket (member_id, month, points, spend)
SELECT m.id, ($2::date + make_interval(months => k))::date,
  CASE WHEN m.id % 3 = 0 THEN 40 ELSE 600 END, 0
FROM member m CROSS JOIN generate_series(0, 11) AS k WHERE m.program_id = $1
"""


async def prepare(database_url: str, members: int, grace: int) -> None:
    await seed(database_url, members=members, entries_per_member=0)
    await Tortoise.init(config=tortoise_config(database_url, pool_min=1, pool_max=8))
    connection = connections.get("default")
    [program] = await connection.execute_query_dict("SELECT id FROM program")
    policy = policy_to_json(Policy(grace_days=grace))
    first = add_months(month_of(TODAY.date()), -12)
    await connection.execute_query_dict(_TIERS, [program["id"]])
    await connection.execute_query_dict(_POLICY, [program["id"], json.dumps(policy), TODAY])
    await connection.execute_query_dict(_STANDINGS, [program["id"], TODAY, TODAY.date()])
    await connection.execute_query_dict(_BUCKETS, [program["id"], first])
    await connection.execute_script("ANALYZE")


async def measure(database_url: str, members: int, grace: int) -> tuple[Any, Any]:
    await prepare(database_url, members, grace)
    try:
        bus = build_bus(FixedClock(TODAY))
        report = (await run_now(bus, {"tiers.evaluate"}))["tiers.evaluate"]
        again = (await run_now(bus, {"tiers.evaluate"}))["tiers.evaluate"]
    finally:
        await Tortoise.close_connections()
    return report, again


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--grace", type=int, default=30, help="grace days of the policy")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    database_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    with services(RESULTS / ".data", database_url, redis_url) as urls:
        url = fresh_database(urls.database_url, "loyalty_bench_tiers")
        upgrade(url)
        report, again = asyncio.run(measure(url, args.members, args.grace))
    rate = report.members / report.seconds
    print(f"tier evaluation: {report}")
    verdict = "met" if rate >= GOAL else "NOT met"
    print(
        f"  {rate:,.0f} members evaluated/s at {args.members:,} members (goal >= {GOAL:,}: {verdict})"
    )
    print(f"  a second run the same day (nothing due): {again}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
