"""Points over time through the API: pending return windows, expiry, spending order, returns and
what each clawback policy does to points already spent."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backbone.bus import MessageBus
from domain.clock import FixedClock
from loyalty.points.jobs import JobReport, run_due
from tests.e2e.conftest import GraphQLClient, enroll
from tests.e2e.points_helpers import (
    assert_ledger_audits_clean,
    award_manual,
    award_order,
    bal,
    balance,
    configure,
    errors,
    ledger,
    lines,
    points,
    redeem,
    reverse,
)

pytestmark = pytest.mark.e2e


async def test_order_points_wait_out_the_return_window(
    gql: GraphQLClient, ann: str, bus: MessageBus, clock: FixedClock
) -> None:
    await enroll(gql, "bob")
    await configure(gql, pendingDays=14)
    earned = await award_order(gql, ann, "o-1", "120.00")
    assert earned["balance"] == bal(0, pending=120, lifetime=120)
    await award_order(gql, "bob", "o-2", "70.00")
    assert errors(await redeem(gql, ann, 1)) == ["INSUFFICIENT_POINTS"]
    assert await balance(gql, ann) == bal(0, pending=120, lifetime=120)

    clock.advance(timedelta(days=13))
    assert await run_due(bus) == JobReport(members=0, activated=0, expired=0)
    assert errors(await redeem(gql, ann, 1)) == ["INSUFFICIENT_POINTS"]

    clock.advance(timedelta(days=2))
    # bob's next write activates his points lazily; the job then has only ann left to do.
    spent = await redeem(gql, "bob", 50)
    assert (spent["userErrors"], spent["balance"]) == ([], bal(20, lifetime=70))
    assert [(e["kind"], e["points"]) for e in await ledger(gql, "bob")] == [
        ("REDEEM", -50),
        ("ACTIVATE", 70),
        ("EARN", 70),
    ]
    # Reads show the points as they stand now; the ledger records the activation when the job
    # (or ann's next write) gets to it.
    assert await balance(gql, ann) == bal(120, lifetime=120)
    assert [e["kind"] for e in await ledger(gql, ann)] == ["EARN"]
    assert await run_due(bus) == JobReport(members=1, activated=1, expired=0)
    activation = (await ledger(gql, ann))[0]
    assert (activation["kind"], activation["points"], activation["reasonCode"]) == (
        "ACTIVATE",
        120,
        "ACTIVATION",
    )
    assert lines(activation) == [("ACTIVATED", 120)]
    assert activation["balanceAfter"] == bal(120, lifetime=120)
    assert await run_due(bus) == JobReport(members=0, activated=0, expired=0)
    assert (await redeem(gql, ann, 120))["balance"] == bal(0, lifetime=120)


async def test_unspent_points_expire_after_30_days(
    gql: GraphQLClient, ann: str, bus: MessageBus, clock: FixedClock
) -> None:
    await configure(gql, expiry={"mode": "AFTER_DAYS", "amount": 30})
    await award_manual(gql, ann, 500)
    expiring = [
        {"points": 500, "expiresOn": "2026-07-15", "expiresAt": "2026-07-16T00:00:00+00:00"}
    ]
    assert (await points(gql, ann, 31))["expiringSoon"] == expiring
    assert (await points(gql, ann, 30))["expiringSoon"] == []  # 07-16 00:00 is 30.5 days away
    await redeem(gql, ann, 200)
    assert (await points(gql, ann, 31))["expiringSoon"] == [{**expiring[0], "points": 300}]

    clock.advance(timedelta(days=30))  # 2026-07-15 12:00: the last day they can be spent
    assert await run_due(bus) == JobReport(members=0, activated=0, expired=0)
    assert (await points(gql, ann, 1))["expiringSoon"] == [{**expiring[0], "points": 300}]
    clock.advance(timedelta(days=1))
    assert await run_due(bus) == JobReport(members=1, activated=0, expired=1)
    expiry = (await ledger(gql, ann))[0]
    assert (expiry["kind"], expiry["points"], expiry["reasonCode"]) == ("EXPIRE", -300, "EXPIRY")
    assert lines(expiry) == [("EXPIRED", -300)]
    assert expiry["balanceAfter"] == bal(0, lifetime=500)
    summary = await points(gql, ann, 366)
    assert (summary["available"], summary["expiringSoon"]) == (0, [])
    assert await run_due(bus) == JobReport(members=0, activated=0, expired=0)
    assert len(await ledger(gql, ann)) == 3


async def test_spending_takes_the_soonest_expiring_lot_first(
    gql: GraphQLClient, ann: str, bus: MessageBus, clock: FixedClock
) -> None:
    await configure(gql, expiry={"mode": "AFTER_DAYS", "amount": 60})
    await award_manual(gql, ann, 100)  # older lot, expires after 2026-08-14
    await configure(gql, expiry={"mode": "AFTER_DAYS", "amount": 30})
    await award_manual(gql, ann, 100)  # newer lot, expires after 2026-07-15
    await redeem(gql, ann, 60)
    soon = (await points(gql, ann, 366))["expiringSoon"]
    assert [(e["points"], e["expiresOn"]) for e in soon] == [
        (40, "2026-07-15"),
        (100, "2026-08-14"),
    ]

    clock.advance(timedelta(days=31))
    assert await run_due(bus) == JobReport(members=1, activated=0, expired=1)
    assert await balance(gql, ann) == bal(100, lifetime=200)
    clock.advance(timedelta(days=30))
    assert await run_due(bus) == JobReport(members=1, activated=0, expired=1)
    assert [(e["kind"], e["points"]) for e in await ledger(gql, ann)] == [
        ("EXPIRE", -100),
        ("EXPIRE", -40),
        ("REDEEM", -60),
        ("EARN", 100),
        ("EARN", 100),
    ]
    assert await balance(gql, ann) == bal(0, lifetime=200)


async def test_partial_returns_claw_back_cumulatively(gql: GraphQLClient, ann: str) -> None:
    await award_order(gql, ann, "o-1", "10.00")
    # Rounding DOWN (the default) rounds what the member keeps: 6 points for the 6.67 kept.
    first = await reverse(gql, "o-1", "r-1", "3.33")
    entry = first["entry"]
    assert (entry["kind"], entry["points"], entry["reasonCode"]) == ("REVERSE", -4, "RETURN")
    assert (entry["reason"], entry["sourceReference"]) == ("Return r-1 of order o-1", "order:o-1")
    assert entry["explanation"] == [
        {"code": "RETURN", "label": "Returned EUR 3.33 of EUR 10.00", "points": -4}
    ]
    second = await reverse(gql, "o-1", "r-2", "3.33")
    assert second["entry"]["points"] == -3  # 3.34 kept keeps 3 points

    repeated = await reverse(gql, "o-1", "r-2", "3.33")  # same return, another key
    assert (repeated["userErrors"], repeated["entry"]["id"]) == ([], second["entry"]["id"])
    assert errors(await reverse(gql, "o-1", "r-2", "3.00")) == ["RETURN_ID_REUSED"]
    assert errors(await reverse(gql, "o-1", "r-3", "3.35")) == ["RETURN_EXCEEDS_ORDER"]
    assert errors(await reverse(gql, "o-1", "r-3", "3.34", currency="USD")) == ["CURRENCY_MISMATCH"]
    assert errors(await reverse(gql, "o-404", "r-1", "1.00")) == ["ORDER_NOT_FOUND"]
    last = await reverse(gql, "o-1", "r-3", "3.34")
    assert (last["entry"]["points"], last["balance"]) == (-3, bal(0))
    assert errors(await reverse(gql, "o-1", "r-4", "0.01")) == ["RETURN_EXCEEDS_ORDER"]
    entries = await ledger(gql, ann)
    assert [e["points"] for e in entries] == [-3, -3, -4, 10]
    assert sum(e["points"] for e in entries if e["kind"] == "REVERSE") == -10


async def test_return_after_spending_records_debt_repaid_from_next_points(
    gql: GraphQLClient, ann: str
) -> None:
    await configure(gql, clawbackPolicy="CLAMP_AND_RECORD_DEBT")
    await award_order(gql, ann, "o-1", "100.00")
    await redeem(gql, ann, 80)
    returned = await reverse(gql, "o-1", "r-1", "100.00")
    assert returned["entry"]["points"] == -100
    assert lines(returned["entry"]) == [("RETURN", -20), ("DEBT", -80)]
    assert returned["balance"] == bal(0, debt=80, lifetime=0)
    assert errors(await redeem(gql, ann, 1)) == ["INSUFFICIENT_POINTS"]

    grant = await award_manual(gql, ann, 50)
    assert grant["entry"]["points"] == 50
    assert lines(grant["entry"]) == [("MANUAL", 50), ("DEBT_REPAID", 0)]
    assert grant["balance"] == bal(0, debt=30, lifetime=50)
    order = await award_order(gql, ann, "o-2", "50.00")
    assert lines(order["entry"]) == [("BASE", 50), ("DEBT_REPAID", 0)]
    assert order["balance"] == bal(20, debt=0, lifetime=100)
    assert (await redeem(gql, ann, 20))["balance"] == bal(0, lifetime=100)
    assert await balance(gql, ann) == bal(0, lifetime=100)
    await assert_ledger_audits_clean()


async def test_points_leaving_the_return_window_repay_debt_first(
    gql: GraphQLClient, ann: str, bus: MessageBus, clock: FixedClock
) -> None:
    await award_order(gql, ann, "o-1", "100.00")
    await redeem(gql, ann, 100)
    await configure(gql, pendingDays=14)
    await award_order(gql, ann, "o-2", "60.00")
    owed = await reverse(gql, "o-1", "r-1", "100.00")
    assert lines(owed["entry"]) == [("DEBT", -100)]
    assert owed["balance"] == bal(0, pending=60, debt=100, lifetime=60)
    clock.advance(timedelta(days=15))
    assert await run_due(bus) == JobReport(members=1, activated=1, expired=0)
    activation = (await ledger(gql, ann))[0]
    assert (activation["kind"], activation["points"]) == ("ACTIVATE", 60)
    assert lines(activation) == [("ACTIVATED", 60), ("DEBT_REPAID", 0)]
    assert activation["balanceAfter"] == bal(0, debt=40, lifetime=60)
    assert errors(await redeem(gql, ann, 1)) == ["INSUFFICIENT_POINTS"]
    await assert_ledger_audits_clean()


async def test_debt_repayment_lines_add_up_to_the_entry_points(
    gql: GraphQLClient, ann: str
) -> None:
    await award_order(gql, ann, "o-1", "100.00")
    await redeem(gql, ann, 80)
    await reverse(gql, "o-1", "r-1", "100.00")
    grant = (await award_manual(gql, ann, 50))["entry"]
    assert sum(p for _, p in lines(grant)) == grant["points"]


async def test_return_after_spending_may_go_negative(gql: GraphQLClient, ann: str) -> None:
    await configure(gql, clawbackPolicy="ALLOW_NEGATIVE")
    await award_order(gql, ann, "o-1", "100.00")
    await redeem(gql, ann, 80)
    returned = await reverse(gql, "o-1", "r-1", "100.00")
    assert (returned["entry"]["points"], lines(returned["entry"])) == (-100, [("RETURN", -100)])
    assert returned["balance"] == bal(-80, lifetime=0)
    assert await balance(gql, ann) == bal(-80, lifetime=0)
    assert (await award_manual(gql, ann, 50))["balance"] == bal(-30, lifetime=50)
    assert errors(await redeem(gql, ann, 1)) == ["INSUFFICIENT_POINTS"]
    assert (await award_manual(gql, ann, 40))["balance"] == bal(10, lifetime=90)
    assert (await redeem(gql, ann, 10))["balance"] == bal(0, lifetime=90)
    await assert_ledger_audits_clean()


async def test_return_after_spending_is_denied(gql: GraphQLClient, ann: str) -> None:
    await configure(gql, clawbackPolicy="DENY")
    await award_order(gql, ann, "o-1", "100.00")
    await redeem(gql, ann, 80)
    denied = await reverse(gql, "o-1", "r-1", "100.00")
    assert errors(denied) == ["CLAWBACK_DENIED"]
    assert (denied["entry"], denied["balance"]) == (None, None)
    assert await balance(gql, ann) == bal(20, lifetime=100)
    assert len(await ledger(gql, ann)) == 2
    covered = await reverse(gql, "o-1", "r-1", "20.00")  # the refused returnId was not kept
    assert (covered["entry"]["points"], covered["balance"]) == (-20, bal(0, lifetime=80))
    assert errors(await reverse(gql, "o-1", "r-2", "1.00")) == ["CLAWBACK_DENIED"]
    assert await balance(gql, ann) == bal(0, lifetime=80)


async def test_return_inside_the_window_takes_pending_points_first(
    gql: GraphQLClient, ann: str, bus: MessageBus, clock: FixedClock
) -> None:
    await configure(gql, pendingDays=14, clawbackPolicy="DENY")
    await award_manual(gql, ann, 500)
    await award_order(gql, ann, "o-1", "100.00")
    assert await balance(gql, ann) == bal(500, pending=100, lifetime=600)
    returned = await reverse(gql, "o-1", "r-1", "40.00")
    assert (returned["entry"]["points"], lines(returned["entry"])) == (-40, [("RETURN", -40)])
    assert returned["balance"] == bal(500, pending=60, lifetime=560)

    clock.advance(timedelta(days=15))
    assert await run_due(bus) == JobReport(members=1, activated=1, expired=0)
    assert (await ledger(gql, ann))[0]["points"] == 60
    assert await balance(gql, ann) == bal(560, lifetime=560)
    rest = await reverse(gql, "o-1", "r-2", "60.00")
    assert (rest["entry"]["points"], rest["balance"]) == (-60, bal(500, lifetime=500))
    await assert_ledger_audits_clean()
