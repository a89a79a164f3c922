"""Which processes use an embedded server, so that only the last one out stops it.

The list of process ids lives beside the server's data and is read and written under an exclusive
file lock, which also serialises starting the server: two processes never start two servers on one
data file. Ids of processes that died without leaving (killed, crashed) are dropped when read.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


class ServerUsers:
    """The live processes using the server whose data is in `folder`."""

    def __init__(self, folder: Path) -> None:
        self._lock_file = folder / "users.lock"
        self._list_file = folder / "users"

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the folder's lock: start or stop the server and change the list only inside."""
        descriptor = os.open(self._lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)  # closing releases the lock

    def join(self) -> None:
        """Count this process as a user (call inside `locked`)."""
        self._write({*self.live(), os.getpid()})

    def leave(self) -> bool:
        """Stop counting this process; True when no other live process uses the server."""
        remaining = self.live() - {os.getpid()}
        self._write(remaining)
        return not remaining

    def live(self) -> set[int]:
        """Ids of the listed processes that still run."""
        try:
            listed = self._list_file.read_text().split()
        except FileNotFoundError:
            return set()
        return {pid for pid in map(int, listed) if _running(pid)}

    def _write(self, pids: set[int]) -> None:
        self._list_file.write_text("".join(f"{pid}\n" for pid in sorted(pids)))


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True
