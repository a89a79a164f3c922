"""Tombstones of erased identities, shared by every area: consent buries an erased member's
email and externalId (consent/erasure.py), enrollment refuses them (loyalty/members.py).

Digests are HMACs under the database's one random key (`privacy_key`, made by revision 0012 and
again here if it was ever removed); domain/privacy.py says how a digest is made.
"""

from __future__ import annotations

from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from domain.privacy import TombstoneKind, tombstone_digest

_KEY = "SELECT secret FROM privacy_key WHERE id = 1"
_MAKE_KEY = (
    "INSERT INTO privacy_key (id, secret) VALUES (1, decode(replace("
    "gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex')) "
    "ON CONFLICT (id) DO NOTHING"
)


async def _key(connection: BaseDBAsyncClient, *, make: bool) -> bytes | None:
    rows = await connection.execute_query_dict(_KEY)
    if not rows and make:
        await connection.execute_query(_MAKE_KEY)
        rows = await connection.execute_query_dict(_KEY)
    return bytes(rows[0]["secret"]) if rows else None


async def bury(
    connection: BaseDBAsyncClient,
    program_id: int,
    identities: dict[TombstoneKind, str],
    *,
    at: datetime,
) -> None:
    """Remember that these identities were erased in the program (idempotently)."""
    key = await _key(connection, make=True)
    assert key is not None
    for kind, value in identities.items():
        await connection.execute_query(
            "INSERT INTO member_tombstone (program_id, kind, digest, created_at)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            [program_id, kind.value, tombstone_digest(key, kind, value), at],
        )


async def buried(
    connection: BaseDBAsyncClient, program_id: int, identities: dict[TombstoneKind, str]
) -> list[TombstoneKind]:
    """Which of these identities belong to an erased member of the program."""
    if not identities:
        return []
    key = await _key(connection, make=False)
    if key is None:  # no key, so no tombstone could be read: none was ever made with it
        return []
    digests = {tombstone_digest(key, kind, value): kind for kind, value in identities.items()}
    rows = await connection.execute_query_dict(
        "SELECT digest FROM member_tombstone WHERE program_id = $1 AND digest = ANY($2::text[])",
        [program_id, list(digests)],
    )
    return sorted({digests[row["digest"]] for row in rows})
