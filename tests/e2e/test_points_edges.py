"""Edges found in review: sizes beyond what clients can read, returns after expiry, replays after
a rule change, and who is named on entries the system writes."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from backbone.bus import MessageBus
from domain.clock import FixedClock
from loyalty.points.jobs import run_due
from loyalty.points.models import PointsEntry
from tests.e2e.conftest import GraphQLClient
from tests.e2e.points_helpers import (
    ADJUST,
    ADMIN,
    AWARD,
    assert_ledger_audits_clean,
    award_manual,
    award_order,
    bal,
    balance,
    configure,
    errors,
    key,
    ledger,
    lines,
    redeem,
    reverse,
    write,
)

pytestmark = pytest.mark.e2e
EXPIRY_30 = {"mode": "AFTER_DAYS", "amount": 30}


async def test_a_balance_beyond_what_clients_can_read_is_refused_and_writes_nothing(
    gql: GraphQLClient, ann: str
) -> None:
    refused = await award_order(gql, ann, "o-big", "3000000000.00")
    assert errors(refused) == ["POINTS_OUT_OF_RANGE"]
    assert (refused["entry"], refused["replayed"]) == (None, False)
    assert await balance(gql, ann) == bal(0)  # still readable, still zero
    assert await ledger(gql, ann) == []


async def test_a_return_after_expiry_writes_off_the_expired_part_instead_of_charging_it_again(
    gql: GraphQLClient, ann: str, bus: MessageBus, clock: FixedClock
) -> None:
    await configure(gql, expiry=EXPIRY_30)
    await award_order(gql, ann, "o-1", "100.00")
    await redeem(gql, ann, 60)
    clock.advance(timedelta(days=31))
    await run_due(bus)  # the 40 unspent points expire
    returned = (await reverse(gql, "o-1", "r-1", "100.00"))["entry"]
    assert returned["points"] == -100
    assert lines(returned) == [("EXPIRED_BEFORE_RETURN", -40), ("DEBT", -60)]
    assert await balance(gql, ann) == bal(0, debt=60)  # only what was spent is owed
    await assert_ledger_audits_clean()


async def test_under_deny_a_fully_expired_order_can_be_returned_without_touching_other_points(
    gql: GraphQLClient, ann: str, bus: MessageBus, clock: FixedClock
) -> None:
    await configure(gql, expiry=EXPIRY_30, clawbackPolicy="DENY")
    await award_order(gql, ann, "o-2", "100.00")
    clock.advance(timedelta(days=31))
    await run_due(bus)
    await award_manual(gql, ann, 100)
    returned = await reverse(gql, "o-2", "r-1", "100.00")
    assert errors(returned) == []
    assert lines(returned["entry"]) == [("EXPIRED_BEFORE_RETURN", -100)]
    assert await balance(gql, ann) == bal(100, lifetime=100)  # the later grant is untouched
    second = await reverse(gql, "o-2", "r-2", "0.01")  # nothing left to return
    assert errors(second) == ["RETURN_EXCEEDS_ORDER"]
    await assert_ledger_audits_clean()


async def test_event_references_and_names_are_bounded(gql: GraphQLClient, ann: str) -> None:
    await configure(gql, events=[{"name": "review_posted", "points": 50}])
    for reference in ("x" * 129, "two\nlines"):
        source = {"event": {"name": "review_posted", "reference": reference}}
        refused = await write(
            gql, AWARD, {"idempotencyKey": key(), "externalId": ann, "source": source}
        )
        assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
            (["input", "source", "event", "reference"], "INVALID_ORDER")
        ]
    config = await gql.post(
        'mutation { configurePoints(input: {events: [{name: "%s", points: 5}]}) { userErrors { code } } }'
        % ("e" * 65),
        bearer=ADMIN,
    )
    assert config["data"]["configurePoints"]["userErrors"] == [{"code": "INVALID_POINTS_CONFIG"}]


async def test_an_award_replays_after_the_program_dropped_its_event(
    gql: GraphQLClient, ann: str
) -> None:
    await configure(gql, events=[{"name": "review_posted", "points": 50}])
    request = {
        "idempotencyKey": "rv-1",
        "externalId": ann,
        "source": {"event": {"name": "review_posted", "reference": "rv-1"}},
    }
    first = await write(gql, AWARD, request)
    await configure(gql, events=[])
    again = await write(gql, AWARD, request)
    assert (again["replayed"], again["entry"], errors(again)) == (True, first["entry"], [])


async def test_entries_the_system_writes_name_the_system_not_the_client(
    gql: GraphQLClient, ann: str, clock: FixedClock
) -> None:
    await configure(gql, expiry=EXPIRY_30)
    await award_manual(gql, ann, 10, idem="grant-1")
    clock.advance(timedelta(days=31))
    await award_manual(gql, ann, 5, idem="grant-2")  # settles the expiry first
    rows = await PointsEntry.all().order_by("id").values("kind", "actor", "idempotency_key")
    assert rows == [
        {"kind": "EARN", "actor": "storefront:storefront-client", "idempotency_key": "grant-1"},
        {"kind": "EXPIRE", "actor": "system", "idempotency_key": None},
        {"kind": "EARN", "actor": "storefront:storefront-client", "idempotency_key": "grant-2"},
    ]


async def test_concurrent_order_awards_for_one_member_add_up_exactly(
    gql: GraphQLClient, ann: str
) -> None:
    totals = [f"{10 + n}.50" for n in range(40)]
    results = await asyncio.gather(
        *(award_order(gql, ann, f"o-{n}", total) for n, total in enumerate(totals))
    )
    assert all(errors(r) == [] for r in results)
    assert sum(r["entry"]["points"] for r in results) == sum(10 + n for n in range(40))
    assert (await balance(gql, ann))["available"] == sum(10 + n for n in range(40))
    await assert_ledger_audits_clean()


async def test_returns_and_adjustments_replay_under_their_key(gql: GraphQLClient, ann: str) -> None:
    await award_order(gql, ann, "o-1", "100.00")
    first_return = await reverse(gql, "o-1", "r-1", "40.00", idem="ret-1")
    again = await reverse(gql, "o-1", "r-1", "40.00", idem="ret-1")
    assert (again["replayed"], again["entry"]) == (True, first_return["entry"])
    adjust = {
        "idempotencyKey": "fix-1",
        "externalId": ann,
        "points": -10,
        "reason": "Duplicate grant",
    }
    first_fix = await write(gql, ADJUST, adjust, bearer=ADMIN)
    fix_again = await write(gql, ADJUST, adjust, bearer=ADMIN)
    assert (fix_again["replayed"], fix_again["entry"]) == (True, first_fix["entry"])
    assert await balance(gql, ann) == bal(
        50, lifetime=50
    )  # 100 - 40 returned - 10 fixed, once each
    await assert_ledger_audits_clean()


async def test_points_past_their_date_never_read_as_spendable(
    gql: GraphQLClient, ann: str, bus: MessageBus, clock: FixedClock
) -> None:
    await configure(gql, expiry=EXPIRY_30)
    await award_manual(gql, ann, 300)
    await redeem(gql, ann, 100)
    clock.advance(timedelta(days=31))  # no job has run and ann has not written since
    assert await balance(gql, ann) == bal(0, lifetime=300)
    assert [e["kind"] for e in await ledger(gql, ann)] == ["REDEEM", "EARN"]
    # A refused write changes nothing, not even the settling it started; the job records it.
    assert errors(await redeem(gql, ann, 1)) == ["INSUFFICIENT_POINTS"]
    assert [e["kind"] for e in await ledger(gql, ann)] == ["REDEEM", "EARN"]
    await run_due(bus)
    assert [e["kind"] for e in await ledger(gql, ann)] == ["EXPIRE", "REDEEM", "EARN"]
    assert await balance(gql, ann) == bal(0, lifetime=300)
    await assert_ledger_audits_clean()
