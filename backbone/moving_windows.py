"""Moving-window counters in Redis (the `limits` library), one limiter per Redis connection
pool, so every area that limits something shares the app's pool and every replica shares the
counts: community abuse limits, token requests."""

from __future__ import annotations

from typing import Any

from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter

KEY_PREFIX = "LIMITS"
_limiters: dict[int, MovingWindowRateLimiter] = {}


def limiter(redis: Any) -> MovingWindowRateLimiter:
    """The limiter counting through `redis`'s pool, made at first use."""
    pool = redis.connection_pool
    found = _limiters.get(id(pool))
    if found is None:
        storage = RedisStorage(
            "async+redis://",
            implementation="redispy",
            connection_pool=pool,
            wrap_exceptions=True,
            key_prefix=KEY_PREFIX,
        )
        found = _limiters[id(pool)] = MovingWindowRateLimiter(storage)
    return found
