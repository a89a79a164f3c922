"""The bench's reading of PostgreSQL's CPU time from /proc (bench/database_cpu.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.database_cpu import TICKS_PER_SECOND, per_transaction, postgres_ticks

pytestmark = pytest.mark.unit


def _process(proc: Path, pid: int, comm: str, ticks: tuple[int, int, int, int]) -> None:
    folder = proc / str(pid)
    folder.mkdir()
    (folder / "comm").write_text(comm + "\n")
    # pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime ...
    fields = ["S", "1", "1", "1", "0", "-1", "0", "0", "0", "0", "0", *map(str, ticks), "20"]
    (folder / "stat").write_text(f"{pid} ({comm}) " + " ".join(fields) + "\n")


def test_only_postgres_processes_count_with_their_reaped_children(tmp_path: Path) -> None:
    _process(tmp_path, 10, "postgres", (5, 2, 30, 3))
    _process(tmp_path, 11, "postgres", (1, 1, 0, 0))
    _process(tmp_path, 12, "python3", (900, 900, 0, 0))
    (tmp_path / "self").mkdir()
    assert postgres_ticks(tmp_path) == 42


def test_milliseconds_per_transaction() -> None:
    assert per_transaction(100, 100 + TICKS_PER_SECOND, 500) == pytest.approx(2.0)
    assert per_transaction(100, 100, 500) is None  # a remote server: nothing seen locally
    assert per_transaction(100, 200, 0) is None
