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
    """Ready (200) when PostgreSQL answers: every request needs it. Redis is checked and shown
    but does not make the replica unready: no request needs it (whatever later uses it, rate
    limits or caches, must fail open), so a Redis blip must not take every replica out of the
    load balancer at once; it shows as "degraded". 503 names what failed."""
    redis: Redis = request.app.state.redis
    results = await asyncio.gather(_check(_postgres()), _check(redis.ping()))
    checks = dict(zip(("postgres", "redis"), results, strict=True))
    if checks["postgres"] != "ok":
        status, code = "unavailable", 503
    else:
        status, code = ("ready" if checks["redis"] == "ok" else "degraded"), 200
    return JSONResponse({"status": status, "checks": checks}, status_code=code)


async def _postgres() -> object:
    return await connections.get("default").execute_query_dict("SELECT 1")


async def _check(probe: Awaitable[object]) -> str:
    try:
        await asyncio.wait_for(probe, PROBE_TIMEOUT_SECONDS)
    except Exception as error:
        return f"failed: {type(error).__name__}"
    return "ok"
