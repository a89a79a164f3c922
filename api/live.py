"""Subscriptions over WebSocket (`graphql-transport-ws` only: the legacy `graphql-ws` protocol
had an auth bypass and is never offered).

A connection authenticates once, with `connection_init`'s `authorization` ("Bearer <token>"),
verified by the same rules as an HTTP request's header; without a valid token it is closed with
4403. Only subscriptions run on it (queries and mutations go over HTTP, where the trusted-document
and throttling rules apply). A subscription ends with an UNAUTHENTICATED error when its token
expires: checked on every message and by a timer at expiry.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

import jwt
import strawberry
from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage

from api.auth import AuthError, Principal, bearer_token
from api.context import Context
from api.errors import ClientError, TopLevelCode
from api.trusted.resolution import Refused

# Once the token's `exp` has passed, it is verified again this often until the verifier's leeway
# runs out and it is refused.
EXPIRY_RECHECK_SECONDS = 1.0
Authenticate = Callable[[str], Awaitable[Principal]]


@dataclass
class LiveContext(Context):
    """The Context of one WebSocket connection, shared by its subscriptions; strawberry puts
    `connection_init`'s payload in `connection_params`."""

    connection_params: dict[str, Any] = field(default_factory=dict)
    authenticate: Authenticate | None = None
    token: str | None = None
    expires_at: float = 0.0  # the token's `exp` (Unix time)

    async def connect(self) -> None:
        """Authenticate the connection from its `connection_init` payload, or refuse it."""
        params = self.connection_params
        header = params.get("authorization", params.get("Authorization"))
        try:
            token = bearer_token(header if isinstance(header, str) else None)
            if token is None or self.authenticate is None:
                raise AuthError("authentication required")
            self.principal = await self.authenticate(token)
        except AuthError as refused:
            raise ConnectionRejectionError({"reason": str(refused)}) from refused
        # Verified just above: only its expiry is read here.
        claims = jwt.decode(token, options={"verify_signature": False})
        self.token, self.expires_at = token, float(claims["exp"])

    async def require_valid_token(self) -> None:
        """UNAUTHENTICATED once the connection's token is refused (expired), by the verifier's
        own rules, leeway included."""
        if time.time() < self.expires_at:
            return
        try:
            if self.token is None or self.authenticate is None:
                raise AuthError("authentication required")
            await self.authenticate(self.token)
        except AuthError as refused:
            raise ClientError(
                f"Not authenticated: {refused}.", TopLevelCode.UNAUTHENTICATED
            ) from refused

    def seconds_to_recheck(self) -> float:
        """How long a subscription may wait for a message before the token must be re-checked."""
        return max(self.expires_at - time.time(), EXPIRY_RECHECK_SECONDS)

    def forget_reads(self) -> None:
        """Drop what earlier messages read (the member, its loaders' caches), so the next one
        reads the member as it stands now."""
        self._me = None
        self._member_loader = None
        self._loaders.clear()


def live_context(info: strawberry.Info[Context, Any]) -> LiveContext:
    context = info.context
    if not isinstance(context, LiveContext):  # pragma: no cover - HTTP never runs subscriptions
        raise ClientError("Subscriptions run over WebSocket.", TopLevelCode.FORBIDDEN)
    return context


class DocumentRules(Protocol):
    """The view's choice of document (api/trusted/): by id, by hash, or its text when allowed."""

    def subscription_document(self, query: str | None, extensions: object) -> str | None: ...


class SubscriptionsOnly(BaseGraphQLTransportWSHandler[Context, None]):
    """The protocol handler, refusing queries and mutations sent over the socket, and documents
    the HTTP endpoint would refuse (LOYALTY_DOCUMENTS=trusted)."""

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if self.connection_acknowledged:  # before that strawberry closes the socket with 4401
            payload = message["payload"]
            try:
                query = cast("DocumentRules", self.view).subscription_document(
                    payload.get("query"), payload.get("extensions")
                )
            except Refused as refused:
                await self._refuse(message["id"], refused.message, refused.code)
                return
            if not _subscription(query, payload.get("operationName")):
                await self._refuse(
                    message["id"],
                    "Only subscriptions run over WebSocket; send queries and mutations over HTTP.",
                    TopLevelCode.FORBIDDEN,
                )
                return
            message = {**message, "payload": {**payload, "query": query or ""}}
        await super().handle_subscribe(message)

    async def _refuse(self, operation_id: str, reason: str, code: TopLevelCode) -> None:
        refused = GraphQLError(reason, extensions={"code": code.value})
        await self.send_message(
            {"id": operation_id, "type": "error", "payload": [refused.formatted]}
        )


def _subscription(query: object, operation_name: object) -> bool:
    """True when the operation to run is a subscription; a document that does not parse is
    left to strawberry, which closes the socket with 4400."""
    if not isinstance(query, str):
        return True
    from api.schema import MAX_TOKENS  # the schema imports the areas, which import this module

    try:
        document = parse(query, max_tokens=MAX_TOKENS)
    except GraphQLError:
        return True
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [
        o
        for o in operations
        if operation_name is None or (o.name is not None and o.name.value == operation_name)
    ]
    return bool(chosen) and all(o.operation is OperationType.SUBSCRIPTION for o in chosen)


async def until_message(
    context: LiveContext, next_message: Callable[[float], Awaitable[object | None]]
) -> AsyncGenerator[None]:
    """Yield once per message `next_message(timeout)` returns, checking the token before each
    and at its expiry; ends by raising UNAUTHENTICATED when the token is refused."""
    while True:
        await context.require_valid_token()
        message = await next_message(context.seconds_to_recheck())
        if message is None:
            continue
        await context.require_valid_token()
        yield
