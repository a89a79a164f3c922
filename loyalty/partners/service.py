"""Partner clients in SQL: registration, secret rotation, revocation, and the two lookups that
authenticate partners (the token endpoint's, by id and secret, and every request's, by id).

A client's secrets are rows of partner_client_secret, each a SHA-256 digest: the current one
(no expiry) and, after a rotation, the previous ones until their overlap ends. Revoking a client
is final and ends every secret and every token at once (requests check the client, not the
token alone: api/partners/gate.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

from domain.partners import LIVE_SECRETS_MAX, digest, hint, new_client_id, new_secret
from domain.throttling import Bucket
from domain.validation import ErrorCode, InvalidInput, Problem


@dataclass(frozen=True, slots=True)
class SecretInfo:
    """What an admin may know of a secret: its last characters and its lifetime."""

    hint: str
    created_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class Client:
    id: int
    program_id: int
    client_id: str
    name: str
    scopes: tuple[str, ...]
    active: bool
    created_at: datetime
    revoked_at: datetime | None
    secrets: tuple[SecretInfo, ...]
    bucket: Bucket | None = None  # its own throttling bucket; None: the partner role's


@dataclass(frozen=True, slots=True)
class Access:
    """What a request needs to know of the client its token names."""

    program_key: str
    scopes: tuple[str, ...]
    active: bool
    bucket: Bucket | None = None


_COLUMNS = """c.id, c.program_id, c.client_id, c.name, c.scopes, c.active, c.created_at,
c.revoked_at, c.rate_limit_maximum, c.rate_limit_restore, coalesce((SELECT jsonb_agg(jsonb_build_object('hint', s.hint,
  'created_at', s.created_at, 'expires_at', s.expires_at) ORDER BY s.id DESC)
  FROM partner_client_secret s WHERE s.client_id = c.id
  AND (s.expires_at IS NULL OR s.expires_at > $2)), '[]') AS secrets"""
_INSERT_CLIENT = """
INSERT INTO partner_client (program_id, client_id, name, scopes, active, created_by, created_at,
  rate_limit_maximum, rate_limit_restore)
VALUES ($1, $2, $3, $4::jsonb, true, $5, $6, $7, $8) RETURNING id
"""
_INSERT_KEY_DIGEST = "INSERT INTO partner_client_secret (client_id, digest, hint, created_at) VALUES ($1, $2, $3, $4)"
# The secrets in use end at the overlap's end, unless they already end sooner.
_END_SECRETS = """
UPDATE partner_client_secret SET expires_at = least(coalesce(expires_at, $2), $2)
WHERE client_id = $1 AND (expires_at IS NULL OR expires_at > $3)
"""
# Rotating again and again never leaves more than LIVE_SECRETS_MAX secrets working: the oldest
# in overlap stop at once.
_KEEP_NEWEST = """
UPDATE partner_client_secret SET expires_at = $2
WHERE client_id = $1 AND (expires_at IS NULL OR expires_at > $2) AND id NOT IN (
  SELECT id FROM partner_client_secret WHERE client_id = $1
    AND (expires_at IS NULL OR expires_at > $2) ORDER BY id DESC LIMIT $3)
"""
_AUTHENTICATE = """
SELECT c.client_id, p.key AS program_key, c.scopes
FROM partner_client_secret s
JOIN partner_client c ON c.id = s.client_id
JOIN program p ON p.id = c.program_id
WHERE s.digest = $1 AND c.client_id = $2 AND c.active
  AND (s.expires_at IS NULL OR s.expires_at > $3)
