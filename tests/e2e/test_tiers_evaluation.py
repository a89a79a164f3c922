"""The evaluation job through GraphQL with a moved clock: the warning during grace, the downgrade
after it with its history, requalifying, re-evaluations an admin asks for, assignments."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from backbone.bus import MessageBus
from domain.clock import FixedClock
from tests.e2e.conftest import GraphQLClient
from tests.e2e.points_helpers import award_order
from tests.e2e.test_events import events
from tests.e2e.tier_helpers import (
    ADMIN,
    ASSIGN,
    REEVALUATE,
    TIERS,
    configure_tiers,
    evaluate,
    history,
    tier,
)

pytestmark = pytest.mark.e2e


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 12, 0, tzinfo=UTC)


async def test_no_downgrade_during_grace_then_one_step_down_with_history(
    gql: GraphQLClient, ann: str, bus: MessageBus, clock: FixedClock
) -> None:
    await configure_tiers(gql)  # judged on 1 October over July-September, 10 days of grace
    await award_order(gql, ann, "o-1", "520.00")  # June: gold
    clock.set(at(7, 20))
    await award_order(gql, ann, "o-2", "30.00")  # July, x2: 60 points
    clock.set(at(10, 1))
    await evaluate(bus)
    warned = await tier(gql, ann)
    assert warned["current"]["key"] == "gold"
    assert (warned["downgradeOn"], warned["retainBy"]) == (
        "2026-10-11",
        {"metric": "POINTS", "amount": "440"},
    )
    clock.set(at(10, 10))
    await evaluate(bus)
    assert (await tier(gql, ann))["current"]["key"] == "gold"
    clock.set(at(10, 11))
    await evaluate(bus)
    down = await tier(gql, ann)
    assert (down["current"]["key"], down["downgradeOn"], down["retainBy"]) == ("silver", None, None)
    assert history(down) == [("gold", "silver", "DOWNGRADE"), ("base", "gold", "QUALIFIED")]
    changed = [e["payload"] for e in await events(gql) if e["type"] == "tier.changed"]
    assert changed[0] == {"fromTier": "gold", "toTier": "silver", "reason": "DOWNGRADE"}


async def test_earning_the_tier_back_during_grace_cancels_the_downgrade(
    gql: GraphQLClient, ann: str, bus: MessageBus, clock: FixedClock
) -> None:
    await configure_tiers(gql, downgrade="TO_EARNED")
    await award_order(gql, ann, "o-1", "150.00")  # June: silver
    clock.set(at(10, 1))
    await evaluate(bus)
    assert (await tier(gql, ann))["retainBy"] == {"metric": "POINTS", "amount": "100"}
    clock.set(at(10, 5))
    await award_order(gql, ann, "o-2", "67.00")  # x1.5: 100 points
    kept = await tier(gql, ann)
    assert (kept["current"]["key"], kept["downgradeOn"], kept["retainBy"]) == ("silver", None, None)
    clock.set(at(10, 20))
    await evaluate(bus)
    assert history(await tier(gql, ann)) == [("base", "silver", "QUALIFIED")]


async def test_to_earned_goes_straight_to_the_earned_tier(
    gql: GraphQLClient, ann: str, bus: MessageBus, clock: FixedClock
) -> None:
    await configure_tiers(gql, downgrade="TO_EARNED", graceDays=0)
    await award_order(gql, ann, "o-1", "600.00")
    clock.set(at(10, 1))
    await evaluate(bus)
    assert history(await tier(gql, ann))[0] == ("gold", "base", "DOWNGRADE")


async def test_changed_thresholds_wait_for_an_evaluation_or_a_reevaluation(
    gql: GraphQLClient, ann: str, bus: MessageBus
) -> None:
    await configure_tiers(gql)
    await award_order(gql, ann, "o-1", "60.00")
    lower = [TIERS[0], {**TIERS[1], "threshold": "50"}, TIERS[2]]
    configured = await configure_tiers(gql, lower)
    assert configured["takesEffect"] == "NEXT_EVALUATION"
    await evaluate(bus)
    assert (await tier(gql, ann))["current"]["key"] == "base"
    data = await gql.ok(REEVALUATE, {"input": {"reason": "New thresholds"}}, bearer=ADMIN)
    assert data["reevaluateTiers"] == {"takesEffect": "REEVALUATION_QUEUED", "userErrors": []}
    report = await evaluate(bus)
    assert (report.members, report.changed) == (1, 1)
    status = await tier(gql, ann)
    assert status["current"]["key"] == "silver"
    assert status["history"]["edges"][0]["node"]["note"] == "New thresholds"
    assert history(status) == [("base", "silver", "EVALUATION")]
    higher = [TIERS[0], {**TIERS[1], "threshold": "70"}, TIERS[2]]
    configured = await configure_tiers(gql, higher, reevaluate=True)
    assert configured["takesEffect"] == "REEVALUATION_QUEUED"
    await evaluate(bus)
    # A re-evaluation downgrades only after grace, like any other.
    warned = await tier(gql, ann)
    assert (warned["current"]["key"], warned["downgradeOn"]) == ("silver", "2026-06-25")


async def test_an_assigned_tier_holds_until_its_end_date(
    gql: GraphQLClient, ann: str, bus: MessageBus, clock: FixedClock
) -> None:
    await configure_tiers(gql)
    assignment = {"externalId": ann, "tierKey": "gold", "reason": "VIP", "until": "2026-10-15"}
    data = await gql.ok(ASSIGN, {"input": assignment}, bearer=ADMIN)
    assert data["assignTier"]["userErrors"] == []
    assert data["assignTier"]["member"]["tier"] == {
        "current": {"key": "gold"},
        "assigned": True,
        "assignedUntil": "2026-10-15",
    }
    clock.set(at(10, 1))
    await evaluate(bus)
    assert (await tier(gql, ann))["downgradeOn"] is None
    clock.set(at(10, 15))
    await evaluate(bus)
    status = await tier(gql, ann)
    assert status["current"]["key"] == "base"
    edges = [e["node"] for e in status["history"]["edges"]]
    assert [(e["reason"], e["note"], e["actor"]) for e in edges] == [
        ("ASSIGNMENT_ENDED", None, "system"),
        ("ASSIGNED", "VIP", "admin:admin-client"),
    ]


async def test_refusals_are_user_errors(gql: GraphQLClient, ann: str) -> None:
    bad = [{"key": "base", "name": "Base", "threshold": "10"}, {**TIERS[1], "threshold": "5.5"}]
    refused = await configure_tiers(gql, bad, graceDays=400)
    assert refused["configuration"] is None
    assert {(tuple(e["field"]), e["code"]) for e in refused["userErrors"]} == {
        (("input", "tiers", "0", "threshold"), "INVALID_TIERS"),
        (("input", "tiers", "1", "threshold"), "INVALID_TIERS"),
        (("input", "policy", "graceDays"), "INVALID_TIERS"),
    }
    unconfigured = await gql.ok(
        ASSIGN,
        {"input": {"externalId": ann, "tierKey": "gold", "reason": "VIP"}},
        bearer=ADMIN,
    )
    assert unconfigured["assignTier"]["userErrors"][0]["code"] == "TIERS_NOT_CONFIGURED"
    await configure_tiers(gql)
    unknown = await gql.ok(
        ASSIGN,
        {"input": {"externalId": ann, "tierKey": "platinum", "reason": "VIP"}},
        bearer=ADMIN,
    )
    assert unknown["assignTier"]["userErrors"][0]["code"] == "TIER_NOT_FOUND"
