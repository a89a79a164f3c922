"""The embedded servers as a new user meets them: started by whichever process comes first, shared
by `serve`, `jobs run` and `audit`, stopped only by the last process using them, and reachable by
PostgreSQL's unprivileged user when root runs them from a private folder."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from api.embedded import embedded_postgres, traversable_by_others
from api.server_users import ServerUsers
from tests.serving import LOYALTY, loyalty_env, serving

pytestmark = pytest.mark.integration


def _embedded_env(data_dir: Path) -> dict[str, str]:
    """The environment of a fresh machine: no server URLs, so everything starts embedded."""
    env = loyalty_env(data_dir)
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    return env


def _redis_pid(data_dir: Path) -> int:
    settings = (data_dir / "redis" / "redis.db.settings").read_text()
    pidfile = Path(json.loads(settings)["pidfile"])
    return int(pidfile.read_text())


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A data folder PostgreSQL's own user can reach when root runs the tests (pytest's tmp_path
    is private to root, which would move the cluster outside it)."""
    with tempfile.TemporaryDirectory(prefix="loyalty-embedded-") as folder:
        Path(folder).chmod(0o711)
        yield Path(folder)


def test_jobs_and_audit_beside_serve_leave_its_servers_running(data_dir: Path) -> None:
    env = _embedded_env(data_dir)
    with serving(env) as base:
        redis_pid = _redis_pid(data_dir)
        for command in (["jobs", "run"], ["audit", "--program", "demo"], ["migrate"]):
            finished = subprocess.run(
                [LOYALTY, *command], env=env, capture_output=True, text=True, timeout=60
            )
            assert finished.returncode in (0, 2), finished.stderr  # 2: no program "demo" yet
            assert httpx.get(f"{base}/readyz").status_code == 200, command
        assert _redis_pid(data_dir) == redis_pid  # the same server, never restarted
    # serve was the last user: it stopped both servers on its way out.
    with pytest.raises(ProcessLookupError):
        os.kill(redis_pid, 0)
    assert not (data_dir / "postgres" / "postmaster.pid").exists()
    assert ServerUsers(data_dir / "redis").live() == set()


def test_the_last_user_out_is_told_so(tmp_path: Path) -> None:
    users = ServerUsers(tmp_path)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        with users.locked():
            users.join()
            (tmp_path / "users").write_text(
                (tmp_path / "users").read_text() + f"{other.pid}\n999999999\n"
            )
            assert users.live() == {os.getpid(), other.pid}  # the dead id is dropped
            assert not users.leave()  # the other process still uses the server
            users.join()
        other.kill()
        other.wait()
        with users.locked():
            assert users.leave()
    finally:
        other.kill()
        other.wait()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root hands PostgreSQL to another user")
def test_root_runs_a_private_folders_cluster_without_opening_the_folder(tmp_path: Path) -> None:
    private = tmp_path / "home"
    private.mkdir(mode=0o700)
    clusters = tmp_path / "clusters"
    with embedded_postgres(private / "data" / "postgres", root_clusters=clusters) as url:
        assert asyncio.run(_select_one(url)) == 1
    assert private.stat().st_mode & 0o777 == 0o700  # nothing was opened up to other users
    assert (private / "data" / "postgres").is_symlink()
    assert traversable_by_others((private / "data" / "postgres").resolve().parent)


async def _select_one(url: str) -> int:
    connection = await asyncpg.connect(url)
    try:
        value: int = await connection.fetchval("SELECT 1")
        return value
    finally:
        await connection.close()
