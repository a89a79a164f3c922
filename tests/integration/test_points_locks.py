"""The lock order (backbone/locks.py) under real concurrency on real PostgreSQL: program changes
never hold up members' writes, one member has one lock, deadlocks are retried whole, and entry
times follow the order in which the member's lock was taken."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal

import asyncpg
import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from api.composition import build_bus
from api.database import connection_params
from backbone.bus import MessageBus, Registry
from backbone.locks import Busy
from backbone.uow import UnitOfWork
from domain.clock import FixedClock, SystemClock
from domain.ledger import ExplanationLine, earn
from domain.members import MemberStatus
from domain.points_config import PointsConfig
from domain.validation import ErrorCode, InvalidInput
from loyalty import programs
from loyalty.commands import (
    ConfigurePoints,
    CreateProgram,
    EnrollMember,
    UpdateMember,
    UpdateProgram,
)
from loyalty.models import Member
from loyalty.points.account import Account, open_account
from loyalty.points.commands import AwardManual, PointsCommand
from loyalty.points.models import PointsEntry
from loyalty.points.results import PointsResult
from loyalty.points.writes import Work, by_external_id, write_points
from loyalty.programs import ProgramRef

pytestmark = pytest.mark.integration

# Who asks, and owns the idempotency keys, in these tests.
SHOP = "storefront:shop"


@pytest.fixture
async def acme(db: None, bus: MessageBus) -> ProgramRef:
    created = await bus.handle(
        CreateProgram(key="acme", name="Acme", currency="EUR", timezone="UTC", default_locale="en")
    )
    program = programs.ref(created)
    for external_id in ("ann", "bob"):
        await bus.handle(
            EnrollMember(
                program=program,
                external_id=external_id,
                email=f"{external_id}@example.com",
                display_name=external_id.title(),
            )
        )
    return program


@pytest.fixture
def real_time_bus() -> MessageBus:
    """A bus on a real clock: the session's fixed one cannot show time running backwards."""
    return build_bus(SystemClock())


def _configure(bus: MessageBus, program: ProgramRef) -> Awaitable[object]:
    return bus.handle(
        ConfigurePoints(program_id=program.id, config=PointsConfig(earn_rate=Decimal(2)))
    )


def _rename(bus: MessageBus, program: ProgramRef) -> Awaitable[object]:
    return bus.handle(UpdateProgram(program_id=program.id, name="Renamed"))


async def _goodwill(
    bus: MessageBus, program: ProgramRef, key: str, points: int = 5
) -> PointsResult:
    """A manual award to ann: the write these tests set against locks, program changes and
    suspensions."""
    return await bus.handle(
        AwardManual(
            program=program,
            actor=SHOP,
            idempotency_key=key,
            external_id="ann",
            points=points,
            reason="Goodwill",
        )
    )


async def _suspend(bus: MessageBus, program: ProgramRef, member_id: int) -> None:
    """The admin's suspension of a member, changing nothing else about it."""
    await bus.handle(
        UpdateMember(program=program, member_id=member_id, status=MemberStatus.SUSPENDED)
    )


@pytest.mark.parametrize("change", [_configure, _rename], ids=["configurePoints", "updateProgram"])
async def test_a_program_change_in_an_open_transaction_does_not_block_awards(
    acme: ProgramRef,
    bus: MessageBus,
    change: Callable[[MessageBus, ProgramRef], Awaitable[object]],
) -> None:
    changed, release = asyncio.Event(), asyncio.Event()

    async def change_and_hold() -> None:
        # The handler's own lock, kept by a transaction around it that has not committed yet.
        async with in_transaction():
            await change(bus, acme)
            changed.set()
            await release.wait()

    holder = asyncio.create_task(change_and_hold())
    await changed.wait()
    try:
        awarded = await asyncio.wait_for(
            _goodwill(bus, acme, "k-1"),
            timeout=3,
        )
    finally:
        release.set()
        await holder
    assert [entry.points for entry in awarded.entries] == [5]


async def _waiting_for_locks(connection: asyncpg.Connection, at_least: int) -> int:
    """Backends of this database waiting on a lock, once at least `at_least` are (or after 3 s)."""
    for _ in range(300):
        waiting: int = await connection.fetchval(_WAITING)
        if waiting >= at_least:
            return waiting
        await asyncio.sleep(0.01)
    return waiting


_WAITING = """SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND wait_event_type = 'Lock'"""


async def test_an_award_racing_a_suspension_never_commits_after_it(
    acme: ProgramRef, bus: MessageBus, database_url: str
) -> None:
    ann = await Member.get(external_id="ann")
    other = await asyncpg.connect(**connection_params(database_url))
    try:
        # Another transaction holds ann's balance row: the award stops there, holding whatever it
        # had locked and read of the member by then.
        held = other.transaction()
        await held.start()
        await other.execute("SELECT 1 FROM points_balance WHERE member_id = $1 FOR UPDATE", ann.id)
        award = asyncio.create_task(_goodwill(bus, acme, "k-1"))
        await _waiting_for_locks(other, 1)
        suspension = asyncio.create_task(_suspend(bus, acme, ann.id))
        # Either the suspension waits for the award's member lock, or it has gone through.
        for _ in range(300):
            if suspension.done() or await other.fetchval(_WAITING) >= 2:
                break
            await asyncio.sleep(0.01)
        suspended_first = suspension.done()
        await held.rollback()
        awarded, _ = await asyncio.gather(award, suspension, return_exceptions=True)
    finally:
        await other.close()
    if suspended_first:
        assert isinstance(awarded, InvalidInput), "an award committed after the suspension"
        assert [p.code for p in awarded.problems] == [ErrorCode.MEMBER_NOT_ACTIVE]
    else:
        assert not isinstance(awarded, BaseException)
    late = _goodwill(bus, acme, "k-2")
    with pytest.raises(InvalidInput) as refused:
        await late
    assert [p.code for p in refused.value.problems] == [ErrorCode.MEMBER_NOT_ACTIVE]


