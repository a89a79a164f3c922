"""The `loyalty` command: serve, migrate, mint a development token, export the schema."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from api.settings import Settings, SettingsError, load_settings

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="loyalty", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="migrate, then serve the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)

    commands.add_parser("migrate", help="upgrade the database to the newest revision")

    token = commands.add_parser("token", help="print a signed development token")
    token.add_argument(
        "--role", required=True, choices=["member", "storefront", "partner", "admin"]
    )
    token.add_argument("--program", required=True, help="the program (tenant) key, e.g. demo")
    token.add_argument("--subject", help="member: its externalId; others: a client id")
    token.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds")

    commands.add_parser("schema", help="write the GraphQL schema to schema.graphql")

    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"loyalty: configuration error: {error}", file=sys.stderr)  # noqa: T201
        return 2
    match args.command:
        case "serve":
            return _serve(settings, args.host, args.port, args.workers)
        case "migrate":
            return _migrate(settings)
        case "token":
            return _token(settings, args.role, args.program, args.subject, args.ttl)
        case "schema":
            from api.schema import schema

            SCHEMA_FILE.write_text(schema.as_str() + "\n")
            return 0
    return 2  # pragma: no cover - argparse rejects unknown commands


def _serve(settings: Settings, host: str, port: int, workers: int) -> int:
    import uvicorn

    from api.embedded import services
    from api.migrations import upgrade

    with services(settings.data_dir, settings.database_url, settings.redis_url) as urls:
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
            proxy_headers=False,
        )
    return 0


def _migrate(settings: Settings) -> int:
    from api.embedded import services
    from api.migrations import upgrade

    with services(settings.data_dir, settings.database_url, settings.redis_url) as urls:
        upgrade(urls.database_url)
    return 0


def _token(settings: Settings, role: str, program: str, subject: str | None, ttl: int) -> int:
    from api.auth import Role, mint_token

    if settings.auth.secret is None:
        print("loyalty: `token` signs with LOYALTY_JWT_SECRET (HS*) only", file=sys.stderr)  # noqa: T201
        return 2
    print(  # noqa: T201
        mint_token(
            settings.auth,
            role=Role(role),
            program_key=program,
            subject=subject or f"{role}-cli",
            ttl_seconds=ttl,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
