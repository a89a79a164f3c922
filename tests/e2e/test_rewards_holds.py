"""Checkout holds over GraphQL: points and stock reserved, confirmed, cancelled, refunded, and
released by the expiry job exactly once, also with two runs at the same time."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from backbone.bus import MessageBus
from backbone.jobs import run_now
from domain.clock import FixedClock
from tests.e2e.conftest import GraphQLClient, enroll
from tests.e2e.points_helpers import award_manual, errors, ledger, member_token
from tests.e2e.rewards_helpers import (
    CANCEL,
    CONFIGURE,
    CONFIRM,
    UPDATE,
    USED,
    act,
    assert_audits_clean,
    create_reward,
    payload,
    redeem_reward,
)

pytestmark = pytest.mark.e2e
JOB = "rewards.release_expired_holds"


async def points(gql: GraphQLClient, who: str) -> dict[str, int]:
    data = await gql.ok("{ me { points { available held } } }", bearer=member_token(who))
    found: dict[str, int] = data["me"]["points"]
    return found


async def _stock_left(gql: GraphQLClient, reward_id: str) -> int:
    left: int = (await payload(gql, UPDATE, {"id": reward_id}))["reward"]["stock"]["left"]
    return left


async def test_a_hold_reserves_then_confirm_spends_and_shows_the_code(
    gql: GraphQLClient, ann: str
) -> None:
    await award_manual(gql, ann, 100)
    reward = await create_reward(
        gql, kind="DISCOUNT_CODE", discount={"type": "FREE_SHIPPING"}, pointsCost=60, stock=2
    )
    held = await redeem_reward(gql, ann, reward["id"], hold=True)
    assert held["userErrors"] == []
    assert (held["redemption"]["status"], held["redemption"]["code"]) == ("HELD", None)
    assert held["redemption"]["holdExpiresAt"] == "2026-06-15T12:15:00+00:00"
    assert (held["balance"]["available"], held["balance"]["held"]) == (40, 60)
    assert await _stock_left(gql, reward["id"]) == 1
    # Held points are not spendable.
    assert errors(await redeem_reward(gql, ann, reward["id"])) == ["INSUFFICIENT_POINTS"]

    done = await act(gql, CONFIRM, held["redemption"]["id"])
    assert done["redemption"]["status"] == "CONFIRMED"
    assert len(done["redemption"]["code"]) == 12
    summary = await points(gql, ann)
    assert (summary["available"], summary["held"]) == (40, 0)
    assert [e["kind"] for e in await ledger(gql, ann)] == ["REDEEM", "HOLD", "EARN"]
    again = await act(gql, CONFIRM, held["redemption"]["id"])
    assert again["userErrors"] == []
    assert again["redemption"]["status"] == "CONFIRMED"
    await assert_audits_clean()


async def test_cancelling_a_hold_returns_points_stock_and_code(
    gql: GraphQLClient, ann: str
) -> None:
    await award_manual(gql, ann, 100)
    reward = await create_reward(gql, pointsCost=60, stock=1)
    held = await redeem_reward(gql, ann, reward["id"], hold=True)
    cancelled = await act(gql, CANCEL, held["redemption"]["id"])
    assert cancelled["redemption"]["status"] == "CANCELLED"
    summary = await points(gql, ann)
    assert (summary["available"], summary["held"]) == (100, 0)
    assert await _stock_left(gql, reward["id"]) == 1
    assert errors(await act(gql, CONFIRM, held["redemption"]["id"])) == ["INVALID_REDEMPTION_STATE"]
    await assert_audits_clean()


async def test_refunds_follow_the_policy_and_never_a_used_code(
    gql: GraphQLClient, ann: str
) -> None:
    await award_manual(gql, ann, 300)
    kind = {"kind": "DISCOUNT_CODE", "discount": {"type": "FREE_SHIPPING"}}
    refundable = await create_reward(gql, name="R", pointsCost=50, stock=5, refundable=True, **kind)
    final = await create_reward(gql, name="F", pointsCost=50, **kind)

    first = await redeem_reward(gql, ann, refundable["id"])
    refunded = await act(gql, CANCEL, first["redemption"]["id"])
    assert refunded["redemption"]["status"] == "CANCELLED"
    assert refunded["redemption"]["code"] == first["redemption"]["code"]  # never reissued
    assert refunded["balance"]["available"] == 300
    assert await _stock_left(gql, refundable["id"]) == 5
    assert (await ledger(gql, ann))[0]["kind"] == "REFUND"

    second = await redeem_reward(gql, ann, refundable["id"])
    used = await act(gql, USED, second["redemption"]["id"])
    assert used["redemption"]["codeUsed"] is True
    assert errors(await act(gql, CANCEL, second["redemption"]["id"])) == ["NOT_REFUNDABLE"]
    third = await redeem_reward(gql, ann, final["id"])
    assert errors(await act(gql, CANCEL, third["redemption"]["id"])) == ["NOT_REFUNDABLE"]
    await assert_audits_clean()


async def test_expired_holds_are_released_once_by_two_job_runs(
    gql: GraphQLClient, ann: str, bus: MessageBus, clock: FixedClock
) -> None:
    configured = await payload(gql, CONFIGURE, {"holdMinutes": 5})
    assert configured["settings"] == {"holdMinutes": 5, "withinReachPercent": 25}
    await enroll(gql, "bob")
    reward = await create_reward(
        gql, kind="DISCOUNT_CODE", discount={"type": "FREE_SHIPPING"}, pointsCost=10, stock=10
    )
    holds = []
    for who in ("ann", "bob"):
        await award_manual(gql, who, 100)
        for _ in range(3):
            holds.append(await redeem_reward(gql, who, reward["id"], hold=True))
    assert await _stock_left(gql, reward["id"]) == 4
    clock.advance(timedelta(minutes=4))
    assert (await run_now(bus, {JOB}))[JOB].released == 0  # type: ignore[attr-defined]
    clock.advance(timedelta(minutes=1))
    late = await act(gql, CONFIRM, holds[0]["redemption"]["id"])
    assert errors(late) == ["HOLD_EXPIRED"]

    reports = await asyncio.gather(run_now(bus, {JOB}), run_now(bus, {JOB}))

    assert sum(report[JOB].released for report in reports) == 6  # type: ignore[attr-defined]
    for who in ("ann", "bob"):
        summary = await points(gql, who)
        assert (summary["available"], summary["held"]) == (100, 0)
        kinds = [e["kind"] for e in await ledger(gql, who)]
        assert kinds.count("RELEASE") == 3
    assert await _stock_left(gql, reward["id"]) == 10
    assert errors(await act(gql, CONFIRM, holds[1]["redemption"]["id"])) == ["HOLD_EXPIRED"]
    assert (await run_now(bus, {JOB}))[JOB].released == 0  # type: ignore[attr-defined]
    await assert_audits_clean()
