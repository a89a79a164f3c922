"""Run the Alembic revisions programmatically (`loyalty migrate`, `loyalty serve`, the tests and
the bench).

Replicas started together may all migrate at start: migrations/env.py takes a session-level
PostgreSQL advisory lock on MIGRATION_LOCK_KEY before reading the database's revision, on
Alembic's own connection (not one of the API's pooled connections, which are released without a
reset), and closes that connection at the end. The first process migrates; the others wait for it,
then find the database at head and do nothing."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from api.database import sqlalchemy_url

ALEMBIC_INI = Path(__file__).resolve().parent.parent / "alembic.ini"
# "loyalty" in ASCII: a bigint no one else's lock is likely to use (pgqueuer's keys are hashtext
# values, which fit in 32 bits).
MIGRATION_LOCK_KEY = int.from_bytes(b"loyalty", "big")


def alembic_config(database_url: str) -> Config:
    config = Config(str(ALEMBIC_INI))
    # ConfigParser interpolation would read '%' in a password as a directive.
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(database_url).replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Migrate to `revision`, waiting for any other process migrating the same database.
    Blocking: call it before the event loop starts or in a thread, one call per process at a
    time (Alembic's `context` is process-wide)."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)
