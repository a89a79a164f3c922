"""The unit of work every points write shares: claim the idempotency key, lock and settle the
member's account, do the work, remember the result, commit; then return the entries written."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from domain.clock import Clock
from domain.ledger import Balance
from domain.members import require_external_id
from loyalty.locks import retried
from loyalty.points import idempotency
from loyalty.points.account import Account, open_account
from loyalty.points.models import PointsEntry
from loyalty.programs import ProgramRef, in_force

# The work gets the program in force as the transaction read it, not the request's cached copy.
Work = Callable[[Account, ProgramRef], Awaitable["list[int] | Earlier"]]
Locate = Callable[[BaseDBAsyncClient], Awaitable[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class PointsResult:
    """The entries a write produced (in order) and whether this call replayed an earlier one."""

    entries: list[PointsEntry]
    replayed: bool
    # What was asked had been done by an earlier request under another key: `entries` are its,
    # and `balance` is the member's points when this request was answered.
    already_processed: bool = False
    balance: Balance | None = None


@dataclass(frozen=True, slots=True)
class Earlier:
    """What `work` returns when an earlier request under another key already did what was asked
    (a returnId already reversed): that request's entries, nothing new written."""

    entries: list[int]


@dataclass(frozen=True, slots=True)
class WriteRequest:
    program: ProgramRef
    operation: str
    idempotency_key: str
    client: str
    request: dict[str, Any]


@retried
async def points_write(
    write: WriteRequest,
    *,
    clock: Clock,
    member: Locate,
    work: Work,
    spends: bool = True,
) -> PointsResult:
    """Run `work` on the member's locked, settled account exactly once per idempotency key.

    `member` finds whose account to open (e.g. by externalId, or via an order) inside the
    transaction. Races between requests are settled by the database: the member's row lock
    serialises its writes and ON CONFLICT settles a repeated key or order, under PostgreSQL's
    default READ COMMITTED isolation (each statement sees what committed before it). A write
    PostgreSQL aborts to break a deadlock runs again whole, under the same key (loyalty/locks.py).
    """
    idempotency.check_key(write.idempotency_key)
    digest = idempotency.request_hash(write.operation, write.request)
    return await _attempt(write, digest, clock=clock, member=member, work=work, spends=spends)


async def _attempt(
    write: WriteRequest, digest: str, *, clock: Clock, member: Locate, work: Work, spends: bool
) -> PointsResult:
    written: dict[int, PointsEntry] = {}
    async with in_transaction() as connection:
        replay = await idempotency.claim(
            connection,
            program_id=write.program.id,
            client=write.client,
            key=write.idempotency_key,
            operation=write.operation,
            digest=digest,
            now=clock.now(),
        )
        if replay is not None:
            result: dict[str, Any] = replay
        else:
            account = await open_account(
                connection,
                write.program.id,
                actor=write.client,
                clock=clock,
                idempotency_key=write.idempotency_key,
                all_lots=spends,
                **(await member(connection)),
            )
            program = await in_force(connection, write.program)
            await account.settle_due()
            result = _outcome(await work(account, program), account.balance)
            written = {posted.entry_id: posted.entry for posted in account.posted}
            await idempotency.remember(
                connection,
                program_id=write.program.id,
                client=write.client,
                key=write.idempotency_key,
                result=result,
            )
    entry_ids: list[int] = result["entries"]
    # Entries this call wrote are known as written; only earlier ones (a replay, a repeated
    # return) are read back.
    missing = [entry_id for entry_id in entry_ids if entry_id not in written]
    if missing:
        written.update({entry.id: entry for entry in await PointsEntry.filter(id__in=missing)})
    shown = result.get("balance")
    return PointsResult(
        [written[entry_id] for entry_id in entry_ids],
        replayed=replay is not None,
        already_processed=result.get("already_processed", False),
        balance=Balance(**shown) if shown else None,
    )


def _outcome(done: list[int] | Earlier, balance: Balance) -> dict[str, Any]:
    """What the key remembers: the entries, and for work an earlier request had done the balance
    this answer shows, so that a retry of it replays it whole."""
    if isinstance(done, Earlier):
        return {"entries": done.entries, "already_processed": True, "balance": asdict(balance)}
    return {"entries": done}


def by_external_id(external_id: str) -> Locate:
    require_external_id(external_id)  # refused before any transaction: SQL sees valid ids only

    async def locate(connection: BaseDBAsyncClient) -> dict[str, Any]:
        return {"external_id": external_id}

    return locate
