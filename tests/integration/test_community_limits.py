"""The community's abuse limits against a real Redis, and without one: they fail open."""

from __future__ import annotations

import logging
import uuid

import pytest
from redis.asyncio import Redis

from domain.community import Limit, LimitedAction
from loyalty.community import limits

pytestmark = pytest.mark.integration


async def test_a_moving_window_counts_per_member_and_says_how_long_to_wait(
    redis_url: str,
) -> None:
    redis = Redis.from_url(redis_url)
    namespace = f"test-{uuid.uuid4().hex}"

    async def post(member_id: int) -> int | None:
        return await limits.hit(
            redis,
            namespace=namespace,
            program_id=1,
            member_id=member_id,
            action=LimitedAction.POST,
            limit=Limit(2, 60),
        )

    try:
        assert [await post(1), await post(1)] == [None, None]
        wait = await post(1)
        assert wait is not None
        assert 0 < wait <= 60
        assert await post(2) is None  # each member has its own count
    finally:
        async for key in redis.scan_iter(match=limits.key_pattern(namespace)):
            await redis.delete(key)
        await redis.aclose()


async def test_without_redis_the_limits_fail_open_and_say_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    unreachable = Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=0.5)
    try:
        with caplog.at_level(logging.WARNING, logger=limits.__name__):
            allowed = await limits.hit(
                unreachable,
                namespace="nowhere",
                program_id=1,
                member_id=1,
                action=LimitedAction.REACTION,
                limit=Limit(1, 60),
            )
        assert allowed is None
        assert "Redis unavailable" in caplog.text
    finally:
        await unreachable.aclose()
