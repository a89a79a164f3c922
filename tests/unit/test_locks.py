"""The retry policy of loyalty/locks.py: which database failures run a transaction again, how many
times, and what the caller sees after that. (Real deadlocks: tests/integration/test_points_locks.py.)"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg
import pytest
from tortoise.exceptions import OperationalError

from domain.validation import ErrorCode, InvalidInput, Problem
from loyalty.locks import ATTEMPTS, Busy, retried

pytestmark = pytest.mark.unit


def _failing(error: Exception) -> tuple[list[int], Callable[[], Awaitable[None]]]:
    calls: list[int] = []

    @retried
    async def transaction() -> None:
        calls.append(1)
        raise error

    return calls, transaction


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

    @retried
    async def transaction() -> str:
        calls.append(1)
        if len(calls) == 1:
            # As the ORM wraps some driver errors: the SQLSTATE is found through the cause.
            raise OperationalError("wrapped") from asyncpg.exceptions.DeadlockDetectedError("x")
        return "done"

    assert await transaction() == "done"
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
