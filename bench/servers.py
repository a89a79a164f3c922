"""Processes the benchmark starts and stops: the API, the raw baseline, fresh databases."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

from api.database import connection_params

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def fresh_database(admin_url: str, name: str) -> str:
    """Drop and create database `name` on the server of `admin_url`; return its URL."""

    async def recreate() -> None:
        connection = await asyncpg.connect(**connection_params(admin_url))
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    asyncio.run(recreate())
    parts = urlsplit(admin_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


@contextlib.contextmanager
def serving(command: list[str], env: dict[str, str], port: int, ready_path: str) -> Iterator[str]:
    """Run a server process until the block ends; yields its base URL once `ready_path` is 200.

    Its stderr (the access log: a line per request) goes to a file, never to a pipe nobody
    reads: a full pipe would block the server mid-run, and the load would measure a stall."""
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=log
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(process, base, ready_path, log)
            yield base
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_ready(
    process: subprocess.Popen[bytes], base: str, ready_path: str, log: IO[bytes]
) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"{process.args!r} exited: {log.read()[-4000:].decode()}")
        with contextlib.suppress(httpx.TransportError):
            method = "GET" if ready_path != "/graphql" else "POST"
            if httpx.request(method, base + ready_path).status_code < 500:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{process.args!r} never became ready")


def api_command(port: int, workers: int) -> list[str]:
    return [
        str(BIN / "loyalty"),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]


def baseline_command(port: int, workers: int) -> list[str]:
    return [
        str(BIN / "python"),
        "-m",
        "uvicorn",
        "bench.baseline_app:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
