"""The Alembic revisions and the Tortoise models must describe the same database.

Alembic owns the schema; loyalty/models.py only maps it. Database A is migrated to head, database
B gets the schema Tortoise would generate from the models, and the `public` schemas are compared:
tables; columns (type, nullability, default, sequence defaults read as "serial"); primary keys;
unique constraints and unique indexes; other indexes with their access method; foreign keys with
their ON DELETE / ON UPDATE actions.

Not compared: the job queue's tables (pgqueuer_*), which are the library's, not mapped by
Tortoise (migration 0007 installs them as pgqueuer renders them, and pgqueuer verifies them when a
worker starts); constraint and index names (Tortoise hashes them), CHECK constraints and triggers
(Tortoise cannot express them, and the database may guard more than the ORM knows).

Tortoise runs in a subprocess so its process-wide model registry never touches the session `app`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import sys
from collections.abc import Callable
from pathlib import Path

import asyncpg
import pytest
from alembic.script import ScriptDirectory

from api.database import connection_params
from api.migrations import alembic_config, downgrade, upgrade

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
GENERATE_SCHEMA = """
import asyncio, sys
from tortoise import Tortoise
from api.database import tortoise_config

async def main():
    await Tortoise.init(config=tortoise_config(sys.argv[1], pool_min=1, pool_max=1))
    try:
        await Tortoise.generate_schemas(safe=False)
    finally:
        await Tortoise.close_connections()

