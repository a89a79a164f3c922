"""Every HTTP request gets an id: the caller's `X-Request-ID` when it is a safe token, else a new
one. It is returned in the `X-Request-ID` response header and bound in structlog's context
variables, so every log line written while the request is served carries it (api/logs.py).

A pure ASGI middleware: Starlette's BaseHTTPMiddleware would run the app in another task and
buffer streamed answers."""

from __future__ import annotations

import re
import uuid

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = b"x-request-id"
# What a proxy or client may hand us: bounded, and nothing that could forge or break a log line
# or a header (no spaces, quotes, newlines or other controls).
_SAFE = re.compile(r"[A-Za-z0-9._-]{1,128}")


def accepted_request_id(value: str | None) -> str | None:
    """The caller's request id if it is 1-128 characters of [A-Za-z0-9._-], else None."""
    if value is None or _SAFE.fullmatch(value) is None:
        return None
    return value


def new_request_id() -> str:
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Gives each HTTP request its id, in the response header and in the log context."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _from_headers(scope["headers"]) or new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        encoded = request_id.encode("ascii")

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != HEADER]
                message = {**message, "headers": [*headers, (HEADER, encoded)]}
            await send(message)

        # Reset afterwards: a server (or a test client) may serve the next request in this context.
        bound = structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            structlog.contextvars.reset_contextvars(**bound)


def _from_headers(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The caller's id when it sent exactly one acceptable `X-Request-ID`."""
    given = [value for name, value in headers if name.lower() == HEADER]
    if len(given) != 1:
        return None
    return accepted_request_id(given[0].decode("latin-1"))
