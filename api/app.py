"""The Starlette application: /graphql, /healthz and /readyz, with PostgreSQL and Redis wired in
the lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from cross_web import AsyncHTTPRequestAdapter
from graphql import FieldNode, GraphQLError, OperationDefinitionNode, parse
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, request_response
from starlette.websockets import WebSocket
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult
from tortoise.contrib.starlette import RegisterTortoise

from api.auth import AuthError, Role, TokenVerifier, bearer_token
from api.body_limit import BodyLimit
from api.composition import build_bus
from api.context import Context
from api.database import tortoise_config, worker_connection
from api.errors import ClientError, TopLevelCode
from api.graphiql import asset_routes, graphiql_page
from api.graphql_http import GraphQLHTTP
from api.health import healthz, readyz
from api.oauth.endpoint import MAX_BODY_BYTES as TOKEN_BODY_BYTES
from api.oauth.endpoint import token_endpoint
from api.outages import is_outage
from api.partners.gate import PartnerGate
from api.privacy.download import export_download
from api.schema import MAX_TOKENS, schema
from api.settings import Settings, SettingsError, load_settings
from backbone.bus import MessageBus
from backbone.jobs import run_worker
from domain.clock import Clock, SystemClock

log = logging.getLogger(__name__)

REDIS_TIMEOUT_SECONDS = 2.0


class LoyaltyGraphQL(GraphQLHTTP):
    """The GraphQL endpoint; authenticates each request into its Context."""

    def __init__(self, verifier: TokenVerifier, bus: MessageBus, *, graphiql: bool) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if graphiql else None,
            allow_queries_via_get=False,
            subscription_protocols=(),
        )
        self._verifier = verifier
        self._bus = bus
        self._partners = PartnerGate()
        self._graphiql = graphiql

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """Every request is authenticated before anything runs. Only in development may an
        anonymous introspection-only document through, so GraphiQL can show the schema."""
        if context.unavailable:
            refused = ClientError(
                "The service is temporarily unavailable; retry later.",
                TopLevelCode.SERVICE_UNAVAILABLE,
            )
            return ExecutionResult(data=None, errors=[refused])
        if context.principal is None and not (
            self._graphiql and _introspection_only(request_data.query)
        ):
            try:
                context.require_principal()
            except ClientError as refused:
                return ExecutionResult(data=None, errors=[refused])
        return await super().execute_single(
            request, request_adapter, sub_response, context, root_value, request_data
        )

    async def render_graphql_ide(self, request: Request) -> Response:
        """Our own GraphiQL page, its assets served by this app (strawberry's loads a CDN)."""
        return graphiql_page(request.url.path)

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        # Absent only when the app runs without its lifespan (a test's bare app).
        redis: Redis | None = getattr(request.app.state, "redis", None)
        context = Context(
            clock=self._bus.clock, bus=self._bus, redis=redis, partner_gate=self._partners
        )
        try:
            token = bearer_token(request.headers.get("authorization"))
            if token is not None:
                principal = await self._verifier.verify(token)
                if principal.role is Role.PARTNER:
                    principal = await self._partners.admit(redis, principal)
                context.principal = principal
        except AuthError as error:
            context.auth_error = error
        except Exception as error:
            if not is_outage(error):
                raise
            context.unavailable = True  # the partner's client could not be read
        return context


def _introspection_only(query: str | None) -> bool:
    """True when every operation asks only for `__schema`, `__type` or `__typename` at its root
    (fragments may follow, as in GraphiQL's own introspection query)."""
    try:
        document = parse(query or "", max_tokens=MAX_TOKENS)  # anonymous: no more than others
    except GraphQLError:
        return False
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return bool(operations) and all(
        isinstance(selection, FieldNode) and selection.name.value.startswith("__")
        for operation in operations
        for selection in operation.selection_set.selections
    )


def create_app(
    settings: Settings,
    *,
    database_url: str,
    redis_url: str,
    clock: Clock | None = None,
    bus: MessageBus | None = None,
) -> Starlette:
    """The ASGI app for the given servers; `clock` lets tests move time, `bus` add handlers."""
    bus = bus or build_bus(clock or SystemClock(), settings.retention)
    verifier = TokenVerifier(settings.auth)
    graphql = LoyaltyGraphQL(verifier, bus, graphiql=settings.development)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        config = tortoise_config(
            database_url,
            pool_min=settings.db_pool_min,
            pool_max=settings.db_pool_max,
            timeouts=settings.db_timeouts,
        )
        redis: Redis = Redis.from_url(
            redis_url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        )
        app.state.redis = redis
        app.state.bus = bus
        try:
            async with (
                RegisterTortoise(app, config=config),
                _inline_worker(bus, database_url, enabled=settings.inline_worker),
            ):
                yield
        finally:
            await redis.aclose()

    return Starlette(
        routes=[
            Route("/graphql", BodyLimit(graphql, settings.max_body_bytes), methods=["GET", "POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/exports/{export_id}", export_download(verifier, bus.clock), methods=["GET"]),
            *_token_route(settings, bus.clock),
            *(asset_routes() if settings.development else []),
        ],
        middleware=_cors(settings.cors_origins),
        lifespan=lifespan,
    )


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
    if settings.database_url is None or settings.redis_url is None:
        raise SettingsError("DATABASE_URL and REDIS_URL must be set (`loyalty serve` sets them)")
    return create_app(settings, database_url=settings.database_url, redis_url=settings.redis_url)


__all__ = ["app_from_environment", "create_app"]