"""
_ACCESS = """
SELECT p.key AS program_key, c.scopes, c.active, c.rate_limit_maximum, c.rate_limit_restore
FROM partner_client c JOIN program p ON p.id = c.program_id WHERE c.client_id = $1
"""


def _scopes(raw: Any) -> tuple[str, ...]:
    """A JSONB array as the driver answers it: text, unless a codec decoded it already."""
    return tuple(json.loads(raw) if isinstance(raw, str) else raw)


def _secrets(raw: Any) -> tuple[SecretInfo, ...]:
    rows = json.loads(raw) if isinstance(raw, str) else raw
    return tuple(
        SecretInfo(
            hint=row["hint"],
            created_at=datetime.fromisoformat(row["created_at"]),
            expires_at=datetime.fromisoformat(row["expires_at"]) if row["expires_at"] else None,
        )
        for row in rows
    )


def _client(row: dict[str, Any]) -> Client:
    return Client(
        id=row["id"],
        program_id=row["program_id"],
        client_id=row["client_id"],
        name=row["name"],
        scopes=_scopes(row["scopes"]),
        active=row["active"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
        secrets=_secrets(row["secrets"]),
        bucket=_bucket(row),
    )


def _bucket(row: dict[str, Any]) -> Bucket | None:
    if row["rate_limit_maximum"] is None:
        return None
    return Bucket(row["rate_limit_maximum"], row["rate_limit_restore"])


async def find(
    connection: BaseDBAsyncClient, program_id: int, key: int, at: datetime, *, lock: bool = False
) -> Client | None:
    """A client of the program by its key; `lock` holds its row for a change (FOR UPDATE)."""
    rows = await connection.execute_query_dict(
        f"SELECT {_COLUMNS} FROM partner_client c WHERE c.id = $1 AND c.program_id = $3"  # noqa: S608
        + (" FOR UPDATE OF c" if lock else ""),
        [key, at, program_id],
    )
    return _client(rows[0]) if rows else None


async def lookup(program_id: int, key: int, at: datetime) -> Client | None:
    """A client of the program by its key, for reads."""
    return await find(connections.get("default"), program_id, key, at)


def _not_found() -> InvalidInput:
    return InvalidInput(
        Problem(
            ("clientId",),
            "No such partner client in the program.",
            ErrorCode.PARTNER_CLIENT_NOT_FOUND,
        )
    )


async def _active(connection: BaseDBAsyncClient, program_id: int, key: int, at: datetime) -> Client:
    found = await find(connection, program_id, key, at, lock=True)
    if found is None:
        raise _not_found()
    if not found.active:
        raise InvalidInput(
            Problem(
                ("clientId",),
                "The partner client is revoked; register a new one.",
                ErrorCode.PARTNER_CLIENT_REVOKED,
            )
        )
    return found


async def register(
    connection: BaseDBAsyncClient,
    *,
    program_id: int,
    name: str,
    scopes: Sequence[str],
    actor: str,
    at: datetime,
    bucket: Bucket | None = None,
) -> tuple[Client, str]:
    """A new client and its first secret (the only time the secret is known)."""
    limits = [bucket.maximum, bucket.restore_rate] if bucket is not None else [None, None]
    [row] = await connection.execute_query_dict(
        _INSERT_CLIENT,
        [program_id, new_client_id(), name, json.dumps(list(scopes)), actor, at, *limits],
    )
    secret = await _add_secret(connection, row["id"], at)
    client = await find(connection, program_id, row["id"], at)
    assert client is not None  # inserted just now, in this transaction
    return client, secret


async def _add_secret(connection: BaseDBAsyncClient, key: int, at: datetime) -> str:
    secret = new_secret()
    await connection.execute_query(_INSERT_KEY_DIGEST, [key, digest(secret), hint(secret), at])
    return secret


async def rotate(
    connection: BaseDBAsyncClient, program_id: int, key: int, *, overlap: timedelta, at: datetime
) -> tuple[Client, str]:
    """A new secret; the ones in use keep working for `overlap`, then stop."""
    await _active(connection, program_id, key, at)
    await connection.execute_query(_END_SECRETS, [key, at + overlap, at])
    secret = await _add_secret(connection, key, at)
    await connection.execute_query(_KEEP_NEWEST, [key, at, LIVE_SECRETS_MAX])
    client = await find(connection, program_id, key, at)
    assert client is not None
    return client, secret


async def revoke(connection: BaseDBAsyncClient, program_id: int, key: int, at: datetime) -> Client:
    """End the client, its secrets and its tokens; final."""
    found = await _active(connection, program_id, key, at)
    await connection.execute_query(
        "UPDATE partner_client SET active = false, revoked_at = $2 WHERE id = $1", [key, at]
    )
    await connection.execute_query(_END_SECRETS, [key, at, at])
    return Client(
        id=found.id,
        program_id=found.program_id,
        client_id=found.client_id,
        name=found.name,
        scopes=found.scopes,
        active=False,
        created_at=found.created_at,
        revoked_at=at,
        secrets=(),
    )


async def page(program_id: int, *, after_id: int, limit: int, at: datetime) -> list[Client]:
    rows = await connections.get("default").execute_query_dict(
        f"SELECT {_COLUMNS} FROM partner_client c"  # noqa: S608
        " WHERE c.program_id = $1 AND c.id > $3 ORDER BY c.id LIMIT $4",
        [program_id, at, after_id, limit],
    )
    return [_client(row) for row in rows]


async def authenticate(
    client_id: str, secret: str, at: datetime
) -> tuple[str, tuple[str, ...]] | None:
    """The program key and scopes of an active client whose secret this is, else None."""
    rows = await connections.get("default").execute_query_dict(
        _AUTHENTICATE, [digest(secret), client_id, at]
    )
    if not rows:
        return None
    return rows[0]["program_key"], _scopes(rows[0]["scopes"])


async def access(client_id: str) -> Access | None:
    """The client a partner token names, as it stands now; None if there is no such client."""
    rows = await connections.get("default").execute_query_dict(_ACCESS, [client_id])
    if not rows:
        return None
    return Access(
        program_key=rows[0]["program_key"],
        scopes=_scopes(rows[0]["scopes"]),
        active=rows[0]["active"],
        bucket=_bucket(rows[0]),
    )


async def tie(program_id: int, member_id: int, client_id: str) -> tuple[str, bool] | None:
    """The partner client's name and whether the member is the referee of a referral it
    attributed; None if the program has no such client."""
    rows = await connections.get("default").execute_query_dict(
        """SELECT c.name, EXISTS (SELECT 1 FROM referral r WHERE r.program_id = $1
             AND r.referee_id = $2 AND r.brought_by = 'partner:' || c.client_id) AS brought
           FROM partner_client c WHERE c.program_id = $1 AND c.client_id = $3""",
        [program_id, member_id, client_id],
    )
    return (rows[0]["name"], rows[0]["brought"]) if rows else None
