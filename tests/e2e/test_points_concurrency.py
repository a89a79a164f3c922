"""Points writes under real concurrency: many requests at once against one member, through the
ASGI app and real PostgreSQL. Nothing is lost, nothing is doubled, nothing goes negative."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from backbone.bus import MessageBus
from domain.clock import FixedClock
from loyalty.points.jobs import run_due
from tests.e2e.conftest import GraphQLClient, enroll
from tests.e2e.points_helpers import (
    assert_ledger_audits_clean,
    assert_running_sums,
    award_manual,
    award_order,
    bal,
    balance,
    configure,
    errors,
    key,
    ledger,
    redeem,
    reverse,
)

pytestmark = pytest.mark.e2e


async def test_200_concurrent_awards_all_land(gql: GraphQLClient, ann: str) -> None:
    amounts = [i % 37 + 1 for i in range(200)]
    results = await asyncio.gather(*(award_manual(gql, ann, n) for n in amounts))

    assert all(r["userErrors"] == [] and r["replayed"] is False for r in results)
    assert len({r["entry"]["id"] for r in results}) == 200
    assert sorted(r["entry"]["points"] for r in results) == sorted(amounts)
    total = sum(amounts)
    assert total == 3635
    assert await balance(gql, ann) == bal(total, lifetime=total)
    entries = await ledger(gql, ann)
    assert len(entries) == 200
    assert {e["kind"] for e in entries} == {"EARN"}
    assert entries[0]["balanceAfter"]["available"] == total
    assert entries[-1]["balanceAfter"]["available"] == entries[-1]["points"]
    assert_running_sums(entries)
    # Each response's balance is the one right after its own entry: all distinct, as serialised.
    assert len({r["balance"]["available"] for r in results}) == 200
    await assert_ledger_audits_clean()


async def test_50_concurrent_retries_of_one_key_write_once(gql: GraphQLClient, ann: str) -> None:
    idem = key()
    results = await asyncio.gather(*(award_manual(gql, ann, 250, idem=idem) for _ in range(50)))

    assert all(r["userErrors"] == [] for r in results)
    assert len({r["entry"]["id"] for r in results}) == 1
    assert sorted(r["replayed"] for r in results) == [False] + [True] * 49
    assert all(r["balance"] == bal(250, lifetime=250) for r in results)
    assert len(await ledger(gql, ann)) == 1
    assert await balance(gql, ann) == bal(250, lifetime=250)

    # A later retry still replays the original result, even after the balance moved on.
    await award_manual(gql, ann, 5)
    late = await award_manual(gql, ann, 250, idem=idem)
    assert late["replayed"] is True
    assert late["entry"]["id"] == results[0]["entry"]["id"]
    assert late["balance"] == bal(250, lifetime=250)
    assert await balance(gql, ann) == bal(255, lifetime=255)


async def test_concurrent_spends_never_overdraw(gql: GraphQLClient, ann: str) -> None:
    await award_manual(gql, ann, 1000)
    results = await asyncio.gather(*(redeem(gql, ann, 100) for _ in range(30)))

    won = [r for r in results if r["userErrors"] == []]
    lost = [r for r in results if r["userErrors"] != []]
    assert len(won) == 10
    assert len(lost) == 20
    assert all(errors(r) == ["INSUFFICIENT_POINTS"] and r["entry"] is None for r in lost)
    assert all(r["entry"]["points"] == -100 for r in won)
    assert sorted(r["balance"]["available"] for r in won) == list(range(0, 1000, 100))
    assert await balance(gql, ann) == bal(0, lifetime=1000)
    entries = await ledger(gql, ann)
    assert [e["kind"] for e in entries] == ["REDEEM"] * 10 + ["EARN"]
    assert min(e["balanceAfter"]["available"] for e in entries) == 0
    assert_running_sums(entries)
    await assert_ledger_audits_clean()


async def test_refused_spend_keeps_its_key_free_for_a_retry(gql: GraphQLClient, ann: str) -> None:
    await award_manual(gql, ann, 40)
    idem = key()
    refused = await redeem(gql, ann, 100, idem=idem)
    assert errors(refused) == ["INSUFFICIENT_POINTS"]
    await award_manual(gql, ann, 60)
    retried = await redeem(gql, ann, 100, idem=idem)
    assert (retried["userErrors"], retried["replayed"]) == ([], False)
    assert await balance(gql, ann) == bal(0, lifetime=100)


async def test_same_key_with_other_input_is_refused(gql: GraphQLClient, ann: str) -> None:
    idem = key()
    first = await award_manual(gql, ann, 10, idem=idem)
    other_points = await award_manual(gql, ann, 11, idem=idem)
    other_operation = await redeem(gql, ann, 10, idem=idem)
    for refused in (other_points, other_operation):
        assert errors(refused) == ["IDEMPOTENCY_KEY_REUSED"]
        assert refused["userErrors"][0]["field"] == ["input", "idempotencyKey"]
        assert (refused["entry"], refused["balance"], refused["replayed"]) == (None, None, False)
    # Concurrent conflicting uses of a fresh key: one wins, the rest are refused.
    fresh = key()
    racing = await asyncio.gather(*(award_manual(gql, ann, n, idem=fresh) for n in (1, 2, 3, 4)))
    assert sorted(errors(r) for r in racing) == [[]] + [["IDEMPOTENCY_KEY_REUSED"]] * 3
    winner = next(r for r in racing if r["userErrors"] == [])
    assert [e["id"] for e in await ledger(gql, ann)] == [
        winner["entry"]["id"],
        first["entry"]["id"],
    ]
    assert await balance(gql, ann) == bal(
        10 + winner["entry"]["points"], lifetime=10 + winner["entry"]["points"]
    )


async def test_one_order_under_two_keys_earns_once(gql: GraphQLClient, ann: str) -> None:
    first = await award_order(gql, ann, "o-1", "40.00")
    again = await award_order(gql, ann, "o-1", "40.00")
    assert first["entry"]["points"] == 40
    assert errors(again) == ["ALREADY_AWARDED"]
    assert again["userErrors"][0]["field"] == ["input", "source", "order", "orderId"]

    racing = await asyncio.gather(*(award_order(gql, ann, "o-2", "25.00") for _ in range(2)))
    assert sorted(errors(r) for r in racing) == [[], ["ALREADY_AWARDED"]]
    assert await balance(gql, ann) == bal(65, lifetime=65)
    assert [e["sourceReference"] for e in await ledger(gql, ann)] == ["order:o-2", "order:o-1"]


async def test_one_order_for_two_members_at_once_earns_once(gql: GraphQLClient, ann: str) -> None:
    await enroll(gql, "bob")
    racing = await asyncio.gather(
        *(award_order(gql, who, "o-9", "30.00") for who in ("ann", "bob", "ann", "bob"))
    )
    assert sorted(errors(r) for r in racing) == [
        [],
        ["ALREADY_AWARDED"],
        ["ALREADY_AWARDED"],
        ["ALREADY_AWARDED"],
    ]
    totals = [(await balance(gql, who))["available"] for who in ("ann", "bob")]
    assert sorted(totals) == [0, 30]


async def test_concurrent_returns_never_exceed_the_order(gql: GraphQLClient, ann: str) -> None:
    await award_order(gql, ann, "o-1", "100.00")
    results = await asyncio.gather(*(reverse(gql, "o-1", f"r-{i}", "15.00") for i in range(10)))
    ok = [r for r in results if r["userErrors"] == []]
    assert len(ok) == 6
    assert sorted(errors(r) for r in results if r not in ok) == [["RETURN_EXCEEDS_ORDER"]] * 4
    assert all(r["entry"]["points"] == -15 for r in ok)
    assert await balance(gql, ann) == bal(10, lifetime=10)
    await assert_ledger_audits_clean()


async def test_activation_happens_once_under_concurrent_writes(
    gql: GraphQLClient, ann: str, bus: MessageBus, clock: FixedClock
) -> None:
    await configure(gql, pendingDays=14)
    await award_order(gql, ann, "o-1", "300.00")
    clock.advance(timedelta(days=15))
    spends = [redeem(gql, ann, 10) for _ in range(10)]
    awards = [award_manual(gql, ann, 1) for _ in range(5)]
    results, report = await asyncio.gather(asyncio.gather(*spends, *awards), run_due(bus))
    assert all(r["userErrors"] == [] for r in results)
    entries = await ledger(gql, ann)
    assert [e["kind"] for e in entries].count("ACTIVATE") == 1
    assert report.activated in (0, 1)
    assert await balance(gql, ann) == bal(300 - 100 + 5, lifetime=305)
    await assert_ledger_audits_clean()


async def test_overlapping_job_runs_expire_once(
    gql: GraphQLClient, ann: str, bus: MessageBus, clock: FixedClock
) -> None:
    await configure(gql, expiry={"mode": "AFTER_DAYS", "amount": 30})
    await enroll(gql, "bob")
    for who in ("ann", "bob"):
        await award_manual(gql, who, 70)
        await redeem(gql, who, 20)
    clock.advance(timedelta(days=31))
    reports = await asyncio.gather(*(run_due(bus) for _ in range(4)))
    assert sum(r.expired for r in reports) == 2
    for who in ("ann", "bob"):
        assert [(e["kind"], e["points"]) for e in await ledger(gql, who)] == [
            ("EXPIRE", -50),
            ("REDEEM", -20),
            ("EARN", 70),
        ]
        assert await balance(gql, who) == bal(0, lifetime=70)
    await assert_ledger_audits_clean()
