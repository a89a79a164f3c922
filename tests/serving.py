"""`loyalty serve` in a process of its own, as a user runs it: on a free port, with the settings the
tests' tokens are signed for, awaited until ready, stopped with Ctrl-C and its exit checked."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.conftest import AUTH, TEST_SECRET

LOYALTY = str(Path(sys.executable).parent / "loyalty")


def loyalty_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """This process's environment with the test signing settings and its own data folder."""
    return {
        **os.environ,
        "LOYALTY_DATA_DIR": str(data_dir),
        "LOYALTY_JWT_SECRET": TEST_SECRET,
        "LOYALTY_JWT_ISSUER": AUTH.issuer,
        "LOYALTY_JWT_AUDIENCE": AUTH.audience,
        **extra,
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def serving(env: dict[str, str]) -> Iterator[str]:
    """The base URL of a ready `loyalty serve`; on leaving, it must shut down cleanly."""
    port = free_port()
    server = subprocess.Popen(
        [LOYALTY, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, server)
        yield base
    finally:
        server.send_signal(signal.SIGINT)
        _, stderr = server.communicate(timeout=30)
    assert server.returncode == 0, stderr.decode()


def _wait_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"loyalty serve exited: {server.communicate()[1].decode()}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{base}/readyz").status_code == 200:
                return
        time.sleep(0.1)
    raise AssertionError("loyalty serve never became ready")
