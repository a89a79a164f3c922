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

from backbone import moving_windows
from backbone.moving_windows import KEY_PREFIX
from domain.community import Limit, LimitedAction

log = logging.getLogger(__name__)

SCOPE = "community"


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
    limiter = moving_windows.limiter(redis)
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
