"""Abuse limits: posts, reactions and reports per member per moving window, counted in Redis
by the `limits` library, so every API replica shares one count.

The API layer calls `hit` before it hands a post, reaction or report to the bus (the Redis
client lives on the app); a refused or replayed request counts too, as abuse limits should.
Redis being out of reach never stops a member: the limit fails open (allowed, and logged),
as every use of Redis must (README, "How it is built"), since nothing a request needs lives
there.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

from limits import RateLimitItemPerSecond
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter

from domain.community import Limit, LimitedAction

log = logging.getLogger(__name__)

KEY_PREFIX = "LIMITS"
SCOPE = "community"
# One limiter per Redis connection pool (one per app), made at first use.
_limiters: dict[int, MovingWindowRateLimiter] = {}


def _limiter(redis: Any) -> MovingWindowRateLimiter:
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


def key_pattern(namespace: str) -> str:
    """The Redis keys of one namespace's counts (tests clear them between cases)."""
    return f"{KEY_PREFIX}:LIMITER/{SCOPE}/{namespace}/*"


async def hit(
    redis: Any,
    *,
    namespace: str,
    program_id: int,
    member_id: int,
    action: LimitedAction,
    limit: Limit,
) -> int | None:
    """Count one action of the member: None when it is within the limit, else the whole seconds
    until the oldest action in the window leaves it (at least 1). `namespace` keeps deployments
    sharing one Redis apart (the API passes its database's name)."""
    if redis is None:
        return None
    item = RateLimitItemPerSecond(limit.amount, limit.seconds)
    ids = (SCOPE, namespace, action.value, str(program_id), str(member_id))
    limiter = _limiter(redis)
    try:
        if await limiter.hit(item, *ids):
            return None
        stats = await limiter.get_window_stats(item, *ids)
    except Exception:
        log.warning(
            "community %s limit not checked: Redis unavailable", action.value, exc_info=True
        )
        return None
    return max(1, math.ceil(stats.reset_time - time.time()))
