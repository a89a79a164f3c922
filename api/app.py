"""The Starlette application: /graphql, /healthz and /readyz, with PostgreSQL and Redis wired in
the lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from redis.asyncio import BlockingConnectionPool, Redis
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route, WebSocketRoute, request_response
from tortoise.contrib.starlette import RegisterTortoise

from api.access_log import AccessLog
from api.auth import TokenVerifier
from api.body_limit import BodyLimit
from api.composition import build_bus
from api.conditional_get import ConditionalGet
from api.database import tortoise_config, worker_connection
from api.endpoint import LoyaltyGraphQL
from api.graphiql import asset_routes
from api.health import healthz, readyz
from api.logs import configure_logging
from api.metrics import metrics_routes
from api.oauth.endpoint import MAX_BODY_BYTES as TOKEN_BODY_BYTES
from api.oauth.endpoint import token_endpoint
from api.privacy.download import export_download
from api.request_id import RequestIdMiddleware
from api.schema import schema
from api.settings import Settings, SettingsError, load_settings
from api.tracing import enable_tracing
from api.trusted.registry import TrustedDocuments
from backbone.bus import MessageBus
from backbone.jobs import run_worker
from domain.clock import Clock, SystemClock
from loyalty import live_updates

log = logging.getLogger(__name__)

REDIS_TIMEOUT_SECONDS = 2.0
REDIS_MAX_CONNECTIONS = 256  # per process


def create_app(
    settings: Settings,
    *,
    database_url: str,
    redis_url: str,
    clock: Clock | None = None,
    bus: MessageBus | None = None,
) -> Starlette:
    """The ASGI app for the given servers; `clock` lets tests move time, `bus` add handlers."""
    publisher = live_updates.Publisher(redis_url)
    bus = bus or build_bus(clock or SystemClock(), settings.retention, extra=[publisher.registry()])
    verifier = TokenVerifier(settings.auth)
    graphql = LoyaltyGraphQL(
        verifier,
        bus,
        graphiql=settings.development,
        documents=TrustedDocuments.load(schema._schema),
        trusted_only=settings.trusted_documents_only,
        buckets=settings.rate_limits,
        allowed_origins=settings.cors_origins,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        config = tortoise_config(
            database_url,
            pool_min=settings.db_pool_min,
            pool_max=settings.db_pool_max,
            timeouts=settings.db_timeouts,
        )
        # A blocking pool: past its size a request waits (up to the timeout) for a connection,
        # where redis-py's default pool refuses at 100, which would silently switch the rate
        # limits off (they fail open) for a burst of concurrent requests.
        redis: Redis = Redis.from_pool(
            BlockingConnectionPool.from_url(
                redis_url,
                max_connections=REDIS_MAX_CONNECTIONS,
                timeout=REDIS_TIMEOUT_SECONDS,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            )
        )
        app.state.redis = redis
        # Subscriptions' own connections (one each, held while subscribed; api/live.py).
        app.state.live_redis = live_redis = Redis.from_url(redis_url)
        app.state.bus = bus
        try:
            async with (
                RegisterTortoise(app, config=config),
                _inline_worker(bus, database_url, enabled=settings.inline_worker),
            ):
                yield
        finally:
            await redis.aclose()
            await live_redis.aclose()
            await publisher.aclose()

    app = Starlette(
        routes=[
            Route(
                "/graphql",
                AccessLog(
                    BodyLimit(ConditionalGet(graphql), settings.max_body_bytes),
                    secret=settings.auth.oauth_secret,
                ),
                methods=["GET", "POST"],
            ),
            WebSocketRoute("/graphql", graphql),  # subscriptions (api/live.py)
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/exports/{export_id}", export_download(verifier, bus.clock), methods=["GET"]),
            *_token_route(settings, bus.clock),
            *metrics_routes(settings),
            *(asset_routes() if settings.development else []),
        ],
        # The request id first: every line logged while a request is served carries it.
        middleware=[Middleware(RequestIdMiddleware), *_cors(settings.cors_origins)],
        lifespan=lifespan,
    )
    enable_tracing(app, settings.tracing)
    return app


def _token_route(settings: Settings, clock: Clock) -> list[Route]:
    """POST /oauth/token, when partner tokens can be signed (always, from load_settings)."""
    if settings.auth.oauth_secret is None:
        return []
    endpoint = token_endpoint(settings.auth, clock)
    return [
        Route(
            "/oauth/token",
            BodyLimit(request_response(endpoint), TOKEN_BODY_BYTES),
            methods=["POST"],
        )
    ]


def _cors(origins: tuple[str, ...]) -> list[Middleware]:
    """Browser clients on other origins (LOYALTY_CORS_ORIGINS). Tokens travel in the
    Authorization header, never in cookies, so credentials are not allowed."""
    if not origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=list(origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            max_age=600,
        )
    ]


@contextlib.asynccontextmanager
async def _inline_worker(
    bus: MessageBus, database_url: str, *, enabled: bool
) -> AsyncIterator[None]:
    """The job worker and event relay inside this serving process (LOYALTY_WORKER=inline), so
    that one command runs everything. Every process may run one: they share the work."""
    if not enabled:
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(run_worker(bus, worker_connection(database_url), stop))
    try:
        yield
    finally:
        stop.set()
        try:
            await asyncio.wait_for(task, timeout=15)
        except Exception:
            log.exception("the inline worker did not stop cleanly")


def app_from_environment() -> Starlette:
    """uvicorn factory (`api.app:app_from_environment`): servers named by DATABASE_URL/REDIS_URL."""
    settings = load_settings()
    # Each worker process of uvicorn's starts with logging unconfigured.
    configure_logging(json=settings.json_logs, level=settings.log_level)
    if settings.database_url is None or settings.redis_url is None:
        raise SettingsError("DATABASE_URL and REDIS_URL must be set (`loyalty serve` sets them)")
    return create_app(settings, database_url=settings.database_url, redis_url=settings.redis_url)


__all__ = ["app_from_environment", "create_app"]
