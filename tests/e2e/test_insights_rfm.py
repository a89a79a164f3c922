"""RFM scores through GraphQL: a hand-built history of orders at moved clock times, the daily
job, and the exact quintile scores of loyalty/insights/rfm.py (1 + floor(5 W / N), W the
scored members with a strictly worse value); consent checked by the job and at read time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backbone.bus import MessageBus
from domain.clock import FixedClock
from tests.conftest import START
from tests.e2e.conftest import GraphQLClient, enroll, provision
from tests.e2e.insights_helpers import ADMIN, RFM, order_at, run_rfm_job, set_profiling
from tests.e2e.points_helpers import member_token, reverse

pytestmark = pytest.mark.e2e

ME = f"{{ me {{ rfm {{ {RFM} }} }} }}"
BY_ID = f"query($id: String!) {{ memberByExternalId(externalId: $id) {{ rfm {{ {RFM} }} }} }}"
SCORED = ("ann", "bob", "cat", "dan", "fay")


async def _history(gql: GraphQLClient, clock: FixedClock) -> None:
    """Five consenting members and eve, who does not consent; the job runs on day 30."""
    await provision(gql)
    for who in (*SCORED, "eve"):
        await enroll(gql, who)
    for who in SCORED:
        await set_profiling(gql, who, True)
    await order_at(gql, clock, "ann", "a1", "100.00", 0)
    await order_at(gql, clock, "cat", "c1", "20.00", 0)
    await order_at(gql, clock, "dan", "d1", "40.00", 1)
    await order_at(gql, clock, "cat", "c2", "20.00", 2)
    await order_at(gql, clock, "bob", "b1", "300.00", 5)
    await order_at(gql, clock, "ann", "a2", "50.00", 10)
    await order_at(gql, clock, "cat", "c3", "20.00", 20)
    await order_at(gql, clock, "dan", "d2", "100.00", 20)
    await order_at(gql, clock, "eve", "e1", "1000.00", 20)
    # Returns: part of ann's first order (it still counts, for 70), all of dan's second.
    clock.set(START + timedelta(days=21))
    assert (await reverse(gql, "a1", "r1", "30.00"))["userErrors"] == []
    assert (await reverse(gql, "d2", "r2", "100.00"))["userErrors"] == []
    for index, days in enumerate((27, 28, 29, 29.5)):
        await order_at(gql, clock, "fay", f"f{index}", "200.00", days)
    clock.set(START + timedelta(days=30))


async def _scores(gql: GraphQLClient, who: str) -> dict[str, object] | None:
    data = await gql.ok(ME, bearer=member_token(who))
    found: dict[str, object] | None = data["me"]["rfm"]
    return found


async def test_scores_are_exact_quintiles_of_a_hand_built_history(
    gql: GraphQLClient, clock: FixedClock, bus: MessageBus
) -> None:
    await _history(gql, clock)
    report = await run_rfm_job(bus)
    assert (report.scored, report.removed) == (5, 0)
    found = {who: await _scores(gql, who) for who in SCORED}
    facts = {
        who: (s["recencyDays"], s["frequency"], s["monetary"])
        for who, s in found.items()
        if s is not None
    }
    assert facts == {
        "ann": (20, 2, "120.0000"),
        "bob": (25, 1, "300.0000"),
        "cat": (10, 3, "60.0000"),
        "dan": (29, 1, "40.0000"),  # the fully returned order does not count
        "fay": (0, 4, "800.0000"),
    }
    # N = 5: a score is 1 + the number of members with a strictly worse value.
    scores = {
        who: (s["recencyScore"], s["frequencyScore"], s["monetaryScore"])
        for who, s in found.items()
        if s is not None
    }
    assert scores == {
        "fay": (5, 5, 5),
        "cat": (4, 4, 2),
        "ann": (3, 3, 3),
        "bob": (2, 1, 4),  # one order, like dan: equal values, equal scores
        "dan": (1, 1, 1),
    }
    ann = found["ann"]
    assert ann is not None
    assert ann["computedAt"] == "2026-07-15T12:00:00+00:00"
    usage = await gql.ok(
        "{ me { dataUsage(first: 20) { edges { node { purpose usedBy reason } } } } }",
        bearer=member_token("ann"),
    )
    uses = [edge["node"] for edge in usage["me"]["dataUsage"]["edges"]]
    assert {"purpose": "profiling", "usedBy": "the program's insights.segments",
            "reason": "RFM scores read by member"} in uses  # fmt: skip


async def test_scores_spread_over_one_to_five_with_ties_for_more_members(
    gql: GraphQLClient, clock: FixedClock, bus: MessageBus
) -> None:
    """Ten members, spends 10..100 with two at 50: 1 + floor(5 W / 10)."""
    await provision(gql)
    names = [f"m{index}" for index in range(10)]
    spends = [10, 20, 30, 40, 50, 50, 70, 80, 90, 100]
    for name, spend in zip(names, spends, strict=True):
        await enroll(gql, name)
        await set_profiling(gql, name, True)
        await order_at(gql, clock, name, f"o-{name}", f"{spend}.00", 0)
    clock.set(START + timedelta(days=3))
    await run_rfm_job(bus)
    monetary = []
    for name in names:
        found = await _scores(gql, name)
        assert found is not None
        monetary.append(found["monetaryScore"])
    # W = 0,1,2,3,4,4,6,7,8,9 -> floor(5W/10) = 0,0,1,1,2,2,3,3,4,4
    assert monetary == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


async def test_without_profiling_consent_no_scores_and_withdrawal_removes_them(
    gql: GraphQLClient, clock: FixedClock, bus: MessageBus
) -> None:
    await _history(gql, clock)
    await run_rfm_job(bus)
    assert await _scores(gql, "eve") is None
    data = await gql.ok(BY_ID, {"id": "eve"}, bearer=ADMIN)
    assert data["memberByExternalId"]["rfm"] is None
    data = await gql.ok(BY_ID, {"id": "fay"}, bearer=ADMIN)
    assert data["memberByExternalId"]["rfm"]["recencyScore"] == 5
    # Read-time check: gone at once, before the job runs again.
    await set_profiling(gql, "fay", False)
    assert await _scores(gql, "fay") is None
    data = await gql.ok(BY_ID, {"id": "fay"}, bearer=ADMIN)
    assert data["memberByExternalId"]["rfm"] is None
    # The withdrawal deleted her row at once; the job rescores the rest without her (N = 4).
    report = await run_rfm_job(bus)
    assert (report.scored, report.removed) == (4, 0)
    await set_profiling(gql, "fay", True)
    assert await _scores(gql, "fay") is None  # no row until the job scores her again
    cat = await _scores(gql, "cat")
    assert cat is not None
    assert (cat["recencyScore"], cat["frequencyScore"], cat["monetaryScore"]) == (4, 4, 2)


async def test_another_member_cannot_read_scores(
    gql: GraphQLClient, clock: FixedClock, bus: MessageBus
) -> None:
    await _history(gql, clock)
    await run_rfm_job(bus)
    body = await gql.post(BY_ID, {"id": "ann"}, bearer=member_token("bob"))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    other = await gql.ok(
        "{ programs: members(first: 1) { edges { node { rfm { recencyScore } } } } }",
        bearer=ADMIN,
    )
    assert other["programs"]["edges"][0]["node"]["rfm"]["recencyScore"] == 3  # ann, first
