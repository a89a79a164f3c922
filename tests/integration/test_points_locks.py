"""The lock order (loyalty/locks.py) under real concurrency on real PostgreSQL: program changes
never hold up members' writes, one member has one lock, deadlocks are retried whole, and entry
times follow the order in which the member's lock was taken."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from decimal import Decimal

import pytest
from tortoise.transactions import in_transaction

from domain.clock import FixedClock
from domain.points_config import PointsConfig
from loyalty import members, programs
from loyalty.points import config as points_config
from loyalty.points import earning
from loyalty.points.writes import WriteRequest
from loyalty.programs import ProgramRef

pytestmark = pytest.mark.integration


@pytest.fixture
async def acme(db: None, clock: FixedClock) -> ProgramRef:
    created = await programs.create_program(
        key="acme", name="Acme", currency="EUR", timezone="UTC", default_locale="en", clock=clock
    )
    program = programs.ref(created)
    for external_id in ("ann", "bob"):
        await members.enroll_member(
            program,
            external_id=external_id,
            email=f"{external_id}@example.com",
            display_name=external_id.title(),
            birthday=None,
            locale=None,
            clock=clock,
        )
    return program


def _write(program: ProgramRef, key: str) -> WriteRequest:
    return WriteRequest(program, "test", key, "storefront:shop", {"key": key})


def _configure(program: ProgramRef, clock: FixedClock) -> Awaitable[object]:
    return points_config.configure_points(
        program.id, PointsConfig(earn_rate=Decimal(2)), clock=clock
    )


def _rename(program: ProgramRef, clock: FixedClock) -> Awaitable[object]:
    return programs.update_program(
        program.id, name="Renamed", timezone=None, default_locale=None, clock=clock
    )


@pytest.mark.parametrize("change", [_configure, _rename], ids=["configurePoints", "updateProgram"])
async def test_a_program_change_in_an_open_transaction_does_not_block_awards(
    acme: ProgramRef,
    clock: FixedClock,
    change: Callable[[ProgramRef, FixedClock], Awaitable[object]],
) -> None:
    changed, release = asyncio.Event(), asyncio.Event()

    async def change_and_hold() -> None:
        # The service's own lock, kept by a transaction around it that has not committed yet.
        async with in_transaction():
            await change(acme, clock)
            changed.set()
            await release.wait()

    holder = asyncio.create_task(change_and_hold())
    await changed.wait()
    try:
        awarded = await asyncio.wait_for(
            earning.award_manual(
                _write(acme, "k-1"), external_id="ann", points=5, reason="Goodwill", clock=clock
            ),
            timeout=3,
        )
    finally:
        release.set()
        await holder
    assert [entry.points for entry in awarded.entries] == [5]
