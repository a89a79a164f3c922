"""The global lock order. Every write takes its row locks in this order, so that no two writes
can wait for each other in a circle:

0. The idempotency key, first: a unique-index slot claimed by an INSERT. A retry with the same key
   waits there, before it holds anything else; a write claims exactly one key.
1. Members, by ascending id, each with a no-key row lock on its `member` row (FOR NO KEY UPDATE).
   One member, one lock: every write that concerns a member takes it before reading anything of
   the member (award, redeem, reverse, adjust, updateMember with its suspension and reactivation,
   the jobs' settlement), so a write that read the member ACTIVE commits before a suspension can,
   and a write after the suspension sees it. A points write locks the member's `points_balance`
   row in the same statement (loyalty/points/account.py): only holders of the member lock change
   that row, so this never waits, and it makes the statement read the balance as the previous
   holder committed it. Everything else the member owns (lots, orders, returns, event awards) is
   written only under the member lock and needs no lock of its own: a return finds its order's
   member unlocked, then reads the order again once the member is locked.
   A write that concerns two members locks both this way, the lower id first whichever of them
   acts: a points transfer (loyalty/points/transfers.py) and its reversal lock sender and
   recipient by ascending id, so A->B and B->A at once wait on the same first lock.
2. Program-level shared rows (stock, budgets), afterwards, with short conditional updates
   (UPDATE ... WHERE left >= n RETURNING) rather than locks held for the rest of the transaction.
3. Never the `program` row from a member's write. Program changes (configurePoints,
   updateProgram) lock it FOR NO KEY UPDATE, which does not conflict with the key-share locks
   the foreign keys of members' inserts take; writes check the configuration in force by its
   version instead (loyalty/programs.py).
4. The outbox last: one INSERT of the write's events just before its commit (backbone/uow.py),
   which takes no row lock anyone else waits for.

Work after commit never inverts this order. The settlement job locks one member at a time with
SKIP LOCKED, passing over a member whose own write is settling it anyway. The event relay
(backbone/relay.py) holds its consumer's cursor row (FOR UPDATE SKIP LOCKED) while the consumer
runs; nothing else takes that row, so a consumer may go on to lock members as rule 1 says.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

ATTEMPTS = 4
BACKOFF_SECONDS = 0.01  # before the first retry; doubled before each next one, jittered

DEADLOCK_DETECTED = "40P01"
SERIALIZATION_FAILURE = "40001"
LOCK_NOT_AVAILABLE = "55P03"  # lock_timeout expired
_RETRIED = frozenset({DEADLOCK_DETECTED, SERIALIZATION_FAILURE})


class Busy(TimeoutError):
    """A write gave up on its locks: a lock wait outlasted lock_timeout, or PostgreSQL aborted it
    to break a deadlock or a serialization conflict on every attempt. It rolled back and wrote
    nothing, so the same request (the same idempotency key) may be sent again. A TimeoutError:
    the gateway answers those as temporarily unavailable."""


async def with_retries(name: str, attempt: Callable[[], Awaitable[T]]) -> T:
    """Run a whole transaction again when PostgreSQL aborted it to break a deadlock or a
    serialization conflict: the victim of a deadlock succeeds on a later attempt, once the
    other side has committed. Attempts are bounded (ATTEMPTS) and spaced by a jittered,
    doubling backoff so that two victims do not collide again in step; after the last, Busy.
    A lock timeout is not retried here: whatever held the lock that long may hold it again,
    and the client, told Busy, retries when it sees fit. `attempt` must start afresh each
    time (a new unit of work): nothing of a failed attempt survives its rollback."""
    number = 1
    while True:
        try:
            return await attempt()
        except Exception as error:
            state = _sqlstate(error)
            if state != LOCK_NOT_AVAILABLE and state not in _RETRIED:
                raise
            if state == LOCK_NOT_AVAILABLE or number == ATTEMPTS:
                raise Busy(f"{name} gave up on its locks ({state})") from error
            log.info("%s aborted (%s), attempt %s; retrying", name, state, number)
        jitter = random.uniform(0.5, 1.5)  # noqa: S311 - spacing retries, not a secret
        await asyncio.sleep(BACKOFF_SECONDS * 2 ** (number - 1) * jitter)
        number += 1


def _sqlstate(error: BaseException | None) -> str | None:
    """PostgreSQL's SQLSTATE for a driver error, also when the ORM wrapped it (`raise ... from`)."""
    while error is not None:
        state = getattr(error, "sqlstate", None)
        if isinstance(state, str):
            return state
        error = error.__cause__
    return None
