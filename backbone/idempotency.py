"""Idempotency keys, stored durably in PostgreSQL per program and client.

The key is claimed first, inside the write's own transaction: a concurrent retry with the same key
blocks on the unique index until the first commits, then finds the stored result and replays it.
If the first attempt is refused or fails, its claim rolls back with it, so nothing acknowledged is
ever lost and nothing refused is ever remembered. Keys are kept for the retention period
(LOYALTY_IDEMPOTENCY_RETENTION_DAYS), then pruned by a job (backbone/retention.py).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from domain.validation import ErrorCode, InvalidInput, Problem, clean_text, decimal_key

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


@dataclass(frozen=True, slots=True)
class Claim:
    """One client's key for one write: what was asked (`digest`) under which operation."""

    program_id: int
    client: str
    key: str
    operation: str
    digest: str


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


def claim_for(
    command: Any, *, program_id: int, client: str, key: str, leave_out: Iterable[str] = ()
) -> Claim:
    """The claim of a command (a dataclass): its operation is the command's class, its digest
    covers every field but the key itself and those named in `leave_out` (who asks, the
    program's cached settings), so a true retry matches and a reused key for another request
    does not."""
    check_key(key)
    skipped = {"idempotency_key", *leave_out}
    asked = {
        item.name: getattr(command, item.name)
        for item in dataclasses.fields(command)
        if item.name not in skipped
    }
    operation = type(command).__name__
    return Claim(program_id, client, key, operation, request_hash(operation, asked))


def request_hash(operation: str, request: dict[str, Any]) -> str:
    """A stable digest of what was asked: decimals by value (10.0 is 10.00), enums by value."""
    canonical = json.dumps(
        [operation, _plain(request)], sort_keys=True, default=str, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {item.name: _plain(getattr(value, item.name)) for item in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Decimal):
        return decimal_key(value)
    if isinstance(value, Enum):
        return value.value
    return value


async def claim(
    connection: BaseDBAsyncClient, claim: Claim, *, at: datetime
) -> dict[str, Any] | None:
    """None if this call owns the key and must do the work; else the stored result to replay."""
    if await connection.execute_query_dict(
        _CLAIM, [claim.program_id, claim.client, claim.key, claim.operation, claim.digest, at]
    ):
        return None
    [found] = await connection.execute_query_dict(
        _FIND, [claim.program_id, claim.client, claim.key]
    )
    if found["operation"] != claim.operation or found["request_hash"] != claim.digest:
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


async def remember(connection: BaseDBAsyncClient, claim: Claim, result: dict[str, Any]) -> None:
    await connection.execute_query_dict(_REMEMBER, remember_parameters(claim, result))


def remember_parameters(claim: Claim, result: dict[str, Any]) -> list[Any]:
    """$1-$4 of the update that stores the result: the key's three parts, then the result."""
    return [claim.program_id, claim.client, claim.key, json.dumps(result)]