asyncio.run(main())
"""

# Each query reads the ordinary tables `t` of `public`, leaving out Alembic's own table.
TABLES = """SELECT t.relname FROM pg_class t
  WHERE t.relnamespace = 'public'::regnamespace AND t.relkind IN ('r', 'p')
    AND t.relname <> 'alembic_version' AND t.relname NOT LIKE 'pgqueuer%'"""
COLUMNS = """SELECT t.relname, a.attname, format_type(a.atttypid, a.atttypmod),
    CASE WHEN a.attnotnull THEN 'NOT NULL' ELSE 'NULL' END,
    CASE WHEN a.attidentity <> '' THEN 'identity' ELSE pg_get_expr(d.adbin, d.adrelid) END
  FROM pg_attribute a JOIN pg_class t ON t.oid = a.attrelid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  WHERE t.relnamespace = 'public'::regnamespace AND t.relkind IN ('r', 'p')
    AND t.relname <> 'alembic_version' AND t.relname NOT LIKE 'pgqueuer%' AND a.attnum > 0 AND NOT a.attisdropped"""
INDEXES = """SELECT t.relname,
    ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnkeyatts) k),
    i.indisprimary, i.indisunique, am.amname, pg_get_expr(i.indpred, i.indrelid)
  FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
  JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam
  WHERE t.relnamespace = 'public'::regnamespace AND t.relkind IN ('r', 'p')
    AND t.relname <> 'alembic_version' AND t.relname NOT LIKE 'pgqueuer%'"""
FOREIGN_KEYS = """SELECT t.relname,
    ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(num, ord)
      JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.num ORDER BY k.ord),
    r.relname,
    ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(num, ord)
      JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.num ORDER BY k.ord),
    c.confdeltype::text, c.confupdtype::text
  FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class r ON r.oid = c.confrelid
  WHERE t.relnamespace = 'public'::regnamespace AND t.relkind IN ('r', 'p')
    AND t.relname <> 'alembic_version' AND t.relname NOT LIKE 'pgqueuer%' AND c.contype = 'f'"""
# Everything a downgrade could leave behind in `public`.
OBJECTS = """SELECT 'relation ' || relname FROM pg_class WHERE relnamespace = 'public'::regnamespace
  UNION ALL SELECT 'type ' || typname FROM pg_type
    WHERE typnamespace = 'public'::regnamespace AND typtype IN ('e', 'd')
  UNION ALL SELECT 'function ' || proname FROM pg_proc
    WHERE pronamespace = 'public'::regnamespace"""
ALEMBIC_OWN = {"relation alembic_version", "relation alembic_version_pkc"}
ACTIONS = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
SEQUENCE_DEFAULT = re.compile(r"^nextval\('[^']+'::regclass\)$")


@dataclasses.dataclass(frozen=True)
class Shape:
    """What the ORM relies on, name-free: compare two of these field by field."""

    tables: frozenset[str]
    columns: frozenset[tuple[str, str, str, str, str | None]]  # table, column, type, null, default
    primary_keys: frozenset[tuple[str, tuple[str, ...]]]
    unique: frozenset[tuple[str, tuple[str, ...], str | None]]  # table, columns, partial predicate
    indexes: frozenset[tuple[str, tuple[str, ...], str, str | None]]  # ..., method, predicate
    foreign_keys: frozenset[tuple[str, tuple[str, ...], str, tuple[str, ...], str, str]]


async def shape_of(url: str) -> Shape:
    connection = await asyncpg.connect(**connection_params(url))
    try:
        tables = await connection.fetch(TABLES)
        columns = await connection.fetch(COLUMNS)
        indexes = await connection.fetch(INDEXES)
        foreign_keys = await connection.fetch(FOREIGN_KEYS)
    finally:
        await connection.close()
    return Shape(
        tables=frozenset(row[0] for row in tables),
        columns=frozenset((t, c, typ, nn, _default(d)) for t, c, typ, nn, d in columns),
        primary_keys=frozenset((t, tuple(cols)) for t, cols, pk, *_ in indexes if pk),
        unique=frozenset((t, tuple(c), w) for t, c, pk, uq, _, w in indexes if uq and not pk),
        indexes=frozenset((t, tuple(c), am, w) for t, c, _, uq, am, w in indexes if not uq),
        foreign_keys=frozenset(
            (t, tuple(cols), ref, tuple(ref_cols), ACTIONS[on_delete], ACTIONS[on_update])
            for t, cols, ref, ref_cols, on_delete, on_update in foreign_keys
        ),
    )


def _default(expression: str | None) -> str | None:
    if expression is not None and SEQUENCE_DEFAULT.match(expression):
        return "serial"
    return expression


def differences(migrated: Shape, models: Shape) -> dict[str, dict[str, list[object]]]:
    """Per category, what only the migrations and what only the models have."""
    found: dict[str, dict[str, list[object]]] = {}
    for field in dataclasses.fields(Shape):
        left, right = getattr(migrated, field.name), getattr(models, field.name)
        if left != right:
            found[field.name] = {
                "only_in_migrations": sorted(left - right, key=repr),
                "only_in_models": sorted(right - left, key=repr),
            }
    return found


def report(drift: dict[str, dict[str, list[object]]], heading: str) -> str:
    lines = [heading]
    for category, sides in drift.items():
        lines.append(f"{category}:")
        lines += [f"  only in migrations: {item!r}" for item in sides["only_in_migrations"]]
        lines += [f"  only in models:     {item!r}" for item in sides["only_in_models"]]
    return "\n".join(lines)


async def migrated_database(database_factory: Callable[[], str]) -> str:
    url = await asyncio.to_thread(database_factory)
    await asyncio.to_thread(upgrade, url, "head")
    return url


async def tortoise_database(database_factory: Callable[[], str]) -> str:
    url = await asyncio.to_thread(database_factory)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", GENERATE_SCHEMA, url, cwd=ROOT, stderr=asyncio.subprocess.PIPE
    )
    _, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    return url


async def execute(url: str, sql: str) -> None:
    connection = await asyncpg.connect(**connection_params(url))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def objects_in(url: str) -> set[str]:
    connection = await asyncpg.connect(**connection_params(url))
    try:
        return {row[0] for row in await connection.fetch(OBJECTS)}
    finally:
        await connection.close()


async def test_migrations_and_models_describe_the_same_schema(database_factory):
    migrated, generated = await asyncio.gather(
        migrated_database(database_factory), tortoise_database(database_factory)
    )
    migrated_shape, models_shape = await shape_of(migrated), await shape_of(generated)
    assert migrated_shape.tables, "the migrations created no tables"
    drift = differences(migrated_shape, models_shape)
    assert not drift, report(drift, "Alembic head and Tortoise models disagree:")


async def test_comparison_notices_altered_type_dropped_unique_and_missing_index(database_factory):
    url = await migrated_database(database_factory)
    before = await shape_of(url)
    await execute(
        url,
        """ALTER TABLE member ALTER COLUMN email TYPE varchar(300);
        ALTER TABLE member DROP CONSTRAINT member_program_external_id_key;
        DROP INDEX member_program_id_id_idx;""",
    )
    after = await shape_of(url)  # plays the models' side below
    assert differences(before, after) == {
        "columns": {
            "only_in_migrations": [("member", "email", "character varying(254)", "NOT NULL", None)],
            "only_in_models": [("member", "email", "character varying(300)", "NOT NULL", None)],
        },
        "unique": {
            "only_in_migrations": [("member", ("program_id", "external_id"), None)],
            "only_in_models": [],
        },
        "indexes": {
            "only_in_migrations": [("member", ("program_id", "id"), "btree", None)],
            "only_in_models": [],
        },
    }


async def test_downgrade_to_base_and_upgrade_again_round_trips(database_factory):
    url = await asyncio.to_thread(database_factory)
    empty = await objects_in(url)
    await asyncio.to_thread(upgrade, url, "head")
    first = await shape_of(url)

    await asyncio.to_thread(downgrade, url, "base")
    leftovers = await objects_in(url) - empty - ALEMBIC_OWN
    assert not leftovers, f"downgrade to base left behind: {sorted(leftovers)}"

    await asyncio.to_thread(upgrade, url, "head")
    drift = differences(first, await shape_of(url))
    assert not drift, report(drift, "The second upgrade (right) built another schema:")


def test_revisions_form_one_documented_line():
    scripts = ScriptDirectory.from_config(alembic_config("postgresql://postgres@127.0.0.1/unused"))
    assert len(scripts.get_heads()) == 1, f"several heads: {scripts.get_heads()}"
    revisions = list(scripts.walk_revisions())
    assert len(scripts.get_bases()) == 1, f"several bases: {scripts.get_bases()}"
    for revision in revisions:
        assert not revision.is_merge_point, f"{revision.revision} merges branches"
        assert (revision.module.__doc__ or "").strip(), f"{revision.path} has no docstring"
