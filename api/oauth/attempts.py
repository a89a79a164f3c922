"""Limits on POST /oauth/token, counted in Redis by the `limits` library (moving windows shared by
every replica): guessing a client's secret, or spraying guesses across clients, is throttled
before the secret is checked.

- Per address: at most `PER_ADDRESS` token requests a minute from one client address.
- Per client id: at most `FAILURES_PER_CLIENT` failed authentications a minute; while they are
  spent, the client's requests are refused without checking the secret (a legitimate client
  asks for a token every few minutes, and only failures count).

Redis out of reach never stops a partner: the limits fail open, with a warning.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

from limits import RateLimitItemPerMinute
from limits.aio.strategies import MovingWindowRateLimiter

from backbone import moving_windows
from backbone.moving_windows import KEY_PREFIX

log = logging.getLogger(__name__)

PER_ADDRESS = RateLimitItemPerMinute(120)
FAILURES_PER_CLIENT = RateLimitItemPerMinute(10)
SCOPE = "oauth-token"


def key_pattern() -> str:
    """The Redis keys of these counts (tests clear them between cases)."""
    return f"{KEY_PREFIX}:LIMITER/{SCOPE}/*"


async def admitted(redis: Any, *, address: str, client_id: str) -> int | None:
    """Count the request from `address`: None when it may go on, else the seconds to wait."""
    if redis is None:
        return None
    limiter = moving_windows.limiter(redis)
    try:
        if not await limiter.hit(PER_ADDRESS, SCOPE, "address", address):
            return await _wait(limiter, PER_ADDRESS, "address", address)
        if not await limiter.test(FAILURES_PER_CLIENT, SCOPE, "client", client_id):
            return await _wait(limiter, FAILURES_PER_CLIENT, "client", client_id)
    except Exception:
        log.warning("token request limits not checked: Redis unavailable", exc_info=True)
    return None


async def failed(redis: Any, *, client_id: str) -> None:
    """Count a failed authentication of `client_id`."""
    if redis is None:
        return
    try:
        await moving_windows.limiter(redis).hit(FAILURES_PER_CLIENT, SCOPE, "client", client_id)
    except Exception:
        log.warning("a failed token request was not counted: Redis unavailable", exc_info=True)


async def _wait(limiter: MovingWindowRateLimiter, item: Any, kind: str, key: str) -> int:
    stats = await limiter.get_window_stats(item, SCOPE, kind, key)
    return max(1, math.ceil(stats.reset_time - time.time()))
