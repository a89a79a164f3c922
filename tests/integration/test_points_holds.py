"""Held points on real PostgreSQL: the database trigger moves `held` with each entry, lots get
their points back on a release, and the audit stays clean throughout."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

import pytest
from tortoise import connections

from backbone.bus import MessageBus
from domain.clock import FixedClock
from domain.ledger import Balance
from domain.points_config import Expiry, ExpiryMode, PointsConfig
from loyalty.commands import ConfigurePoints
from loyalty.points import holds
from loyalty.points.account import Account, open_account
from loyalty.points.audit import audit_program
from loyalty.points.commands import AwardManual
from loyalty.programs import ProgramRef

pytestmark = pytest.mark.integration

T = TypeVar("T")


async def _on_account(
    bus: MessageBus, program: ProgramRef, work: Callable[[Account], Awaitable[T]]
) -> tuple[T, Balance]:
    async with bus.unit_of_work() as uow:
        account = await open_account(uow, program.id, external_id="ann", actor="storefront:shop")
        assert account is not None
        await account.settle_due()
        done = await work(account)
    return done, account.balance


async def _stored() -> Balance:
    [row] = await connections.get("default").execute_query_dict(
        "SELECT available, pending, debt, lifetime_earned, held FROM points_balance"
    )
    return Balance(*row.values())


@pytest.fixture
async def ann_with_100(acme: ProgramRef, bus: MessageBus) -> ProgramRef:
    expiry = Expiry(ExpiryMode.AFTER_DAYS, 30, round_to_month_end=False)
    await bus.handle(ConfigurePoints(program_id=acme.id, config=PointsConfig(expiry=expiry)))
    await bus.handle(
        AwardManual(
            program=acme,
            actor="admin:ops",
            idempotency_key="k-1",
            external_id="ann",
            points=100,
            reason="Welcome",
        )
    )
    return acme


async def test_hold_then_release_leaves_the_member_as_before(
    ann_with_100: ProgramRef, bus: MessageBus
) -> None:
    held, balance = await _on_account(
        bus, ann_with_100, lambda account: holds.hold(account, 60, reason="Checkout")
    )
    assert balance == await _stored() == Balance(available=40, lifetime=100, held=60)
    _, balance = await _on_account(
        bus,
        ann_with_100,
        lambda account: holds.release(account, 60, held.takes, reason="Cancelled"),
    )
    assert balance == await _stored() == Balance(available=100, lifetime=100)
    [lot] = await connections.get("default").execute_query_dict("SELECT remaining FROM points_lot")
    assert lot["remaining"] == 100
    assert await audit_program(ann_with_100.id) == []


async def test_points_released_after_their_expiry_expire_at_once(
    ann_with_100: ProgramRef, bus: MessageBus, clock: FixedClock
) -> None:
    held, _ = await _on_account(
        bus, ann_with_100, lambda account: holds.hold(account, 60, reason="Checkout")
    )
    clock.advance(timedelta(days=31))  # the lot expires while 60 of its points are held
    _, balance = await _on_account(
        bus,
        ann_with_100,
        lambda account: holds.release(account, 60, held.takes, reason="Hold expired"),
    )
    assert balance == await _stored() == Balance(available=0, lifetime=100)
    kinds = await connections.get("default").execute_query_dict(
        "SELECT kind, points FROM points_entry ORDER BY id"
    )
    assert [(k["kind"], k["points"]) for k in kinds] == [
        ("EARN", 100),
        ("HOLD", -60),
        ("EXPIRE", -40),
        ("RELEASE", 60),
        ("EXPIRE", -60),
    ]
    assert await audit_program(ann_with_100.id) == []


async def test_a_capture_spends_the_hold_and_a_refund_gives_new_points(
    ann_with_100: ProgramRef, bus: MessageBus
) -> None:
    await _on_account(bus, ann_with_100, lambda account: holds.hold(account, 60, reason="Checkout"))
    _, balance = await _on_account(
        bus, ann_with_100, lambda account: holds.capture(account, 60, reason="Confirmed")
    )
    assert balance == await _stored() == Balance(available=40, lifetime=100)
    _, balance = await _on_account(
        bus,
        ann_with_100,
        lambda account: holds.refund(account, 60, reason="Refund", expires_at=None),
    )
    assert balance == await _stored() == Balance(available=100, lifetime=100)
    assert await audit_program(ann_with_100.id) == []


async def test_the_database_refuses_an_entry_whose_held_figure_disagrees(
    ann_with_100: ProgramRef,
) -> None:
    from tortoise.exceptions import OperationalError

    with pytest.raises(OperationalError, match="disagrees with its balance"):
        await connections.get("default").execute_query(
            "INSERT INTO points_entry (program_id, member_id, kind, points, available_delta,"
            " pending_delta, debt_delta, lifetime_delta, held_delta, available_after,"
            " pending_after, debt_after, lifetime_after, held_after, reason_code, reason, actor,"
            " explanation, created_at) SELECT program_id, member_id, 'HOLD', -1, -1, 0, 0, 0, 1,"
            " 99, 0, 0, 100, 0, 'HOLD', 'x', 'test', '{}', now() FROM points_balance"
        )
