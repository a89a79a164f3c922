"""GET answers with an entity tag, and 304 Not Modified when the client's copy is still current.

Mobile apps poll their member's status: a trusted read-only document sent with GET (the only
documents GET runs, api/trusted/resolution.py) is answered with `ETag`, the SHA-256 of the answer's
data and errors, so it changes exactly when what the member would see does (a balance, a tier, the time
a point expires: whatever the document reads), never from a version that could lag behind.
A request whose `If-None-Match` names it gets 304 and no body. `Cache-Control: private, no-cache`
keeps shared caches out (the answer is one member's) and makes the client ask every time.
"""

from __future__ import annotations

import hashlib
import json

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CACHE_CONTROL = "private, no-cache"


class ConditionalGet:
    """ASGI wrapper: ETag and 304 for `app`'s successful answers to GET."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        await _answer(held, Headers(scope=scope).get("if-none-match"), send)


async def _answer(held: list[Message], if_none_match: str | None, send: Send) -> None:
    start = next((m for m in held if m["type"] == "http.response.start"), None)
    if start is None or start["status"] != 200 or not _is_json(start):
        for message in held:
            await send(message)
        return
    body = b"".join(m.get("body", b"") for m in held if m["type"] == "http.response.body")
    tag = _tag(body)
    headers = MutableHeaders(raw=list(start["headers"]))
    headers["ETag"] = tag
    headers["Cache-Control"] = CACHE_CONTROL
    headers["Vary"] = "Authorization"
    if if_none_match is not None and _matches(if_none_match, tag):
        del headers["content-length"]
        del headers["content-type"]
        await send({"type": "http.response.start", "status": 304, "headers": headers.raw})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({**start, "headers": headers.raw})
    await send({"type": "http.response.body", "body": body})


def _tag(body: bytes) -> str:
    """The answer's `data` and `errors`, not its `extensions`: the cost report there (the
    caller's bucket) changes with every request, what the member sees does not."""
    try:
        answer = json.loads(body)
        seen = {key: answer.get(key) for key in ("data", "errors")}
        canonical = json.dumps(seen, sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, AttributeError):
        canonical = body
    return f'"{hashlib.sha256(canonical).hexdigest()[:32]}"'


def _is_json(start: Message) -> bool:
    """GraphQL answers only: the IDE's page and assets keep their own caching rules."""
    kind = Headers(raw=start["headers"]).get("content-type", "")
    return kind.startswith(("application/json", "application/graphql"))


def _matches(if_none_match: str, tag: str) -> bool:
    """RFC 9110's weak comparison: `W/` prefixes ignored, any tag of the list, or `*`."""
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in tags or tag in tags
