"""A worker's parts are restarted after a failure, and stop when asked."""

from __future__ import annotations

import asyncio

import pytest

from backbone import jobs

pytestmark = pytest.mark.unit


async def test_a_failing_part_runs_again_until_the_worker_stops(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(jobs, "MAX_PAUSE_SECONDS", 0.01)
    stop = asyncio.Event()
    runs: list[int] = []

    async def part() -> None:
        runs.append(1)
        if len(runs) == 3:
            stop.set()
            return
        raise ConnectionResetError("the database restarted")

    await asyncio.wait_for(jobs.supervised("test", part, stop), 5)
    assert len(runs) == 3
