"""The GraphQL endpoint: strawberry's view with our HTTP rules (api/graphql_http.py), which
document a request runs (api/trusted/), and who is calling, authenticated into its Context."""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Mapping
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import FieldNode, GraphQLError, OperationDefinitionNode, parse
from redis.asyncio import Redis
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult

from api import access_log
from api.auth import AuthError, Principal, Role, TokenVerifier, bearer_token
from api.context import Context
from api.errors import ClientError, TopLevelCode
from api.graphiql import graphiql_page
from api.graphql_http import GraphQLHTTP
from api.live import LiveContext, SubscriptionsOnly
from api.outages import is_outage
from api.partners.gate import PartnerGate
from api.request_metrics import ERROR, REFUSED, OperationNames, observe, outcome
from api.schema import MAX_TOKENS, schema
from api.trusted.registry import TrustedDocuments
from api.trusted.resolution import DOCUMENT_ID, Refused, resolve
from backbone.bus import MessageBus
from domain.throttling import DEFAULT_BUCKETS, Bucket


class LoyaltyGraphQL(GraphQLHTTP):
    """The GraphQL endpoint; authenticates each request into its Context, and each WebSocket
    connection at its `connection_init` (api/live.py)."""

    graphql_transport_ws_handler_class = SubscriptionsOnly

    def __init__(
        self,
        verifier: TokenVerifier,
        bus: MessageBus,
        *,
        graphiql: bool,
        documents: TrustedDocuments,
        trusted_only: bool = False,
        buckets: Mapping[str, Bucket] = DEFAULT_BUCKETS,
        allowed_origins: tuple[str, ...] = (),
    ) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if graphiql else None,
            allow_queries_via_get=True,  # trusted read-only documents only (resolution.py)
            # Never the legacy graphql-ws protocol (an auth bypass in older strawberry).
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            # Browsers' WebSockets from other origins: those CORS allows (LOYALTY_CORS_ORIGINS).
            allowed_origins=allowed_origins,
        )
        self._verifier = verifier
        self._bus = bus
        self._partners = PartnerGate()
        self._graphiql = graphiql
        self._documents = documents
        self._trusted_only = trusted_only
        self._operations = OperationNames(schema._schema, documents)
        self._buckets = buckets

    def should_render_graphql_ide(self, request: Any) -> bool:
        """The IDE for a browser's plain GET, not for a document sent by id or hash."""
        params = request.query_params
        return super().should_render_graphql_ide(request) and not (
            DOCUMENT_ID in params or "extensions" in params
        )

    def parse_json(self, data: str | bytes) -> Any:
        decoded = super().parse_json(data)
        return _document_id_as_extension(decoded)

    def parse_query_params(self, params: Any) -> dict[str, Any]:
        found: dict[str, Any] = _document_id_as_extension(super().parse_query_params(params))
        return found

    async def execute_operation(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Context,
        root_value: None,
        sub_response: Response,
    ) -> Any:
        """Every request timed and counted by operation and outcome (api/request_metrics.py)."""
        started, ended = time.perf_counter(), ERROR
        try:
            result = await super().execute_operation(
                request, request_adapter, request_data, context, root_value, sub_response
            )
            ended = outcome(result if isinstance(result, ExecutionResult) else None)
            return result
        except HTTPException:
            ended = REFUSED
            raise
        finally:
            observe(self._operation(request_data), ended, time.perf_counter() - started)

    def _operation(self, request_data: GraphQLRequestData | list[GraphQLRequestData]) -> str:
        query = None
        if isinstance(request_data, GraphQLRequestData):
            with contextlib.suppress(Refused):  # refused documents are labelled `other`
                query = resolve(
                    self._documents,
                    query=request_data.query,
                    extensions=request_data.extensions,
                    trusted_only=False,
                    method="POST",
                ).query
        name = getattr(request_data, "operation_name", None)
        return self._operations.label(query, name)

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
        try:
            resolved = resolve(
                self._documents,
                query=request_data.query,
                extensions=request_data.extensions,
                trusted_only=self._trusted_only,
                method=request_adapter.method,
            )
        except Refused as unknown:
            return ExecutionResult(data=None, errors=[ClientError(unknown.message, unknown.code)])
        request_data = dataclasses.replace(request_data, query=resolved.query)
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

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        parsed = await super().parse_http_body(request)
        access_log.note_operation_name(getattr(parsed, "operation_name", None))
        return parsed

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        access_log.note_result(result)  # every answer passes here, refusals before running too
        return await super().process_result(request, result)

    def subscription_document(self, query: str | None, extensions: object) -> str | None:
        """The text of the subscription to run, by the rules of an HTTP POST; Refused otherwise."""
        return resolve(
            self._documents,
            query=query,
            extensions=extensions if isinstance(extensions, dict) else None,
            trusted_only=self._trusted_only,
            method="POST",
        ).query

    async def on_ws_connect(self, context: Context) -> None:
        if isinstance(context, LiveContext):
            await context.connect()
        access_log.note_caller(context.principal)

    async def _authenticate(self, token: str, redis: Redis | None) -> Principal:
        principal = await self._verifier.verify(token)
        if principal.role is Role.PARTNER:
            principal = await self._partners.admit(redis, principal)
        return principal

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        # Absent only when the app runs without its lifespan (a test's bare app).
        redis: Redis | None = getattr(request.app.state, "redis", None)
        if isinstance(request, WebSocket):  # authenticated at connection_init (on_ws_connect)
            return LiveContext(
                clock=self._bus.clock,
                bus=self._bus,
                # Each subscription holds a connection: not the shared pool's (rate limits).
                redis=getattr(request.app.state, "live_redis", None),
                partner_gate=self._partners,
                buckets=self._buckets,
                authenticate=lambda token: self._authenticate(token, redis),
            )
        context = Context(
            clock=self._bus.clock,
            bus=self._bus,
            redis=redis,
            partner_gate=self._partners,
            buckets=self._buckets,
        )
        try:
            token = bearer_token(request.headers.get("authorization"))
            if token is not None:
                context.principal = await self._authenticate(token, redis)
        except AuthError as error:
            context.auth_error = error
        except Exception as error:
            if not is_outage(error):
                raise
            context.unavailable = True  # the partner's client could not be read
        access_log.note_caller(context.principal)
        return context


def _document_id_as_extension(data: Any) -> Any:
    """`documentId` beside `query` travels on in `extensions`, which strawberry passes along."""
    if isinstance(data, dict) and DOCUMENT_ID in data:
        extensions = data.get("extensions") or {}
        if not isinstance(extensions, dict):
            raise HTTPException(400, "The GraphQL request's `extensions` must be an object.")
        data["extensions"] = {**extensions, DOCUMENT_ID: data.pop(DOCUMENT_ID)}
    return data


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
