"""Replicas started together migrate one at a time (the advisory lock of migrations/env.py).

Both tests hold MIGRATION_LOCK_KEY from the test's own connection first, so the upgrades they
start are certainly waiting for it together, not merely started close in time. Concurrent upgrades
run as separate processes, as replicas do: Alembic's `context` is process-wide, so two upgrades in
threads of one process would trip over each other, lock or no lock.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest
from alembic.script import ScriptDirectory

from api.database import connection_params
from api.migrations import MIGRATION_LOCK_KEY, alembic_config, upgrade

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
# A replica's start-up migration, with Alembic's INFO lines ("Running upgrade ...") on stderr.
REPLICA = """
import logging, sys
logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
from api.migrations import upgrade
upgrade(sys.argv[1])
"""
WAITERS = """SELECT count(*) FROM pg_locks
  WHERE locktype = 'advisory' AND NOT granted AND objid = $1
    AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"""


def head() -> str:
    heads = ScriptDirectory.from_config(alembic_config("postgresql://unused/unused")).get_heads()
    return heads[0]


@asynccontextmanager
async def migration_lock_held(url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(**connection_params(url))
    try:
        await connection.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
        yield connection
    finally:
        await connection.close()


async def until_waiting(connection: asyncpg.Connection, count: int) -> None:
    """Until `count` sessions wait for the migration lock (objid: the key's low 32 bits), for at
    most 30 s: a replica process takes a second or two to import and connect."""
    low_bits = MIGRATION_LOCK_KEY & 0xFFFFFFFF
    for _ in range(600):
        if await connection.fetchval(WAITERS, low_bits) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"fewer than {count} sessions ever waited for the migration lock")


async def versions(connection: asyncpg.Connection) -> list[str]:
    exists = await connection.fetchval("SELECT to_regclass('public.alembic_version') IS NOT NULL")
    if not exists:
        return []
    return [row[0] for row in await connection.fetch("SELECT version_num FROM alembic_version")]


async def test_replicas_starting_together_migrate_once(database_factory: Callable[[], str]):
    url = await asyncio.to_thread(database_factory)
    async with migration_lock_held(url) as holder:
        replicas = [
            await asyncio.create_subprocess_exec(
                sys.executable, "-c", REPLICA, url, cwd=ROOT, stderr=asyncio.subprocess.PIPE
            )
            for _ in range(2)
        ]
        await until_waiting(holder, 2)
        await holder.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)
        outputs = [(await replica.communicate())[1].decode() for replica in replicas]
        assert [replica.returncode for replica in replicas] == [0, 0], outputs

        assert await versions(holder) == [head()]
        assert await holder.fetchval("SELECT count(*) FROM pg_tables WHERE tablename = 'member'")
    # Every revision ran in exactly one of the two processes; both said they were waiting.
    first_revision = "Running upgrade  -> 0001"
    assert sorted(output.count(first_revision) for output in outputs) == [0, 1], outputs
    ran, idle = sorted(outputs, key=lambda output: output.count(first_revision), reverse=True)
    assert f"-> {head()}," in ran
    assert "Running upgrade" not in idle
    assert all("waiting for it to finish" in output for output in outputs), outputs


async def test_an_upgrade_waits_for_the_lock_then_migrates(database_factory: Callable[[], str]):
    url = await asyncio.to_thread(database_factory)
    async with migration_lock_held(url) as holder:
        migrating = asyncio.create_task(asyncio.to_thread(upgrade, url))
        await until_waiting(holder, 1)
        await asyncio.sleep(0.5)
        assert not migrating.done()
        assert await versions(holder) == []

        await holder.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)
        await asyncio.wait_for(migrating, timeout=120)
        assert await versions(holder) == [head()]

        # The lock went with the upgrade's connection: it can be taken again at once.
        assert await holder.fetchval("SELECT pg_try_advisory_lock($1)", MIGRATION_LOCK_KEY)