def _crossing(first: str, second: str, attempts: dict[str, int], barrier: asyncio.Barrier) -> Work:
    """A test-only write against the lock order: it locks `first`, then also `second`."""

    async def work(account: Account, program: ProgramRef) -> list[int]:
        attempts[first] += 1
        if attempts[first] == 1:
            await barrier.wait()  # both writes hold their own member before either goes on
        await open_account(account.uow, program.id, external_id=second, actor="test")
        line = ExplanationLine("MANUAL", "Crossing", 1)
        posting = earn(account.balance, 1, lines=(line,), activates_at=None, expires_at=None)
        posted = await account.post(posting, reason_code="MANUAL", reason="Crossing")
        return [posted.entry_id]

    return work


@dataclass(frozen=True, slots=True, kw_only=True)
class Crossing(PointsCommand):
    """The test-only points command whose handler does a `_crossing` write."""

    first: str
    second: str


async def test_a_deadlock_is_retried_whole_and_each_write_lands_once(
    acme: ProgramRef, clock: FixedClock
) -> None:
    attempts = {"ann": 0, "bob": 0}
    barrier = asyncio.Barrier(2)

    async def cross(command: Crossing, uow: UnitOfWork) -> PointsResult:
        work = _crossing(command.first, command.second, attempts, barrier)
        return await write_points(command, uow, member=by_external_id(command.first), work=work)

    # The app's bus with one more command: its handler runs as every points handler does.
    part = Registry()
    part.command(Crossing, cross)
    crossing_bus = build_bus(clock, extra=[part])
    results = await asyncio.gather(
        *(
            crossing_bus.handle(
                Crossing(
                    program=acme,
                    actor=SHOP,
                    idempotency_key=f"k-{first}",
                    first=first,
                    second=second,
                )
            )
            for first, second in (("ann", "bob"), ("bob", "ann"))
        )
    )
    # PostgreSQL broke the deadlock by failing one; that one ran again, whole, under its own key.
    assert sorted(attempts.values()) == [1, 2]
    assert [r.replayed for r in results] == [False, False]
    entries = await PointsEntry.all().order_by("id")
    assert sorted((e.member_id, e.idempotency_key) for e in entries) == [
        (1, "k-ann"),
        (2, "k-bob"),
    ]
    assert {r.entries[0].id for r in results} == {e.id for e in entries}


async def test_the_apps_connections_carry_the_time_limits(acme: ProgramRef) -> None:
    connection = connections.get("default")
    shown = {
        name: (await connection.execute_query_dict(f"SHOW {name}"))[0][name]
        for name in ("lock_timeout", "statement_timeout", "idle_in_transaction_session_timeout")
    }
    assert shown == {
        "lock_timeout": "5s",
        "statement_timeout": "15s",
        "idle_in_transaction_session_timeout": "30s",
    }


async def test_a_lock_wait_past_lock_timeout_is_busy_not_a_hang(
    acme: ProgramRef, bus: MessageBus, database_url: str
) -> None:
    other = await asyncpg.connect(**connection_params(database_url))
    try:
        async with other.transaction():
            await other.execute("SELECT 1 FROM member WHERE external_id = 'ann' FOR UPDATE")
            # The app's own limit is 5 s; this transaction around the award lowers it to 0.2 s.
            async with in_transaction() as connection:
                await connection.execute_script("SET LOCAL lock_timeout = '200ms'")
                with pytest.raises(Busy):
                    await asyncio.wait_for(
                        _goodwill(bus, acme, "k-1"),
                        timeout=3,
                    )
    finally:
        await other.close()
    assert await PointsEntry.all().count() == 0


async def test_entries_in_id_order_are_in_time_order_under_concurrent_awards(
    acme: ProgramRef, real_time_bus: MessageBus
) -> None:
    results = await asyncio.gather(
        *(_goodwill(real_time_bus, acme, f"k-{n}", points=1) for n in range(40))
    )
    assert len(results) == 40
    times = [e.created_at for e in await PointsEntry.filter(member_id=1).order_by("id")]
    assert len(times) == 40
    assert times == sorted(times)


async def test_no_award_commits_after_a_concurrent_suspension(
    acme: ProgramRef, real_time_bus: MessageBus
) -> None:
    ann = await Member.get(external_id="ann")

    async def award(n: int) -> object:
        try:
            return await _goodwill(real_time_bus, acme, f"k-{n}", points=1)
        except InvalidInput as refused:
            return refused

    async def suspend() -> None:
        await asyncio.sleep(0.02)  # in the middle of the awards
        await _suspend(real_time_bus, acme, ann.id)

    *outcomes, _ = await asyncio.gather(*(award(n) for n in range(40)), suspend())
    suspended_at = (await Member.get(id=ann.id)).updated_at
    refused = [o for o in outcomes if isinstance(o, InvalidInput)]
    assert all([p.code for p in o.problems] == [ErrorCode.MEMBER_NOT_ACTIVE] for o in refused)
    # Every award that went through took the member's lock, and its time, before the suspension.
    entries = await PointsEntry.filter(member_id=ann.id)
    assert len(entries) == len(outcomes) - len(refused)
    assert all(entry.created_at < suspended_at for entry in entries)
