"""The shape every points write shares inside its unit of work: claim the idempotency key, lock
and settle the member's account, do the work, remember the result, commit; then return the
entries written."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from backbone import idempotency
from backbone.uow import UnitOfWork
from domain.ledger import Balance
from domain.members import require_external_id
from loyalty.points.account import Account, open_account
from loyalty.points.commands import PointsCommand
from loyalty.points.models import PointsEntry
from loyalty.points.results import Earlier, PointsResult
from loyalty.programs import ProgramRef, in_force

# The work gets the program in force as the transaction read it, not the request's cached copy.
Work = Callable[[Account, ProgramRef], Awaitable["list[int] | Earlier"]]
# Whose account to open (by externalId, or via an order), found inside the transaction.
Locate = Callable[[BaseDBAsyncClient], Awaitable[dict[str, Any]]]


async def write_points(
    command: PointsCommand,
    uow: UnitOfWork,
    *,
    member: Locate,
    work: Work,
    spends: bool = True,
    offers: bool = False,
) -> PointsResult:
    """Run `work` on the member's locked, settled account exactly once per idempotency key.

    Races between requests are settled by the database: the member's row lock serialises its
    writes and ON CONFLICT settles a repeated key or order, under PostgreSQL's default READ
    COMMITTED isolation (each statement sees what committed before it). A write PostgreSQL
    aborts to break a deadlock runs again whole, under the same key (the bus's retries).
    `offers`: the work reads the member's campaign multipliers (an order's award).
    """
    claim = idempotency.claim_for(
        command,
        program_id=command.program.id,
        client=command.actor,
        key=command.idempotency_key,
        leave_out=("program", "actor"),
    )
    written: dict[int, PointsEntry] = {}
    async with uow:
        replay = await uow.claim(claim)
        if replay is not None:
            result: dict[str, Any] = replay
        else:
            account = await open_account(
                uow,
                command.program.id,
                actor=command.actor,
                idempotency_key=command.idempotency_key,
                all_lots=spends,
                multiplier_offers=offers,
                **(await member(uow.connection)),
            )
            assert account is not None  # only a skip_locked open finds no account
            program = await in_force(
                uow.connection, command.program, version=account.program_version
            )
            await account.settle_due()
            result = _outcome(await work(account, program), account.balance)
            written = {posted.entry_id: posted.entry for posted in account.posted}
            await uow.remember(result)
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
