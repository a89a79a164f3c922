"""Experiment results through GraphQL: deterministic, balanced assignment on 10,000 members
through the delivery job, and per-arm results that match a recount from the raw rows."""

from __future__ import annotations

import math
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from typing import Any

from tortoise import connections

from backbone.bus import MessageBus
from domain.clock import FixedClock
from domain.experiments import HOLDOUT, Arm, assign
from tests.conftest import START
from tests.e2e.campaign_helpers import deliver, running
from tests.e2e.conftest import GraphQLClient, provision
from tests.e2e.points_helpers import ADMIN, award_order, reverse

DAY = timedelta(days=1)
RESULTS = """query($id: ID!) { campaign(id: $id) { deliveryCounts { status count }
  results { conversionWindowDays confidence minimumMembers arms { arm holdout membersExposed
    conversions conversionRate pointsIssued revenue { amount currency }
    vsHoldout { difference interval { low high } significance } } } } }"""
_MEMBERS = """
WITH added AS (
  INSERT INTO member (program_id, external_id, email, display_name, locale, status, created_at,
    updated_at)
  SELECT p.id, 'm' || g, 'm' || g || '@example.com', 'Member ' || g, p.default_locale, 'ACTIVE',
    $2, $2
  FROM program p CROSS JOIN generate_series(1, $3) g WHERE p.key = $1
  RETURNING id, program_id
)
INSERT INTO points_balance (member_id, program_id, available, pending, debt, lifetime_earned,
  held, updated_at)
SELECT id, program_id, 0, 0, 0, 0, 0, $2 FROM added
"""
_ARMS = """
SELECT d.member_id, d.arm, min(d.created_at) AS at, m.external_id FROM campaign_delivery d
JOIN member m ON m.id = d.member_id WHERE d.campaign_id = $1
  AND d.status IN ('SENT', 'OFFERED', 'HELD_OUT')
GROUP BY d.member_id, d.arm, m.external_id
"""
_ORDERS = "SELECT member_id, total, returned_total, created_at FROM points_order"
_EARNED = "SELECT member_id, points, created_at FROM points_entry WHERE kind = 'EARN'"


async def members(n: int) -> None:
    """`n` active members m1..mn, written in one statement (enrolling 10,000 over HTTP would
    test enrolment, not assignment)."""
    await connections.get("default").execute_query(_MEMBERS, ["acme", START, n])


async def results(gql: GraphQLClient, campaign_id: str) -> dict[str, Any]:
    data = await gql.ok(RESULTS, {"id": campaign_id}, bearer=ADMIN)
    found: dict[str, Any] = data["campaign"]
    return found


def _pk(global_id: str) -> int:
    from strawberry import relay

    return int(relay.GlobalID.from_id(global_id).node_id)


async def test_assignment_is_deterministic_and_balanced_on_10000_members(
    gql: GraphQLClient, bus: MessageBus
) -> None:
    await provision(gql)
    n, holdout = 10_000, 10
    await members(n)
    arms = [{"key": "a", "weight": 1}, {"key": "b", "weight": 3}]
    campaign = await running(
        gql, name="split", message=None, arms=arms, holdoutPercent=holdout,
        offer={"kind": "POINTS_MULTIPLIER", "multiplier": "2", "endsAt": "2026-07-15T12:00:00Z"},
    )  # fmt: skip
    await deliver(bus)
    first = await results(gql, campaign["id"])
    # A second run decides nobody again, and promptly: the first refreshed the statistics of
    # its 10,000 new deliveries, without which the planner would plan for an empty table.
    await deliver(bus)
    second = await results(gql, campaign["id"])
    assert first == second
    counts = {arm["arm"]: arm["membersExposed"] for arm in first["results"]["arms"]}
    assert sum(counts.values()) == n
    assert {row["status"]: row["count"] for row in first["deliveryCounts"]} == {
        "OFFERED": counts["a"] + counts["b"], "HELD_OUT": counts[HOLDOUT],
    }  # fmt: skip
    # Each share within 4 binomial standard deviations of what the weights ask for.
    shares = {HOLDOUT: 0.1, "a": 0.9 * 1 / 4, "b": 0.9 * 3 / 4}
    for arm, share in shares.items():
        sigma = math.sqrt(n * share * (1 - share))
        assert abs(counts[arm] - n * share) <= 4 * sigma, (arm, counts[arm])
    # The same arm on recompute: every stored arm is what assign() gives for the member now.
    rows = await connections.get("default").execute_query_dict(_ARMS, [_pk(campaign["id"])])
    domain_arms = [Arm("a", 1), Arm("b", 3)]
    campaign_pk = _pk(campaign["id"])
    assert all(
        row["arm"] == assign(campaign_pk, row["member_id"], domain_arms, holdout) for row in rows
    )
    assert Counter(row["arm"] for row in rows) == Counter(counts)


