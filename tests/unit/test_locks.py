"""The retry policy of backbone/locks.py: which database failures run a transaction again, how many
times, and what the caller sees after that; the message bus runs every command under it.
(Real deadlocks: tests/integration/test_points_locks.py.)"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import pytest
from tortoise.exceptions import OperationalError

from backbone.bus import Command, MessageBus, Registry
from backbone.locks import ATTEMPTS, Busy, with_retries
from backbone.uow import UnitOfWork
from domain.clock import FixedClock
from domain.validation import ErrorCode, InvalidInput, Problem

pytestmark = pytest.mark.unit


def _failing(error: Exception) -> tuple[list[int], Callable[[], Awaitable[None]]]:
    calls: list[int] = []

    async def transaction() -> None:
        calls.append(1)
        raise error

    return calls, lambda: with_retries("transaction", transaction)


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.exceptions.DeadlockDetectedError("deadlock detected"),
        asyncpg.exceptions.SerializationError("could not serialize access"),
    ],
    ids=["deadlock", "serialization failure"],
)
async def test_aborted_transactions_run_again_a_bounded_number_of_times(error: Exception) -> None:
    calls, transaction = _failing(error)
    with pytest.raises(Busy) as busy:
        await transaction()
    assert len(calls) == ATTEMPTS
    assert busy.value.__cause__ is error
    assert isinstance(busy.value, TimeoutError)  # the gateway's "retry later"


async def test_a_transaction_that_succeeds_on_a_retry_returns_its_result() -> None:
    calls: list[int] = []

    async def transaction() -> str:
        calls.append(1)
        if len(calls) == 1:
            # As the ORM wraps some driver errors: the SQLSTATE is found through the cause.
            raise OperationalError("wrapped") from asyncpg.exceptions.DeadlockDetectedError("x")
        return "done"

    assert await with_retries("transaction", transaction) == "done"
    assert len(calls) == 2


async def test_a_lock_timeout_is_busy_at_once() -> None:
    calls, transaction = _failing(asyncpg.exceptions.LockNotAvailableError("lock timeout"))
    with pytest.raises(Busy):
        await transaction()
    assert len(calls) == 1


@pytest.mark.parametrize(
    "error",
    [
        InvalidInput(Problem((), "No.", ErrorCode.MEMBER_NOT_FOUND)),
        asyncpg.exceptions.UniqueViolationError("duplicate key"),
        RuntimeError("a bug"),
    ],
    ids=["refusal", "constraint", "bug"],
)
async def test_other_failures_are_not_retried(error: Exception) -> None:
    calls, transaction = _failing(error)
    with pytest.raises(type(error)):
        await transaction()
    assert len(calls) == 1


@dataclass(frozen=True, slots=True)
class _Ask(Command[str]):
    """A command for the bus below; its handler never touches a database."""


async def test_the_bus_runs_an_aborted_command_again_in_a_new_unit_of_work() -> None:
    given: list[UnitOfWork] = []

    async def handler(command: _Ask, uow: UnitOfWork) -> str:
        given.append(uow)
        if len(given) == 1:
            raise asyncpg.exceptions.DeadlockDetectedError("deadlock detected")
        return "done"

    part = Registry()
    part.command(_Ask, handler)
    bus = MessageBus(part, FixedClock(datetime(2026, 6, 15, tzinfo=UTC)))
    assert await bus.handle(_Ask()) == "done"
    # Nothing of the aborted attempt is reused: the retry has a unit of work of its own.
    assert len(given) == 2
    assert given[0] is not given[1]
