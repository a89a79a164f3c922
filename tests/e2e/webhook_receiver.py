"""A real HTTP receiver on loopback for the webhook tests: an asyncio server that records every
request and answers what the test tells it to."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Receiver:
    """`start()` listens on `port` (so it can be down first, then up on the same URL)."""

    port: int = field(default_factory=free_port)
    requests: list[Received] = field(default_factory=list)
    # The status to answer a request with (default 200).
    answer: Callable[[Received], int] = lambda _request: 200
    _server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = (await reader.readline()).decode()
            headers: dict[str, str] = {}
            while (line := (await reader.readline()).decode()) not in ("\r\n", "\n", ""):
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            received = Received(request_line.split(" ")[1], headers, body)
            self.requests.append(received)
            status = self.answer(received)
            reply = b"ok" if status < 300 else b"try later"
            writer.write(
                f"HTTP/1.1 {status} X\r\ncontent-length: {len(reply)}\r\nconnection: close\r\n\r\n".encode()
                + reply
            )
            await writer.drain()
        finally:
            writer.close()
