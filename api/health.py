"""Liveness and readiness probes for orchestrators."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from redis.asyncio import Redis
from starlette.requests import Request
from starlette.responses import JSONResponse
from tortoise import connections

PROBE_TIMEOUT_SECONDS = 1.0


async def healthz(request: Request) -> JSONResponse:
    """The process is alive and serving; says nothing of its dependencies."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """200 when PostgreSQL and Redis both answer; 503 naming each part that does not."""
    redis: Redis = request.app.state.redis
    results = await asyncio.gather(_check(_postgres()), _check(redis.ping()))
    checks = dict(zip(("postgres", "redis"), results, strict=True))
    ready = all(result == "ok" for result in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
    )


async def _postgres() -> object:
    return await connections.get("default").execute_query_dict("SELECT 1")


async def _check(probe: Awaitable[object]) -> str:
    try:
        await asyncio.wait_for(probe, PROBE_TIMEOUT_SECONDS)
    except Exception as error:
        return f"failed: {type(error).__name__}"
    return "ok"
