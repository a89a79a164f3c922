"""Idempotency keys, stored durably in PostgreSQL per program and client.

The key is claimed first, inside the write's own transaction: a concurrent retry with the same key
blocks on the unique index until the first commits, then finds the stored result and replays it.
If the first attempt is refused or fails, its claim rolls back with it, so nothing acknowledged is
ever lost and nothing refused is ever remembered.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from domain.validation import ErrorCode, InvalidInput, Problem, clean_text

KEY_MAX = 200

_CLAIM = """
INSERT INTO idempotency_key (program_id, client, key, operation, request_hash, created_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (program_id, client, key) DO NOTHING
RETURNING id
"""
_FIND = """
SELECT operation, request_hash, result FROM idempotency_key
WHERE program_id = $1 AND client = $2 AND key = $3
"""
_REMEMBER = (
    "UPDATE idempotency_key SET result = $4 WHERE program_id = $1 AND client = $2 AND key = $3"
)


def check_key(key: str) -> str:
    if clean_text(key, max_length=KEY_MAX) != key:
        raise InvalidInput(
            Problem(
                ("idempotencyKey",),
                f"idempotencyKey must be 1-{KEY_MAX} printable characters.",
                ErrorCode.INVALID_IDEMPOTENCY_KEY,
            )
        )
    return key


def request_hash(operation: str, request: dict[str, Any]) -> str:
    """A stable digest of what was asked, to tell a true retry from a reused key."""
    canonical = json.dumps([operation, request], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


async def claim(
    connection: BaseDBAsyncClient,
    *,
    program_id: int,
    client: str,
    key: str,
    operation: str,
    digest: str,
    now: datetime,
) -> dict[str, Any] | None:
    """None if this call owns the key and must do the work; else the stored result to replay."""
    if await connection.execute_query_dict(
        _CLAIM, [program_id, client, key, operation, digest, now]
    ):
        return None
    [found] = await connection.execute_query_dict(_FIND, [program_id, client, key])
    if found["operation"] != operation or found["request_hash"] != digest:
        raise InvalidInput(
            Problem(
                ("idempotencyKey",),
                "This idempotency key was already used for a different request.",
                ErrorCode.IDEMPOTENCY_KEY_REUSED,
            )
        )
    result = found["result"]
    stored: dict[str, Any] = json.loads(result) if isinstance(result, str) else result
    return stored


async def remember(
    connection: BaseDBAsyncClient, *, program_id: int, client: str, key: str, result: dict[str, Any]
) -> None:
    await connection.execute_query_dict(_REMEMBER, [program_id, client, key, json.dumps(result)])
