"""Seed a benchmark program fast with PostgreSQL COPY: members, balances, ledger history, lots.

The ledger's guard triggers are switched off for the bulk load only (session_replication_role),
so balances are written consistent with the entries by construction here; `loyalty audit` after
the run proves they are.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from api.database import connection_params

PROGRAM_KEY = "bench"
CHUNK = 20_000
CONFIG = {
    "earn_rate": "1",
    "rounding": "DOWN",
    "bonuses": [{"multiplier": "2", "sku": None, "category": "shoes"}],
    "events": {"review_posted": 50},
    "cap": None,
    "pending_days": 0,
    "expiry": {"mode": "AFTER_MONTHS", "amount": 12, "round_to_month_end": True},
    "clawback": "CLAMP_AND_RECORD_DEBT",
}


async def seed(database_url: str, *, members: int, entries_per_member: int) -> None:
    connection = await asyncpg.connect(**connection_params(database_url))
    try:
        await connection.execute("SET session_replication_role = replica")
        now = datetime.now(UTC)
        program_id = await connection.fetchval(
            "INSERT INTO program (key, name, currency, timezone, default_locale, points_config, created_at, updated_at)"
            " VALUES ($1, 'Bench', 'EUR', 'Europe/Paris', 'en', $2::jsonb, $3, $3) RETURNING id",
            PROGRAM_KEY,
            json.dumps(CONFIG),
            now,
        )
        for start in range(1, members + 1, CHUNK):
            stop = min(start + CHUNK, members + 1)
            await _copy_chunk(connection, program_id, range(start, stop), entries_per_member, now)
        for table in ("member", "points_balance", "points_entry", "points_lot"):
            await connection.execute(
                f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"
            )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def _copy_chunk(
    connection: Any, program_id: int, ids: range, per_member: int, now: datetime
) -> None:
    rng = random.Random(ids.start)
    members, balances, entries, lots = [], [], [], []
    for member_id in ids:
        members.append(
            (
                member_id,
                program_id,
                f"m{member_id}",
                f"m{member_id}@bench.test",
                f"Member {member_id}",
                None,
                "en",
                "ACTIVE",
                now,
                now,
            )
        )
        available = 0
        for n in range(per_member):
            points = rng.randint(5, 400)
            available += points
            entry_id = (member_id - 1) * per_member + n + 1
            earned_at = now - timedelta(days=rng.randint(1, 300))
            entries.append(
                (
                    entry_id,
                    program_id,
                    member_id,
                    "EARN",
                    points,
                    points,
                    0,
                    0,
                    points,
                    available,
                    0,
                    0,
                    available,
                    "ORDER",
                    f"Order bench-{entry_id}",
                    f"order:bench-{entry_id}",
                    "storefront:seed",
                    None,
                    '{"lines": []}',
                    earned_at,
                )
            )
            lots.append(
                (
                    entry_id,
                    program_id,
                    member_id,
                    entry_id,
                    points,
                    points,
                    "ACTIVE",
                    None,
                    earned_at + timedelta(days=365),
                )
            )
        balances.append((member_id, member_id, program_id, available, 0, 0, available, now))
    await connection.copy_records_to_table("member", records=members, columns=MEMBER_COLUMNS)
    await connection.copy_records_to_table(
        "points_balance", records=balances, columns=BALANCE_COLUMNS
    )
    await connection.copy_records_to_table("points_entry", records=entries, columns=ENTRY_COLUMNS)
    await connection.copy_records_to_table("points_lot", records=lots, columns=LOT_COLUMNS)


MEMBER_COLUMNS = [
    "id",
    "program_id",
    "external_id",
    "email",
    "display_name",
    "birthday",
    "locale",
    "status",
    "created_at",
    "updated_at",
]
BALANCE_COLUMNS = [
    "id",
    "member_id",
    "program_id",
    "available",
    "pending",
    "debt",
    "lifetime_earned",
    "updated_at",
]
ENTRY_COLUMNS = [
    "id",
    "program_id",
    "member_id",
    "kind",
    "points",
    "available_delta",
    "pending_delta",
    "debt_delta",
    "lifetime_delta",
    "available_after",
    "pending_after",
    "debt_after",
    "lifetime_after",
    "reason_code",
    "reason",
    "source_ref",
    "actor",
    "idempotency_key",
    "explanation",
    "created_at",
]
LOT_COLUMNS = [
    "id",
    "program_id",
    "member_id",
    "entry_id",
    "points",
    "remaining",
    "status",
    "activates_at",
    "expires_at",
]


def member_sample(members: int, size: int, seed: int = 7) -> Iterator[int]:
    """Members whose tokens the read scenarios use, spread over the whole range."""
    rng = random.Random(seed)
    return (rng.randint(1, members) for _ in range(size))
