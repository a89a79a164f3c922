"""Alembic environment: runs the hand-written revisions over SQLAlchemy's asyncpg dialect, one
process at a time (MIGRATION_LOCK_KEY in api/migrations.py says why and how)."""

from __future__ import annotations

import asyncio
import logging

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from api.database import CONNECT_TIMEOUT_SECONDS
from api.migrations import MIGRATION_LOCK_KEY

log = logging.getLogger("alembic.env")


def _run(connection: Connection) -> None:
    context.configure(connection=connection, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()


async def _lock(connection: AsyncConnection) -> None:
    """Session-level, so it spans every revision's own transaction (transaction_per_migration);
    the connection is Alembic's alone, never a pooled one of the API's."""
    taken = await connection.exec_driver_sql(f"SELECT pg_try_advisory_lock({MIGRATION_LOCK_KEY})")
    if not taken.scalar():
        # A warning, so the wait shows before any logging is configured: a start-up that seems
        # to hang is another replica migrating.
        log.warning("another process is migrating this database; waiting for it to finish")
        await connection.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})")
    await connection.commit()


async def _run_online(url: str) -> None:
    # NullPool: the connection closes when the block ends, and with it the lock, also when a
    # revision fails.
    engine = create_async_engine(
        url, poolclass=NullPool, connect_args={"timeout": CONNECT_TIMEOUT_SECONDS}
    )
    try:
        async with engine.connect() as connection:
            await _lock(connection)
            await connection.run_sync(_run)
            await connection.commit()
            await connection.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})")
            await connection.commit()
    finally:
        await engine.dispose()


asyncio.run(_run_online(context.config.get_main_option("sqlalchemy.url") or ""))
