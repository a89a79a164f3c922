"""The `loyalty` command: serve, work, migrate, mint a development token, export the schema."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import sys
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path

from api.logs import configure_logging
from api.settings import Settings, SettingsError, load_settings

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"
TOKEN_TTL_MAX = 30 * 24 * 3600  # development tokens: a month at most


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="loyalty", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="migrate, then serve the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)

    commands.add_parser("migrate", help="upgrade the database to the newest revision")

    token = commands.add_parser("token", help="print a signed development token")
    token.add_argument("--role", required=True, choices=["member", "storefront", "admin"])
    token.add_argument("--program", required=True, help="the program (tenant) key, e.g. demo")
    token.add_argument("--subject", help="member (required): its externalId; others: a client id")
    token.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds")

    commands.add_parser("schema", help="write the GraphQL schema to schema.graphql")
    commands.add_parser("documents", help="list the trusted documents and their ids")

    audit = commands.add_parser("audit", help="check every balance of a program against its ledger")
    audit.add_argument("--program", required=True, help="the program (tenant) key")

    commands.add_parser(
        "worker", help="run background jobs and deliver the event log (as many as you like)"
    )

    jobs = commands.add_parser("jobs", help="background work, once, here and now")
    jobs.add_argument(
        "job", choices=["run"], help="run: settle due points and prune expired events and keys"
    )

    insights = commands.add_parser("insights", help="tools of the predictions")
    insights.add_argument(
        "tool",
        choices=["backtest"],
        help="backtest: the churn model vs a recency baseline on generated histories",
    )

    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"loyalty: configuration error: {error}", file=sys.stderr)  # noqa: T201
        return 2
    configure_logging(json=settings.json_logs, level=settings.log_level)
    match args.command:
        case "serve":
            return _serve(settings, args.host, args.port, args.workers)
        case "migrate":
            return _migrate(settings)
        case "token":
            return _token(settings, args.role, args.program, args.subject, args.ttl)
        case "audit":
            return _with_database(settings, lambda _: _audit(args.program))
        case "worker":
            return _with_database(settings, lambda url: _work(settings, url))
        case "jobs":
            return _with_database(settings, lambda _: _run_jobs(settings))
        case "insights":
            from domain import churn_backtest

            print(churn_backtest.render(churn_backtest.run()))  # noqa: T201
            return 0
        case "schema":
            from api.schema import schema

            SCHEMA_FILE.write_text(schema.as_str() + "\n")
            return 0
        case "documents":
            return _documents()
    return 2  # pragma: no cover - argparse rejects unknown commands


def _documents() -> int:
    from api.schema import schema
    from api.trusted.registry import TrustedDocuments

    for document in TrustedDocuments.load(schema._schema).documents:
        kind = "query" if document.read_only else "mutation"
        print(f"{document.id}  {document.name} ({document.operation}, {kind})")  # noqa: T201
    return 0


def _serve(settings: Settings, host: str, port: int, workers: int) -> int:
    import uvicorn

    from api.embedded import services
    from api.migrations import upgrade

    with (
        _metrics_folder(settings.data_dir, workers),
        services(settings.data_dir, settings.database_url, settings.redis_url) as urls,
    ):
        # Workers are separate processes: they find the (possibly embedded) servers here.
        os.environ["DATABASE_URL"] = urls.database_url
        os.environ["REDIS_URL"] = urls.redis_url
        upgrade(urls.database_url)
        uvicorn.run(
            "api.app:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            # The client's address and scheme from X-Forwarded-For / -Proto, from these peers only.
            proxy_headers=True,
            forwarded_allow_ips=list(settings.forwarded_allow_ips),
            # uvicorn's access log costs a third of a small request's time; production has the
            # API's own line per GraphQL request (api/access_log.py) and its proxy's.
            access_log=settings.development,
            log_config=None,  # uvicorn's lines go to the root logger, as ours (api/logs.py)
            # A WebSocket message (a subscription's document) is bounded as a request body is,
            # not by uvicorn's 16 MiB.
            ws_max_size=settings.max_body_bytes,
        )
    return 0


@contextlib.contextmanager
def _metrics_folder(data_dir: Path, workers: int) -> Iterator[None]:
    """Several workers write their metrics to files that a scrape sums (PROMETHEUS_MULTIPROC_DIR):
    the operator's folder if set, else a fresh one for this run under the data folder, removed
    after it (counts left from a previous run would be added to this one's). One worker runs in
    this process, whose prometheus_client is imported already: it keeps its metrics in memory."""
    if workers < 2 or os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        yield
        return
    folder = data_dir / "metrics" / str(os.getpid())
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)  # the workers import after this
    try:
        yield
    finally:
        del os.environ["PROMETHEUS_MULTIPROC_DIR"]
        shutil.rmtree(folder, ignore_errors=True)


def _migrate(settings: Settings) -> int:
    from api.embedded import services
    from api.migrations import upgrade

    with services(settings.data_dir, settings.database_url, settings.redis_url) as urls:
        upgrade(urls.database_url)
    return 0


def _with_database(settings: Settings, work: Callable[[str], Awaitable[int]]) -> int:
    """Run `work` with Tortoise connected to the configured (or embedded) PostgreSQL, whose
    URL it is given."""
    from tortoise import Tortoise

    from api.database import tortoise_config
    from api.embedded import services

    async def run(database_url: str) -> int:
        await Tortoise.init(
            config=tortoise_config(database_url, timeouts=settings.db_timeouts),
            _enable_global_fallback=True,
        )
        try:
            return await work(database_url)
        finally:
            await Tortoise.close_connections()

    with services(settings.data_dir, settings.database_url, settings.redis_url) as urls:
        return asyncio.run(run(urls.database_url))


async def _audit(program_key: str) -> int:
    from loyalty.points.audit import audit_program
    from loyalty.programs import find_program
    from loyalty.rewards.audit import audit_rewards

    program = await find_program(program_key)
    if program is None:
        print(f"loyalty: no program {program_key!r}", file=sys.stderr)  # noqa: T201
        return 2
    findings = await audit_program(program.id)
    for finding in findings:
        print(  # noqa: T201
            f"member {finding.member_id}: {finding.problem}: found {finding.found}, expected {finding.expected}"
        )
    rewards = await audit_rewards(program.id)
    for reward_finding in rewards:
        print(  # noqa: T201
            f"{reward_finding.subject}: {reward_finding.problem}: found {reward_finding.found}, expected {reward_finding.expected}"
        )
    print(f"audit of {program_key}: {len(findings) + len(rewards)} finding(s)")  # noqa: T201
    return 1 if findings or rewards else 0


async def _work(settings: Settings, database_url: str) -> int:
    """Until SIGTERM or Ctrl-C: jobs from the queue, events to their consumers."""
    import logging
    import signal

    from api.composition import build_bus
    from api.database import worker_connection
    from backbone.jobs import run_worker
    from domain.clock import SystemClock
    from loyalty import live_updates

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    logging.getLogger("pgqueuer").setLevel(logging.WARNING)  # its every poll is logged at INFO
    publisher = live_updates.Publisher(settings.redis_url) if settings.redis_url else None
    live = [publisher.registry()] if publisher else []
    bus = build_bus(SystemClock(), settings.retention, extra=live)
    print("loyalty worker: running jobs and delivering events", flush=True)  # noqa: T201
    try:
        await run_worker(bus, worker_connection(database_url), stop)
    finally:
        if publisher:
            await publisher.aclose()
    return 0


async def _run_jobs(settings: Settings) -> int:
    from api.composition import build_bus
    from backbone.jobs import run_now
    from domain.clock import SystemClock

    reports = await run_now(build_bus(SystemClock(), settings.retention))
    for name, report in reports.items():
        print(f"{name}: {report}")  # noqa: T201
    settle = reports.get("points.settle")
    return 1 if getattr(settle, "failed", 0) else 0


def _token(settings: Settings, role: str, program: str, subject: str | None, ttl: int) -> int:
    from api.auth import AuthError, Role, mint_token, principal_from_claims

    if settings.auth.secret is None:
        return _refuse("`token` signs with LOYALTY_JWT_SECRET (HS*) only")
    if subject is None:
        if role == Role.MEMBER:
            return _refuse("a member token needs --subject, the member's externalId")
        subject = f"{role}-cli"
    if not 1 <= ttl <= TOKEN_TTL_MAX:
        return _refuse(f"--ttl must be 1-{TOKEN_TTL_MAX} seconds")
    try:
        # The API's own claim rules: never print a token it would refuse.
        principal_from_claims({"role": role, "program": program, "sub": subject})
    except AuthError as error:
        return _refuse(f"the API would refuse this token: {error}")
    print(  # noqa: T201
        mint_token(
            settings.auth, role=Role(role), program_key=program, subject=subject, ttl_seconds=ttl
        )
    )
    return 0


def _refuse(reason: str) -> int:
    print(f"loyalty: {reason}", file=sys.stderr)  # noqa: T201
    return 2


if __name__ == "__main__":
    sys.exit(main())
