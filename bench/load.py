"""Load generators: wrk (with Lua scenarios) for HTTP, pgbench for PostgreSQL's own ceiling."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from api.database import connection_params
from bench.database_cpu import per_transaction, postgres_ticks

LUA = Path(__file__).resolve().parent / "lua"


@dataclass(frozen=True, slots=True)
class Measurement:
    name: str
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    requests: int
    # PostgreSQL's own CPU per request or transaction (bench/database_cpu.py); None: unmeasured.
    db_cpu_ms: float | None = None


def ensure_wrk() -> str:
    """wrk from Debian's packages, installed on first use where this user may install."""
    found = shutil.which("wrk")
    if found:
        return found
    if shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=False, capture_output=True)
        if not shutil.which("wrk"):
            subprocess.run(["apt-get", "update", "-q"], check=True, capture_output=True)
            subprocess.run(
                ["apt-get", "install", "-y", "-q", "wrk"], check=True, capture_output=True
            )
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("bench: wrk is needed (apt-get install wrk)")
    return found


def wrk(
    name: str,
    base: str,
    script: str,
    *,
    seconds: int,
    connections: int,
    threads: int,
    env: dict[str, str],
) -> Measurement:
    command = [
        ensure_wrk(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "-s",
        str(LUA / script),
        base + "/graphql",
    ]
    # A nonce per wrk run: its key counters restart at 1, and reusing a key with other input is
    # (rightly) refused by the API.
    run_env = {**os.environ, **env, "BENCH_LUA": str(LUA), "BENCH_RUN": f"{name}-{time.time_ns()}"}
    ticks = postgres_ticks()
    output = subprocess.run(
        command,
        env=run_env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    ticks_after = postgres_ticks()
    for line in output.splitlines():
        if line.startswith("BENCH_ERROR"):
            print(f"{name}: {line[:300]}")
    match = re.search(r"BENCH_JSON (\{.*\})", output)
    if match is None:
        raise RuntimeError(f"wrk printed no result:\n{output}")
    raw = json.loads(match.group(1))
    seconds_run = raw["duration_us"] / 1e6
    return Measurement(
        name,
        raw["requests"] / seconds_run,
        raw["p50_us"] / 1000,
        raw["p95_us"] / 1000,
        raw["p99_us"] / 1000,
        raw["http_errors"] + raw["socket_errors"] + raw["app_errors"],
        raw["requests"],
        per_transaction(ticks, ticks_after, raw["requests"]),
    )


def pgbench(database_url: str, *, seconds: int, clients: int, threads: int) -> Measurement:
    """pgbench -N (TPC-B without the contended teller/branch updates) at the same client count."""
    binary = _pgbench_binary()
    params = connection_params(database_url)
    base = [binary, "-h", params["host"], "-p", str(params["port"]), "-U", params["user"]]
    env = {**os.environ, "PGPASSWORD": params["password"]}
    subprocess.run(
        [*base, "-i", "-q", "-s", "10", params["database"]],
        env=env,
        check=True,
        capture_output=True,
    )
    ticks = postgres_ticks()
    output = subprocess.run(
        [
            *base,
            "-N",
            "-c",
            str(clients),
            "-j",
            str(threads),
            "-T",
            str(seconds),
            "-r",
            params["database"],
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    ticks_after = postgres_ticks()
    tps = float(re.search(r"tps = ([\d.]+)", output).group(1))  # type: ignore[union-attr]
    done = re.search(r"number of transactions actually processed: (\d+)", output)
    transactions = int(done.group(1)) if done else int(tps * seconds)
    latency = float(re.search(r"latency average = ([\d.]+) ms", output).group(1))  # type: ignore[union-attr]
    failed = re.search(r"number of failed transactions: (\d+)", output)
    return Measurement(
        "pgbench -N",
        tps,
        latency,
        float("nan"),
        float("nan"),
        int(failed.group(1)) if failed else 0,
        transactions,
        per_transaction(ticks, ticks_after, transactions),
    )


def _pgbench_binary() -> str:
    """The pgbench shipped in the pgserver wheel (always there), else the system's."""
    import pgserver

    bundled = Path(pgserver.__file__).parent / "pginstall" / "bin" / "pgbench"
    return str(bundled) if bundled.exists() else shutil.which("pgbench") or "pgbench"
