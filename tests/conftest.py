"""Test harness: real PostgreSQL and Redis, always.

With DATABASE_URL / REDIS_URL set, tests use those servers (a fresh database is created for the run
and dropped after it); otherwise they start embedded ones in a temporary folder. Each database test
starts from empty tables, so tests may run in any order.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
from starlette.applications import Starlette

from api.app import create_app
from api.auth import Role, mint_token
from api.context import clear_program_cache
from api.database import connection_params
from api.embedded import embedded_postgres, embedded_redis
from api.migrations import upgrade
from api.oauth import attempts as oauth_attempts
from api.settings import AuthSettings, load_settings
from backbone.bus import MessageBus
from domain.clock import FixedClock

TEST_SECRET = "test-secret-that-is-long-enough-for-hs256-0123456789"
AUTH = AuthSettings(
    algorithms=("HS256",),
    issuer="loyalty-test",
    audience="loyalty-api",
    leeway_seconds=5,
    secret=TEST_SECRET,
    oauth_secret="test-oauth-secret-long-enough-for-hs256-0123456789",
)
START = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def server_urls() -> Iterator[tuple[str, str]]:
    """URLs of a PostgreSQL server (its maintenance database) and of a Redis server."""
    # Not pytest's tmp_path: its rotation may delete a live server's folder under a parallel run.
    with tempfile.TemporaryDirectory(prefix="loyalty-test-") as folder:
        data = Path(folder)
        # Passable (not listable) by others: as root, PostgreSQL runs as its own user and must
        # reach its data here, or it would be moved outside this temporary folder and outlive it.
        data.chmod(0o711)
        with _postgres(data) as pg, _redis(data) as redis:
            yield pg, redis


def _postgres(data: Path) -> Any:
    url = os.environ.get("DATABASE_URL")
    return _given(url) if url else embedded_postgres(data / "postgres")


def _redis(data: Path) -> Any:
    url = os.environ.get("REDIS_URL")
    return _given(url) if url else embedded_redis(data / "redis")


class _given:
    def __init__(self, url: str) -> None:
        self.url = url

    def __enter__(self) -> str:
        return self.url

    def __exit__(self, *_: object) -> None:
        return None


@pytest.fixture(scope="session")
def database_factory(server_urls: tuple[str, str]) -> Iterator[Callable[[], str]]:
    """Makes fresh, empty databases on the test server; drops them all at the end."""
    admin_url = server_urls[0]
    created: list[str] = []

    def make() -> str:
        name = f"loyalty_test_{uuid.uuid4().hex[:12]}"
        asyncio.run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
        created.append(name)
        return _with_database(admin_url, name)

    yield make
    for name in created:
        asyncio.run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _admin(url: str, sql: str) -> None:
    connection = await asyncpg.connect(**connection_params(url))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


@pytest.fixture(scope="session")
def database_url(database_factory: Callable[[], str]) -> str:
    """The run's database, migrated to head once."""
    url = database_factory()
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture(scope="session")
def redis_url(server_urls: tuple[str, str]) -> str:
    return server_urls[1]


@pytest.fixture(scope="session")
async def app(
    database_url: str, redis_url: str, clock: FixedClock, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Starlette]:
    """The ASGI app with its lifespan running (Tortoise and Redis connected) for the session."""
    settings = load_settings(
        {"LOYALTY_ENV": "development", "LOYALTY_DATA_DIR": str(tmp_path_factory.mktemp("data"))}
    )
    # Time moves only when a test moves it: no background jobs in the test app.
    settings = dataclasses.replace(settings, auth=AUTH, inline_worker=False)
    application = create_app(settings, database_url=database_url, redis_url=redis_url, clock=clock)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="session")
def bus(app: Starlette) -> MessageBus:
    """The app's message bus: services are called through it, as resolvers do."""
    bus: MessageBus = app.state.bus
    return bus


@pytest.fixture
async def db(app: Starlette, clock: FixedClock) -> None:
    """Empty tables and the clock back at START: every database test begins from nothing."""
    from tortoise import connections

    clock.set(START)
    clear_program_cache()
    connection = connections.get("default")
    rows = await connection.execute_query_dict(
        "SELECT tablename FROM pg_tables"
        " WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
    )
    tables = ", ".join(f'"{row["tablename"]}"' for row in rows)
    await connection.execute_script(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    # Throttling buckets and token-request counts are kept by token subject and address, the
    # same in every test: each test starts with them full.
    redis = app.state.redis
    stale = [key async for key in redis.scan_iter(match="throttle:*")]
    stale += [key async for key in redis.scan_iter(match=oauth_attempts.key_pattern())]
    if stale:
        await redis.delete(*stale)


@pytest.fixture
async def client(app: Starlette, db: None) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://loyalty.test") as http:
        yield http


def token(role: Role, program: str = "acme", subject: str | None = None, **kwargs: Any) -> str:
    """A real signed token as the API's issuer would mint it."""
    return mint_token(
        AUTH, role=role, program_key=program, subject=subject or f"{role.value}-client", **kwargs
    )
