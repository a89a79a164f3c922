"""`make bench`: the API under load next to its baselines, in one process tree, as ratios.

Scenarios: (1) storefront awardPoints for orders, a fresh idempotency key per request, spread over
all members; (2) the mobile app's status screen (bench/screen.py: points, tier and progress,
rewards within reach) with member tokens, after the program is given tiers and rewards through
the API; (3) a 90/10 mix. Baselines: `pgbench -N` at the same client count, and a raw Starlette
endpoint returning the API's own answer to scenario 2 under the same uvicorn settings. After scenario 1 the ledger is audited: a
fast wrong answer is a failure.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from api.auth import Role, mint_token
from api.embedded import services
from api.migrations import upgrade
from api.settings import AuthSettings
from bench import screen
from bench.load import Measurement, pgbench, wrk
from bench.seed import PROGRAM_KEY, member_sample, seed
from bench.servers import BIN, api_command, baseline_command, free_port, fresh_database, serving

RESULTS = Path(__file__).resolve().parent / "results"
SECRET = "bench-secret-" + "x" * 52
AUTH = AuthSettings(
    algorithms=("HS256",),
    issuer="loyalty-bench",
    audience="loyalty-api",
    leeway_seconds=30,
    secret=SECRET,
)
TARGETS = {"award_vs_pgbench": 0.5, "award_p99_ms": 25.0, "status_vs_raw": 0.5}


def server_environment(database_url: str, redis_url: str) -> dict[str, str]:
    """The API's settings under benchmark: production, as it would be deployed (a test holds
    them to what load_settings accepts, so `make bench` never stops at start)."""
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "LOYALTY_ENV": "production",
        "LOYALTY_JWT_SECRET": SECRET,
        # Production refuses to start without the partner token secret (nothing here uses it).
        "LOYALTY_OAUTH_SECRET": "bench-oauth-secret-" + "x" * 32,
        "LOYALTY_JWT_ISSUER": AUTH.issuer,
        "LOYALTY_JWT_AUDIENCE": AUTH.audience,
        "LOYALTY_WORKER": "off",
        # One storefront token drives the whole write load: a real shop's bucket would throttle
        # it (as it should a single client); the bench measures the API, not the throttle.
        "LOYALTY_RATE_LIMITS": "storefront=1000000/100000",
        "LOYALTY_DATA_DIR": str(RESULTS / ".data"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--entries-per-member", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--scale",
        type=int,
        metavar="MEMBERS",
        help="after the normal run, repeat with this many members and compare p99 (target <= 1.2x)",
    )
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    reports = []
    database_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    with services(RESULTS / ".data", database_url, redis_url) as urls:
        for members in [args.members] + ([args.scale] if args.scale else []):
            size = argparse.Namespace(**{**vars(args), "members": members})
            report = run(urls.database_url, urls.redis_url, size)
            entries = members * args.entries_per_member
            print(f"\n== {members:,} members, {entries:,} ledger entries")
            print_report(report)
            reports.append(report)
    if len(reports) == 2:
        print_scale(reports[0], reports[1])
    path = RESULTS / time.strftime("bench-%Y%m%d-%H%M%S.json")
    path.write_text(json.dumps(reports, indent=2, default=str))
    print(f"\nwritten to {path}")
    for report in reports:
        if report["stalled"]:
            print(f"FAILED: no request completed in {report['stalled']}")
    failed = any(r["errors"] or r["stalled"] or not r["audit_clean"] for r in reports)
    return 1 if failed else 0


def print_scale(small: dict[str, Any], large: dict[str, Any]) -> None:
    print("\nscale: p99 at the large size / p99 at the small size (target <= 1.20)")
    for key in ("award", "status"):
        before, after = small["results"][key]["p99_ms"], large["results"][key]["p99_ms"]
        print(f"  {key:<8} {before:8.1f} ms -> {after:8.1f} ms  = {after / before:.2f}x")


def run(admin_url: str, redis_url: str, args: argparse.Namespace) -> dict[str, object]:
    started = time.monotonic()
    database_url = fresh_database(admin_url, "loyalty_bench")
    upgrade(database_url)
    asyncio.run(
        seed(database_url, members=args.members, entries_per_member=args.entries_per_member)
    )
    seeded_s = time.monotonic() - started
    tokens_file = RESULTS / "member-tokens.txt"
    tokens_file.write_text(
        "\n".join(
            mint_token(
                AUTH, role=Role.MEMBER, program_key=PROGRAM_KEY, subject=f"m{m}", ttl_seconds=7200
            )
            for m in member_sample(args.members, 2000)
        )
    )
    lua_env = {
        "BENCH_TOKENS": str(tokens_file),
        "BENCH_MEMBERS": str(args.members),
        "BENCH_STATUS_BODY": screen.STATUS_BODY,
        "BENCH_AWARD_DOCUMENT": screen.AWARD_DOCUMENT_ID,
        "BENCH_STOREFRONT_TOKEN": mint_token(
            AUTH,
            role=Role.STOREFRONT,
            program_key=PROGRAM_KEY,
            subject="bench-shop",
            ttl_seconds=7200,
        ),
    }
    server_env = server_environment(database_url, redis_url)
    load = {"connections": args.connections, "threads": 2, "env": lua_env}
    results: dict[str, Measurement] = {}
    results["pgbench"] = pgbench(
        fresh_database(admin_url, "pgbench_bench"),
        seconds=args.seconds,
        clients=args.connections,
        threads=2,
    )
    raw_port, api_port = free_port(), free_port()
    answer_file = RESULTS / "status-answer.json"
    with serving(api_command(api_port, args.workers), server_env, api_port, "/readyz") as api:
        screen.prepare(
            api,
            mint_token(
                AUTH,
                role=Role.ADMIN,
                program_key=PROGRAM_KEY,
                subject="bench-admin",
                ttl_seconds=7200,
            ),
        )
        answer_file.write_bytes(screen.answer(api, tokens_file.read_text().splitlines()[0]))
        # The baseline returns the API's own answer; the API idles meanwhile.
        raw_env = {"BENCH_STATUS_ANSWER": str(answer_file)}
        with serving(
            baseline_command(raw_port, args.workers), raw_env, raw_port, "/graphql"
        ) as raw:
            wrk("warmup", raw, "status.lua", seconds=args.warmup, **load)
            results["raw_status"] = wrk(
                "raw Starlette", raw, "status.lua", seconds=args.seconds, **load
            )
        wrk("warmup", api, "mixed.lua", seconds=args.warmup, **load)
        results["award"] = wrk("awardPoints", api, "award.lua", seconds=args.seconds, **load)
        audit = subprocess.run(
            [str(BIN / "loyalty"), "audit", "--program", PROGRAM_KEY],
            env={**os.environ, **server_env},
            capture_output=True,
            text=True,
        )
        results["status"] = wrk("member status", api, "status.lua", seconds=args.seconds, **load)
        results["mixed"] = wrk("90/10 mix", api, "mixed.lua", seconds=args.seconds, **load)
    return {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "settings": {**vars(args), "seed_seconds": round(seeded_s, 1)},
        "results": {key: dataclasses.asdict(m) for key, m in results.items()},
        "ratios": {
            "award_vs_pgbench": results["award"].rps / results["pgbench"].rps,
            # The most awards could reach, the API costing nothing: the database's CPU per
            # pgbench transaction over its CPU per award (same CPUs).
            "award_database_ceiling_vs_pgbench": _ceiling(results["pgbench"], results["award"]),
            "status_vs_raw": results["status"].rps / results["raw_status"].rps,
            "mixed_vs_raw": results["mixed"].rps / results["raw_status"].rps,
        },
        "targets": TARGETS,
        "errors": sum(m.errors for key, m in results.items() if key != "pgbench"),
        # A scenario that completed no request measured a stall, not the API: the run fails.
        "stalled": [m.name for m in results.values() if m.requests == 0],
        "audit_clean": audit.returncode == 0,
        "audit_output": audit.stdout.strip().splitlines()[-1:]
        if audit.stdout
        else audit.stderr[-500:],
    }


def _ceiling(baseline: Measurement, scenario: Measurement) -> float | None:
    if baseline.db_cpu_ms is None or scenario.db_cpu_ms is None:
        return None
    return baseline.db_cpu_ms / scenario.db_cpu_ms


def print_report(report: dict[str, object]) -> None:
    results: dict[str, dict[str, float]] = report["results"]  # type: ignore[assignment]
    ratios: dict[str, float] = report["ratios"]  # type: ignore[assignment]
    baseline = {"award": "pgbench", "status": "raw_status", "mixed": "raw_status"}
    print(
        f"{'scenario':<16}{'req/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}  ratio to baseline"
    )
    for key, m in results.items():
        ratio = (
            f"{m['rps'] / results[baseline[key]]['rps']:.2f} x {results[baseline[key]]['name']}"
            if key in baseline
            else "(baseline)"
        )
        cells = "".join(
            f"{v:>9.1f}" if not math.isnan(v) else f"{'-':>9}"
            for v in (m["p50_ms"], m["p95_ms"], m["p99_ms"])
        )
        print(f"{m['name']:<16}{m['rps']:>10.0f}{cells}{m['errors']:>8}  {ratio}")
    award = results["award"]
    print(
        f"\ntargets: awardPoints >= 0.50 x pgbench: {'met' if ratios['award_vs_pgbench'] >= 0.5 else 'NOT met'}"
        f" ({ratios['award_vs_pgbench']:.2f}); awardPoints p99 <= 25 ms: {'met' if award['p99_ms'] <= 25 else 'NOT met'}"
        f" ({award['p99_ms']:.1f}); status >= 0.50 x raw: {'met' if ratios['status_vs_raw'] >= 0.5 else 'NOT met'}"
        f" ({ratios['status_vs_raw']:.2f})"
    )
    database = {key: m.get("db_cpu_ms") for key, m in results.items()}
    if database["pgbench"] and database["award"]:
        print(
            f"PostgreSQL CPU: {database['pgbench']:.3f} ms per pgbench transaction,"
            f" {database['award']:.3f} ms per award: awards could reach at most"
            f" {ratios['award_database_ceiling_vs_pgbench']:.2f} x pgbench if the API cost nothing"
        )
    print(
        f"audit after awardPoints: {'clean' if report['audit_clean'] else 'FAILED'} {report['audit_output']}"
    )


if __name__ == "__main__":
    sys.exit(main())
