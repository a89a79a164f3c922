"""PostgreSQL wiring: one Tortoise configuration from DATABASE_URL, used by the app, CLI and tests."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from api.settings import SettingsError

# Every Tortoise app whose models map tables created by the Alembic revisions.
MODEL_MODULES = {"loyalty": ["loyalty.models", "loyalty.points.models"]}


def connection_params(database_url: str) -> dict[str, Any]:
    """Split a postgresql:// URL (TCP or `?host=/socket/dir`) into asyncpg connection arguments."""
    parts = urlsplit(database_url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise SettingsError("DATABASE_URL must start with postgresql://")
    query = parse_qs(parts.query)
    host = query.get("host", [parts.hostname or "127.0.0.1"])[0]
    database = unquote(parts.path.lstrip("/")) or "postgres"
    return {
        "host": host,
        "port": parts.port or 5432,
        "user": unquote(parts.username or "postgres"),
        "password": unquote(parts.password or ""),
        "database": database,
    }


def tortoise_config(database_url: str, *, pool_min: int = 1, pool_max: int = 10) -> dict[str, Any]:
    """The Tortoise configuration for DATABASE_URL with a bounded asyncpg pool."""
    return {
        "connections": {
            "default": {
                "engine": "tortoise.backends.asyncpg",
                "credentials": {
                    **connection_params(database_url),
                    "minsize": pool_min,
                    "maxsize": pool_max,
                },
            }
        },
        "apps": {
            app: {"models": modules, "default_connection": "default"}
            for app, modules in MODEL_MODULES.items()
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def sqlalchemy_url(database_url: str) -> str:
    """The same database for Alembic, through SQLAlchemy's asyncpg dialect (no second driver)."""
    params = connection_params(database_url)
    user, password = params["user"], params["password"]
    host, port, database = params["host"], params["port"], params["database"]
    if host.startswith("/"):
        return f"postgresql+asyncpg://{user}:{password}@/{database}?host={host}&port={port}"
    return f"postgresql+asyncpg://{user}:{password}@{host}:{port}/{database}"
