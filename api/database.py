"""PostgreSQL wiring: one Tortoise configuration from DATABASE_URL, used by the app, CLI and tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import asyncpg
from sqlalchemy.engine import URL

from api.settings import DatabaseTimeouts, SettingsError

# How long opening a connection may take: a database host that drops packets would otherwise hold
# a request (or a start-up) for asyncpg's default of 60 s before the client hears "retry later".
CONNECT_TIMEOUT_SECONDS = 5.0
# The client's own limit on a statement, a little past the server's statement_timeout: the server
# cancels a slow statement first, and this ends a wait for a server that no longer answers at all
# (frozen, or the network silently dropping packets), which no server-side setting can.
SILENT_SERVER_GRACE_SECONDS = 1.0

# Every Tortoise app whose models map tables created by the Alembic revisions.
MODEL_MODULES = {
    "loyalty": [
        "loyalty.models",
        "loyalty.points.models",
        "loyalty.tiers.models",
        "loyalty.webhooks.models",
        "loyalty.rewards.models",
        "loyalty.referrals.models",
        "loyalty.partners.models",
        "loyalty.gifts.models",
        "loyalty.community.models",
        "loyalty.challenges.models",
        "loyalty.points.transfer_models",
        "loyalty.campaigns.models",
        "loyalty.campaigns.gift_models",
        "loyalty.feedback.models",
        "loyalty.insights.purchase_models",
        "loyalty.insights.models",
    ],
    "backbone": ["backbone.models"],
    "consent": ["consent.models"],
    "privacy": ["consent.privacy_models"],
}


def connection_params(database_url: str) -> dict[str, Any]:
    """Split a postgresql:// URL (TCP or `?host=/socket/dir`) into asyncpg connection arguments."""
    parts = urlsplit(database_url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise SettingsError("DATABASE_URL must start with postgresql://")
    query = parse_qs(parts.query)
    host = query.get("host", [parts.hostname or "127.0.0.1"])[0]
    database = unquote(parts.path.lstrip("/")) or "postgres"
    params: dict[str, Any] = {
        "host": host,
        "port": parts.port or 5432,
        "user": unquote(parts.username or "postgres"),
        "password": unquote(parts.password or ""),
        "database": database,
    }
    # libpq's sslmode, kept so TLS required in production is never silently dropped.
    sslmode = query.get("sslmode", [None])[0]
    if sslmode is not None:
        params["ssl"] = sslmode
    return params


async def keep_session(connection: Any) -> None:
    """A pooled connection goes back as it is, without asyncpg's default reset statement
    (advisory unlock, CLOSE ALL, UNLISTEN, RESET ALL): one more round trip on every release,
    7 % of a status read's CPU. Nothing the API runs changes session state (no SET, LISTEN,
    cursor or session advisory lock: tests/unit/test_session_state.py), the timeouts are the
    connection's startup settings, and asyncpg still rolls back a transaction left open before
    calling this."""


def tortoise_config(
    database_url: str,
    *,
    pool_min: int = 1,
    pool_max: int = 10,
    timeouts: DatabaseTimeouts | None = None,
) -> dict[str, Any]:
    """The Tortoise configuration for DATABASE_URL with a bounded asyncpg pool.

    With `timeouts` (the API's), every pooled connection starts with them as server settings;
    without (the CLI's audits and jobs), the server's own defaults apply."""
    credentials: dict[str, Any] = {
        **connection_params(database_url),
        "minsize": pool_min,
        "maxsize": pool_max,
        "timeout": CONNECT_TIMEOUT_SECONDS,
        "reset": keep_session,
    }
    if timeouts is not None:
        if timeouts.statement_ms:
            credentials["command_timeout"] = (
                timeouts.statement_ms / 1000 + SILENT_SERVER_GRACE_SECONDS
            )
        credentials["server_settings"] = {
            "lock_timeout": str(timeouts.lock_ms),
            "statement_timeout": str(timeouts.statement_ms),
            "idle_in_transaction_session_timeout": str(timeouts.idle_in_transaction_ms),
        }
    return {
        "connections": {
            "default": {"engine": "tortoise.backends.asyncpg", "credentials": credentials}
        },
        "apps": {
            app: {"models": modules, "default_connection": "default"}
            for app, modules in MODEL_MODULES.items()
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def worker_connection(database_url: str) -> Callable[[], Awaitable[Any]]:
    """Opens the job worker's own connection (pgqueuer listens on it, so it is not pooled)."""

    async def connect() -> Any:
        return await asyncpg.connect(
            **connection_params(database_url), timeout=CONNECT_TIMEOUT_SECONDS
        )

    return connect


def sqlalchemy_url(database_url: str) -> str:
    """The same database for Alembic, through SQLAlchemy's asyncpg dialect (no second driver)."""
    params = connection_params(database_url)
    socket_dir = params["host"] if params["host"].startswith("/") else None
    query = {"host": socket_dir} if socket_dir else {}
    if "ssl" in params:
        query["ssl"] = params["ssl"]
    url = URL.create(
        "postgresql+asyncpg",
        username=params["user"],
        password=params["password"],
        host=None if socket_dir else params["host"],
        port=params["port"],
        database=params["database"],
        query=query,
    )
    return url.render_as_string(hide_password=False)
