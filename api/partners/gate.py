"""Every partner request is checked against its client as it stands now, not the token alone.

A token is valid for 15 minutes; a revoked client's tokens must stop at once, and a client's
scopes can only narrow a token's. So each request reads the client (program, scopes, active)
from Redis, where it is kept for CACHE_SECONDS, or from PostgreSQL on a miss.

Cache order: a miss fills the entry with SET NX; a revocation, after its commit, overwrites the
entry unconditionally (and keeps it longer than any fill). Whichever order a concurrent fill
and a revocation take, the revoked state is what stays. Redis down: every request reads
PostgreSQL (slower, never wrong); after a failure Redis is left alone for PAUSE_SECONDS, so an
unreachable Redis costs one timeout per pause, not one per request.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time

import redis.exceptions
from redis.asyncio import Redis

from api.auth import AuthError, Principal
from domain.throttling import Bucket
from loyalty.partners import service
from loyalty.partners.service import Access

log = logging.getLogger(__name__)

CACHE_SECONDS = 10
REVOKED_SECONDS = 600
PAUSE_SECONDS = 5.0
_REDIS_FAILURES = (redis.exceptions.RedisError, OSError)


def _key(client_id: str) -> str:
    return f"loyalty:partner-client:{client_id}"


def _encode(access: Access) -> str:
    bucket = access.bucket
    return json.dumps(
        {
            "program": access.program_key,
            "scopes": access.scopes,
            "active": access.active,
            "bucket": [bucket.maximum, bucket.restore_rate] if bucket is not None else None,
        }
    )


def _decode(raw: bytes | str) -> Access | None:
    try:
        value = json.loads(raw)
        bucket = value["bucket"]
        return Access(
            program_key=str(value["program"]),
            scopes=tuple(str(scope) for scope in value["scopes"]),
            active=value["active"] is True,
            bucket=Bucket(int(bucket[0]), int(bucket[1])) if bucket is not None else None,
        )
    except (ValueError, KeyError, TypeError):
        return None  # not ours, or an older shape: read the database instead


class PartnerGate:
    """One per app (LoyaltyGraphQL holds it): the check of partner requests, and whether Redis
    is worth asking right now."""

    def __init__(self) -> None:
        self._redis_paused_until = 0.0

    def _usable(self, redis: Redis | None) -> Redis | None:
        return redis if redis is not None and time.monotonic() >= self._redis_paused_until else None

    def _failed(self, what: str, error: Exception) -> None:
        self._redis_paused_until = time.monotonic() + PAUSE_SECONDS
        log.warning("partner gate: %s; Redis left alone for %ss: %s", what, PAUSE_SECONDS, error)

    async def current(self, redis: Redis | None, client_id: str) -> Access | None:
        """The client as it stands (cached for at most CACHE_SECONDS, revocations at once)."""
        usable = self._usable(redis)
        if usable is not None:
            try:
                raw = await usable.get(_key(client_id))
            except _REDIS_FAILURES as error:
                self._failed("reading PostgreSQL instead", error)
                usable = None
            else:
                found = _decode(raw) if raw is not None else None
                if found is not None:
                    return found
        found = await service.access(client_id)
        if found is not None and usable is not None:
            try:
                await usable.set(_key(client_id), _encode(found), ex=CACHE_SECONDS, nx=True)
            except _REDIS_FAILURES as error:
                self._failed("could not cache a client", error)
        return found

    async def admit(self, redis: Redis | None, principal: Principal) -> Principal:
        """The partner principal with the scopes its client still holds; AuthError when the
        client is revoked, unknown, or of another program than the token says."""
        found = await self.current(redis, principal.subject)
        if found is None or found.program_key != principal.program_key:
            raise AuthError("unknown partner client")
        if not found.active:
            raise AuthError("partner client revoked")
        return dataclasses.replace(
            principal, scopes=principal.scopes & frozenset(found.scopes), bucket=found.bucket
        )

    async def revoked(self, redis: Redis | None, client_id: str, program_key: str) -> None:
        """After a revocation commits: every replica's next request sees it. Always tried, even
        while paused: if Redis cannot be told, a cached entry ends within CACHE_SECONDS anyway."""
        if redis is None:
            return
        entry = Access(program_key=program_key, scopes=(), active=False)
        try:
            await redis.set(_key(client_id), _encode(entry), ex=REVOKED_SECONDS)
        except _REDIS_FAILURES as error:
            self._failed(f"revocation not cached, effective within {CACHE_SECONDS}s", error)
