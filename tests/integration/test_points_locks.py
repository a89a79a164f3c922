"""The lock order (loyalty/locks.py) under real concurrency on real PostgreSQL: program changes
never hold up members' writes, one member has one lock, deadlocks are retried whole, and entry
times follow the order in which the member's lock was taken."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from decimal import Decimal

import asyncpg
import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from api.database import connection_params
from domain.clock import Clock, FixedClock, SystemClock
from domain.ledger import ExplanationLine, earn
from domain.members import MemberStatus
from domain.points_config import PointsConfig
from domain.validation import ErrorCode, InvalidInput
from loyalty import members, programs
from loyalty.locks import Busy
from loyalty.models import Member
from loyalty.points import config as points_config
from loyalty.points import earning
from loyalty.points.account import Account, open_account
from loyalty.points.models import PointsEntry
from loyalty.points.writes import PointsResult, Work, WriteRequest, by_external_id, points_write
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


async def _goodwill(program: ProgramRef, key: str, clock: Clock, points: int = 5) -> PointsResult:
    """A manual award to ann: the write these tests set against locks, program changes and
    suspensions."""
    return await earning.award_manual(
        _write(program, key), external_id="ann", points=points, reason="Goodwill", clock=clock
    )


async def _suspend(program: ProgramRef, member_id: int, clock: Clock) -> None:
    """The admin's suspension of a member, changing nothing else about it."""
    await members.update_member(
        program,
        member_id,
        email=None,
        display_name=None,
        birthday=None,
        locale=None,
        status=MemberStatus.SUSPENDED,
        clock=clock,
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
            _goodwill(acme, "k-1", clock),
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
    acme: ProgramRef, clock: FixedClock, database_url: str
) -> None:
    ann = await Member.get(external_id="ann")
    other = await asyncpg.connect(**connection_params(database_url))
    try:
        # Another transaction holds ann's balance row: the award stops there, holding whatever it
        # had locked and read of the member by then.
        held = other.transaction()
        await held.start()
        await other.execute("SELECT 1 FROM points_balance WHERE member_id = $1 FOR UPDATE", ann.id)
        award = asyncio.create_task(_goodwill(acme, "k-1", clock))
        await _waiting_for_locks(other, 1)
        suspension = asyncio.create_task(_suspend(acme, ann.id, clock))
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
    late = _goodwill(acme, "k-2", clock)
    with pytest.raises(InvalidInput) as refused:
        await late
    assert [p.code for p in refused.value.problems] == [ErrorCode.MEMBER_NOT_ACTIVE]


def _crossing(first: str, second: str, attempts: dict[str, int], barrier: asyncio.Barrier) -> Work:
    """A test-only write against the lock order: it locks `first`, then also `second`."""

    async def work(account: Account, program: ProgramRef) -> list[int]:
        attempts[first] += 1
        if attempts[first] == 1:
            await barrier.wait()  # both writes hold their own member before either goes on
        await open_account(
            account.connection, program.id, external_id=second, actor="test", clock=SystemClock()
        )
        line = ExplanationLine("MANUAL", "Crossing", 1)
        posting = earn(account.balance, 1, lines=(line,), activates_at=None, expires_at=None)
        posted = await account.post(posting, reason_code="MANUAL", reason="Crossing")
        return [posted.entry_id]

    return work


async def test_a_deadlock_is_retried_whole_and_each_write_lands_once(
    acme: ProgramRef, clock: FixedClock
) -> None:
    attempts = {"ann": 0, "bob": 0}
    barrier = asyncio.Barrier(2)
    results = await asyncio.gather(
        *(
            points_write(
                _write(acme, f"k-{first}"),
                clock=clock,
                member=by_external_id(first),
                work=_crossing(first, second, attempts, barrier),
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
    acme: ProgramRef, clock: FixedClock, database_url: str
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
                        _goodwill(acme, "k-1", clock),
                        timeout=3,
                    )
    finally:
        await other.close()
    assert await PointsEntry.all().count() == 0


async def test_entries_in_id_order_are_in_time_order_under_concurrent_awards(
    acme: ProgramRef,
) -> None:
    clock = SystemClock()  # a real clock: the fixed one cannot show time running backwards
    results = await asyncio.gather(*(_goodwill(acme, f"k-{n}", clock, points=1) for n in range(40)))
    assert len(results) == 40
    times = [e.created_at for e in await PointsEntry.filter(member_id=1).order_by("id")]
    assert len(times) == 40
    assert times == sorted(times)


async def test_no_award_commits_after_a_concurrent_suspension(acme: ProgramRef) -> None:
    clock = SystemClock()
    ann = await Member.get(external_id="ann")

    async def award(n: int) -> object:
        try:
            return await _goodwill(acme, f"k-{n}", clock, points=1)
        except InvalidInput as refused:
            return refused

    async def suspend() -> None:
        await asyncio.sleep(0.02)  # in the middle of the awards
        await _suspend(acme, ann.id, clock)

    *outcomes, _ = await asyncio.gather(*(award(n) for n in range(40)), suspend())
    suspended_at = (await Member.get(id=ann.id)).updated_at
    refused = [o for o in outcomes if isinstance(o, InvalidInput)]
    assert all([p.code for p in o.problems] == [ErrorCode.MEMBER_NOT_ACTIVE] for o in refused)
    # Every award that went through took the member's lock, and its time, before the suspension.
    entries = await PointsEntry.filter(member_id=ann.id)
    assert len(entries) == len(outcomes) - len(refused)
    assert all(entry.created_at < suspended_at for entry in entries)