async def test_results_match_a_recount_from_the_raw_rows(
    gql: GraphQLClient, bus: MessageBus, clock: FixedClock
) -> None:
    await provision(gql)
    await members(120)
    campaign = await running(
        gql, name="test", message=None, holdoutPercent=30, conversionWindowDays=7,
        arms=[{"key": "a", "weight": 1}, {"key": "b", "weight": 1}],
        offer={"kind": "POINTS_MULTIPLIER", "multiplier": "2", "endsAt": "2026-07-15T12:00:00Z"},
    )  # fmt: skip
    await award_order(gql, "m1", "before", "50.00")  # before the exposure: not a conversion
    clock.set(START + DAY)
    await deliver(bus)
    # Orders at different times after the exposure: inside the window, at its edge, after it.
    for i in range(1, 121, 3):
        clock.set(START + DAY + timedelta(days=i % 10, hours=1))
        await award_order(gql, f"m{i}", f"o-{i}", f"{i}.50")
    clock.set(START + 12 * DAY)
    await reverse(gql, "o-1", "r-1", "0.50")
    await reverse(gql, "o-4", "r-4", "4.50")

    found = (await results(gql, campaign["id"]))["results"]
    assert found["conversionWindowDays"] == 7
    assert [arm["arm"] for arm in found["arms"]] == ["a", "b", HOLDOUT]
    recount = await _recount(_pk(campaign["id"]), window=timedelta(days=7))
    for arm in found["arms"]:
        expected = recount[arm["arm"]]
        assert (arm["membersExposed"], arm["conversions"]) == (
            expected["members"], expected["conversions"],
        ), arm["arm"]  # fmt: skip
        assert arm["pointsIssued"] == expected["points"], arm["arm"]
        assert Decimal(arm["revenue"]["amount"]) == expected["revenue"], arm["arm"]
        assert arm["revenue"]["currency"] == "EUR"
        assert arm["conversionRate"] == expected["conversions"] / expected["members"]
    assert sum(arm["conversions"] for arm in found["arms"]) > 0
    holdout = found["arms"][2]
    assert holdout["holdout"] is True
    assert holdout["vsHoldout"] is None
    for arm in found["arms"][:2]:
        comparison = arm["vsHoldout"]
        rate = arm["conversionRate"] - holdout["conversionRate"]
        assert math.isclose(comparison["difference"], rate)
        assert comparison["interval"]["low"] <= comparison["difference"]
        assert comparison["difference"] <= comparison["interval"]["high"]


async def _recount(campaign_id: int, *, window: timedelta) -> dict[str, dict[str, Any]]:
    """The results' definitions applied in Python to the rows as stored."""
    connection = connections.get("default")
    exposed = await connection.execute_query_dict(_ARMS, [campaign_id])
    orders = await connection.execute_query_dict(_ORDERS)
    earned = await connection.execute_query_dict(_EARNED)
    tally: dict[str, dict[str, Any]] = {}
    for member in exposed:
        start, end = member["at"], member["at"] + window
        inside = [
            o for o in orders if o["member_id"] == member["member_id"]
            and start < o["created_at"] <= end
        ]  # fmt: skip
        points = sum(
            e["points"] for e in earned
            if e["member_id"] == member["member_id"] and start <= e["created_at"] <= end
        )  # fmt: skip
        arm = tally.setdefault(
            member["arm"], {"members": 0, "conversions": 0, "points": 0, "revenue": Decimal(0)}
        )
        arm["members"] += 1
        arm["conversions"] += bool(inside)
        arm["points"] += points
        arm["revenue"] += sum((o["total"] - o["returned_total"] for o in inside), Decimal(0))
    return tally


async def test_small_samples_are_not_yet_significant_and_no_holdout_says_so(
    gql: GraphQLClient, bus: MessageBus, clock: FixedClock
) -> None:
    await provision(gql)
    await members(12)
    small = await running(
        gql, name="small", message=None, holdoutPercent=50,
        offer={"kind": "GIFT", "points": 5},
    )  # fmt: skip
    plain = await running(
        gql, name="plain", message=None,
        offer={"kind": "POINTS_MULTIPLIER", "multiplier": "2", "endsAt": "2026-07-15T12:00:00Z"},
    )  # fmt: skip
    await deliver(bus)
    clock.set(START + DAY)
    found = (await results(gql, small["id"]))["results"]
    assert found["minimumMembers"] == 30
    [default, holdout] = found["arms"]
    assert default["arm"] == "default"
    assert default["membersExposed"] + holdout["membersExposed"] == 12
    # Only the reached members got the gift: the arm's points issued, none for the holdout.
    assert default["pointsIssued"] == 5 * default["membersExposed"]
    assert holdout["pointsIssued"] == 0
    assert default["vsHoldout"]["significance"] == "NOT_YET_SIGNIFICANT"
    [everyone, nobody] = (await results(gql, plain["id"]))["results"]["arms"]
    assert (everyone["membersExposed"], nobody["membersExposed"]) == (12, 0)
    assert everyone["vsHoldout"] == {"difference": None, "interval": None,
                                     "significance": "NO_HOLDOUT"}  # fmt: skip
