"""An in-process WebSocket client for the ASGI app: the `graphql-transport-ws` protocol spoken
to /graphql over queues, in the test's own event loop (where the app's pools live)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, MutableMapping
from typing import Any

from starlette.applications import Starlette

TRANSPORT_WS = "graphql-transport-ws"
WAIT_SECONDS = 10.0


class Closed(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(f"closed with {code}")
        self.code = code


class Refused(Exception):
    """The handshake was refused (an HTTP answer or a close before accepting)."""

    def __init__(self, event: dict[str, Any]) -> None:
        super().__init__(f"refused: {event}")
        self.event = event


class Socket:
    def __init__(self, inbox: asyncio.Queue[dict[str, Any]], outbox: asyncio.Queue[dict[str, Any]]):
        self._inbox, self._outbox = inbox, outbox
        self.subprotocol: str | None = None

    async def send(self, message: dict[str, Any]) -> None:
        await self._inbox.put({"type": "websocket.receive", "text": json.dumps(message)})

    async def receive(self, within: float = WAIT_SECONDS) -> dict[str, Any]:
        """The next protocol message; Closed when the server closed the socket."""
        event = await asyncio.wait_for(self._outbox.get(), within)
        if event["type"] == "websocket.close":
            raise Closed(event.get("code", 1000))
        found: dict[str, Any] = json.loads(event["text"])
        return found

    async def init(self, bearer: str | None) -> dict[str, Any]:
        payload = {"authorization": f"Bearer {bearer}"} if bearer else {}
        await self.send({"type": "connection_init", "payload": payload})
        return await self.receive()

    async def subscribe(self, query: str, id: str = "1") -> None:
        await self.send({"id": id, "type": "subscribe", "payload": {"query": query}})

    async def quiet(self, seconds: float) -> bool:
        """True when nothing arrives for `seconds`."""
        try:
            await asyncio.wait_for(self._outbox.get(), seconds)
        except TimeoutError:
            return True
        return False


@contextlib.asynccontextmanager
async def connect(
    app: Starlette, subprotocols: tuple[str, ...] = (TRANSPORT_WS,), origin: str | None = None
) -> AsyncIterator[Socket]:
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "scheme": "ws",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"testserver"),
            (b"sec-websocket-protocol", ", ".join(subprotocols).encode()),
            *([(b"origin", origin.encode())] if origin else []),
        ],
        "subprotocols": list(subprotocols),
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    await inbox.put({"type": "websocket.connect"})

    async def send(event: MutableMapping[str, Any]) -> None:
        await outbox.put(dict(event))

    task = asyncio.create_task(app(scope, inbox.get, send))
    socket = Socket(inbox, outbox)
    accepted = await asyncio.wait_for(outbox.get(), WAIT_SECONDS)
    if accepted["type"] != "websocket.accept":
        await asyncio.wait_for(task, WAIT_SECONDS)
        raise Refused(accepted)
    socket.subprotocol = accepted.get("subprotocol")
    try:
        yield socket
    finally:
        await inbox.put({"type": "websocket.disconnect", "code": 1000})
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, WAIT_SECONDS)
