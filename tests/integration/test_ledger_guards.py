"""The ledger's invariants are enforced by the database as well as by code, and the audit proves
them after the fact, through `loyalty audit` as an operator runs it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from tortoise import connections
from tortoise.exceptions import OperationalError
from tortoise.transactions import in_transaction

from backbone.bus import MessageBus
from domain.clock import FixedClock
from domain.earning import Order
from domain.points_config import ClawbackPolicy, Expiry, ExpiryMode, PointsConfig
from loyalty import programs
from loyalty.commands import ConfigurePoints, CreateProgram, EnrollMember
from loyalty.points import jobs
from loyalty.points.audit import audit_program
from loyalty.points.commands import AwardManual, AwardOrder, RedeemPoints, ReverseOrder
from loyalty.programs import ProgramRef

pytestmark = pytest.mark.integration

LOYALTY = str(Path(sys.executable).parent / "loyalty")


@pytest.fixture
async def acme(db: None, bus: MessageBus) -> ProgramRef:
    program = await bus.handle(
        CreateProgram(key="acme", name="Acme", currency="EUR", timezone="UTC", default_locale="en")
    )
    config = PointsConfig(
        pending_days=7,
        expiry=Expiry(ExpiryMode.AFTER_DAYS, 30),
        clawback=ClawbackPolicy.ALLOW_NEGATIVE,
    )
    await bus.handle(ConfigurePoints(program_id=program.id, config=config))
    found = await programs.find_program("acme")
    assert found is not None
    for n in range(5):
        await bus.handle(
            EnrollMember(
                program=programs.ref(found),
                external_id=f"m{n}",
                email=f"m{n}@x.io",
                display_name="M",
            )
        )
    return programs.ref(found)


# Who asks, and owns the idempotency keys, in these tests.
SHOP = "storefront:shop"


async def _mixed_load(bus: MessageBus, program: ProgramRef, clock: FixedClock) -> None:
    """Orders, grants, spends, returns, activations and expiries across five members."""
    await asyncio.gather(
        *(
            bus.handle(
                AwardOrder(
                    program=program,
                    actor=SHOP,
                    idempotency_key=f"o{n}",
                    external_id=f"m{n % 5}",
                    order=Order(f"order-{n}", Decimal(10 + n), "EUR"),
                )
            )
            for n in range(20)
        )
    )
    await asyncio.gather(
        *(
            bus.handle(
                AwardManual(
                    program=program,
                    actor=SHOP,
                    idempotency_key=f"g{n}",
                    external_id=f"m{n}",
                    points=40,
                    reason="Welcome",
                )
            )
            for n in range(5)
        )
    )
    clock.advance(timedelta(days=8))
    await jobs.run_due(bus)
    await asyncio.gather(
        *(
            bus.handle(
                RedeemPoints(
                    program=program,
                    actor=SHOP,
                    idempotency_key=f"r{n}",
                    external_id=f"m{n}",
                    points=30,
                    reason="Checkout",
                )
            )
            for n in range(5)
        )
    )
    await bus.handle(
        ReverseOrder(
            program=program,
            actor=SHOP,
            idempotency_key="ret",
            order_id="order-3",
            return_id="r1",
            amount=Decimal(13),
            currency="EUR",
        )
    )
    clock.advance(timedelta(days=40))
    report = await jobs.run_due(bus)
    assert report.expired > 0


async def test_audit_passes_after_a_mixed_load_and_catches_a_corrupted_balance(
    acme: ProgramRef,
    bus: MessageBus,
    clock: FixedClock,
    database_url: str,
    redis_url: str,
    tmp_path: Path,
) -> None:
    await _mixed_load(bus, acme, clock)
    assert await audit_program(acme.id) == []
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "LOYALTY_DATA_DIR": str(tmp_path),
    }
    clean = await _audit_cli(env)
    assert (clean.returncode, clean.stdout.strip()) == (0, "audit of acme: 0 finding(s)")

    # Only by switching the guard triggers off (a superuser restoring a backup, say) can a
    # balance drift from its ledger; the audit must then say so and fail.
    async with in_transaction() as connection:
        await connection.execute_script("SET LOCAL session_replication_role = replica")
        await connection.execute_query(
            "UPDATE points_balance SET available = available + 7 WHERE member_id = 2"
        )
    findings = await audit_program(acme.id)
    assert {(f.member_id, f.problem) for f in findings} == {
        (2, "balance differs from the sum of its entries"),
        (2, "lots do not cover the balance"),
    }
    corrupt = await _audit_cli(env)
    assert corrupt.returncode == 1
    assert "member 2: balance differs from the sum of its entries" in corrupt.stdout


async def _audit_cli(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [LOYALTY, "audit", "--program", "acme"]
    return await asyncio.to_thread(
        subprocess.run, command, env=env, capture_output=True, text=True, timeout=60
    )


async def test_the_database_refuses_direct_balance_changes(acme: ProgramRef) -> None:
    with pytest.raises(OperationalError, match="only through ledger entries"):
        await connections.get("default").execute_query("UPDATE points_balance SET available = 1000")


async def test_the_database_keeps_entries_append_only(acme: ProgramRef, bus: MessageBus) -> None:
    await bus.handle(
        AwardManual(
            program=acme,
            actor=SHOP,
            idempotency_key="g",
            external_id="m0",
            points=10,
            reason="Welcome",
        )
    )
    connection = connections.get("default")
    for statement in ("UPDATE points_entry SET points = 1000", "DELETE FROM points_entry"):
        with pytest.raises(OperationalError, match="append-only"):
            await connection.execute_query(statement)


async def test_the_database_refuses_an_entry_that_disagrees_with_its_balance(
    acme: ProgramRef, clock: FixedClock
) -> None:
    insert = """
    INSERT INTO points_entry (program_id, member_id, kind, points, available_delta, pending_delta,
      debt_delta, lifetime_delta, available_after, pending_after, debt_after, lifetime_after,
      reason_code, reason, actor, explanation, created_at)
    VALUES ($1, 1, 'ADJUST', 5, 5, 0, 0, 5, 500, 0, 0, 5, 'ADJUSTMENT', 'x', 'test', '{"lines": []}', $2)
    """
    with pytest.raises(OperationalError, match="disagrees with its balance"):
        await connections.get("default").execute_query(insert, [acme.id, clock.now()])
