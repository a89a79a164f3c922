"""What counted toward a challenge can be undone: returns of orders and removals of posts, through
GraphQL and the relay's consumer, each undoing once, a completion the member no longer meets
reverted with its reward and badge, and the goal completable again."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from tortoise import connections

from api.composition import build_bus
from api.relay import decode_global_id
from backbone.bus import MessageBus, Registry, WritingConsumer
from domain.clock import FixedClock
from loyalty.challenges import progress
from tests.e2e.challenge_helpers import (
    at,
    challenge,
    completions_recount,
    create_badge,
    join,
    me,
    progress_of,
    relay_all,
    rewind,
    start_relay,
)
from tests.e2e.community_helpers import configure_community, moderate, posted
from tests.e2e.conftest import GraphQLClient, enroll, provision
from tests.e2e.points_helpers import (
    ADMIN,
    assert_ledger_audits_clean,
    award_order,
    balance,
    configure,
    ledger,
    redeem,
    reverse,
)

pytestmark = pytest.mark.e2e

SPEND_200 = {"kind": "MONTHLY_SPEND", "target": "200"}
THREE_REVIEWS = {
    "kind": "COUNT",
    "target": "3",
    "eventType": "community.post_approved",
    "where": [{"field": "kind", "equals": "REVIEW"}],
}
EVENTS = "{ events(first: 100) { edges { node { type payload } } } }"


@pytest.fixture
async def acme(gql: GraphQLClient, bus: MessageBus) -> MessageBus:
    await start_relay(bus)
    await provision(gql)
    for name in ("ann", "bob"):
        await enroll(gql, name)
    return bus


async def _events(gql: GraphQLClient, kind: str) -> list[dict[str, Any]]:
    data = await gql.ok(EVENTS, bearer=ADMIN)
    return [e["node"]["payload"] for e in data["events"]["edges"] if e["node"]["type"] == kind]


def _challenge_points(entries: list[dict[str, Any]]) -> list[int]:
    """The member's CHALLENGE entries, oldest first."""
    return [e["points"] for e in reversed(entries) if e["reasonCode"] == "CHALLENGE"]


async def _state(gql: GraphQLClient, member: str, challenge_id: str) -> tuple[str, bool]:
    shown = await progress_of(gql, member, challenge_id)
    assert shown is not None
    return shown["progress"], shown["completedAt"] is not None


async def _completions(gql: GraphQLClient, challenge_id: str) -> int:
    data = await gql.ok(
        "query($id: ID!) { node(id: $id) { ... on Challenge { completions } } }",
        {"id": challenge_id},
        bearer=ADMIN,
    )
    shown: int = data["node"]["completions"]
    key = decode_global_id(challenge_id, "Challenge")
    assert key is not None
    assert shown == await completions_recount(key)
    return shown


async def test_a_full_return_reverts_the_completion_and_its_reward_once(
    gql: GraphQLClient, acme: MessageBus
) -> None:
    found = await challenge(gql, SPEND_200, name="Big month", rewardPoints=500)
    await award_order(gql, "ann", "o-1", "200.00")
    await relay_all(acme)
    assert await _state(gql, "ann", found["id"]) == ("200", True)
    assert await _completions(gql, found["id"]) == 1

    returned = await reverse(gql, "o-1", "r-1", "200.00")
    assert returned["userErrors"] == [], returned
    await relay_all(acme)
    for _ in range(2):  # every event delivered again: nothing is undone twice
        await rewind()
        await relay_all(acme)
    assert await _state(gql, "ann", found["id"]) == ("0", False)
    assert await _completions(gql, found["id"]) == 0
    assert _challenge_points(await ledger(gql, "ann")) == [500, -500]
    assert (await balance(gql, "ann"))["available"] == 0  # the order's 200 and the reward gone
    assert await _events(gql, "order.returned") == [
        {
            "orderId": "o-1",
            "returnId": "r-1",
            "amount": "200.00",
            "currency": "EUR",
            "fullyReturned": True,
            "pointsReversed": 200,
        }
    ]
    [reverted] = await _events(gql, "challenge.reverted")
    assert reverted["pointsTakenBack"] == 500

    await award_order(gql, "ann", "o-2", "250.00")  # reaching the goal again completes it again
    await relay_all(acme)
    assert await _state(gql, "ann", found["id"]) == ("250", True)
    assert _challenge_points(await ledger(gql, "ann")) == [500, -500, 500]
    assert await _completions(gql, found["id"]) == 1
    await assert_ledger_audits_clean()


async def test_partial_returns_take_their_value_off_until_the_goal_is_missed(
    gql: GraphQLClient, acme: MessageBus
) -> None:
    found = await challenge(gql, SPEND_200, name="Big month", rewardPoints=100)
    await award_order(gql, "ann", "o-1", "300.00")
    await relay_all(acme)
    await reverse(gql, "o-1", "r-1", "50.00")
    await relay_all(acme)
    assert await _state(gql, "ann", found["id"]) == ("250", True)  # still over the goal
    await reverse(gql, "o-1", "r-2", "100.00")
    await relay_all(acme)
    assert await _state(gql, "ann", found["id"]) == ("150", False)
    assert _challenge_points(await ledger(gql, "ann")) == [100, -100]


async def test_a_return_inside_the_window_takes_back_the_still_pending_reward(
    gql: GraphQLClient, acme: MessageBus, clock: FixedClock
) -> None:
    await configure(gql, pendingDays=14)
    found = await challenge(gql, SPEND_200, name="Big month", rewardPoints=500)
    await award_order(gql, "ann", "o-1", "200.00")
    await relay_all(acme)
    assert await _state(gql, "ann", found["id"]) == ("200", True)
    # The reward waits out the order's return window with it.
    shown = await balance(gql, "ann")
    assert (shown["available"], shown["pending"]) == (0, 700)

    clock.set(at(5))
    await reverse(gql, "o-1", "r-1", "200.00")
    await relay_all(acme)
    shown = await balance(gql, "ann")
    assert (shown["available"], shown["pending"], shown["debt"]) == (0, 0, 0)
    clock.set(at(30))  # past the window: nothing of either activates
    shown = await balance(gql, "ann")
    assert (shown["available"], shown["pending"], shown["debt"]) == (0, 0, 0)
    await assert_ledger_audits_clean()


async def test_a_spent_reward_taken_back_becomes_debt(gql: GraphQLClient, acme: MessageBus) -> None:
    await configure(gql, clawbackPolicy="CLAMP_AND_RECORD_DEBT")
    found = await challenge(gql, SPEND_200, name="Big month", rewardPoints=500)
    await award_order(gql, "ann", "o-1", "200.00")
    await relay_all(acme)
    assert (await redeem(gql, "ann", 600))["userErrors"] == []
    await reverse(gql, "o-1", "r-1", "200.00")
    await relay_all(acme)
    assert await _state(gql, "ann", found["id"]) == ("0", False)
    shown = await balance(gql, "ann")
    # 100 left of 700; the order's 200 and the reward's 500 taken back: 600 owed.
    assert (shown["available"], shown["debt"]) == (0, 600)
    await assert_ledger_audits_clean()


async def test_only_orders_that_counted_are_taken_off(
    gql: GraphQLClient, acme: MessageBus, clock: FixedClock
) -> None:
    await award_order(gql, "ann", "o-early", "200.00")  # before the opt-in challenge is joined
    found = await challenge(gql, SPEND_200, name="Opt in", enrolment="OPT_IN", rewardPoints=10)
    assert (await join(gql, "ann", found["id"]))["userErrors"] == []
    await award_order(gql, "ann", "o-1", "200.00")
    await relay_all(acme)
    await reverse(gql, "o-early", "r-1", "200.00")  # counted for nothing: undoes nothing
    await relay_all(acme)
    assert await _state(gql, "ann", found["id"]) == ("200", True)


async def test_a_fully_returned_order_no_longer_counts_as_a_month_with_an_order(
    gql: GraphQLClient, acme: MessageBus, clock: FixedClock
) -> None:
    found = await challenge(gql, {"kind": "DISTINCT_MONTHS", "target": "2"}, name="Two months")
    await award_order(gql, "ann", "o-june", "40.00")
    clock.set(at(20))  # July
    await award_order(gql, "ann", "o-july", "40.00")
    await relay_all(acme)
    assert await _state(gql, "ann", found["id"]) == ("2", True)
    await reverse(gql, "o-july", "r-1", "10.00")  # partly returned: still an order in July
    await relay_all(acme)
    assert await _state(gql, "ann", found["id"]) == ("2", True)
    await reverse(gql, "o-july", "r-2", "30.00")
    await relay_all(acme)
    assert await _state(gql, "ann", found["id"]) == ("1", False)


async def test_removing_a_review_reverts_the_challenge_and_its_badge(
    gql: GraphQLClient, acme: MessageBus
) -> None:
    assert (await configure_community(gql, requiresApproval=True))["userErrors"] == []
    badge = await create_badge(gql)
    found = await challenge(gql, THREE_REVIEWS, name="Critic", badgeId=badge, rewardPoints=50)
    reviews = [await posted(gql, "ann", kind="REVIEW", rating=5, sku="MUG") for _ in range(4)]
    for post in reviews[:3]:
        await moderate(gql, post["id"], "APPROVE")
    await relay_all(acme)
    assert await _state(gql, "ann", found["id"]) == ("3", True)
    assert [b["badge"]["name"] for b in (await me(gql, "ann"))["badges"]] == ["Critic"]

    await moderate(gql, reviews[0]["id"], "REMOVE")
    await moderate(gql, reviews[3]["id"], "REJECT")  # never approved: counted for nothing
    await relay_all(acme)
    await rewind()
    await relay_all(acme)
    assert await _state(gql, "ann", found["id"]) == ("2", False)
    assert (await me(gql, "ann"))["badges"] == []
    [reverted] = await _events(gql, "challenge.reverted")
    assert (reverted["pointsTakenBack"], reverted["badgeId"]) == (
        50,
        decode_global_id(badge, "Badge"),
    )
    assert _challenge_points(await ledger(gql, "ann")) == [50, -50]

    another = await posted(gql, "ann", kind="REVIEW", rating=4, sku="CUP")
    await moderate(gql, another["id"], "APPROVE")
    await relay_all(acme)
    assert await _state(gql, "ann", found["id"]) == ("3", True)
    assert [b["badge"]["name"] for b in (await me(gql, "ann"))["badges"]] == ["Critic"]
    assert await _completions(gql, found["id"]) == 1
    [rows] = await connections.get("default").execute_query_dict(
        "SELECT count(*) AS n FROM member_badge"
    )
    assert rows["n"] == 1


async def test_racing_consumers_revert_each_completion_once(
    gql: GraphQLClient, acme: MessageBus, clock: FixedClock
) -> None:
    # A second consumer running the same handler races the first over the same returns.
    twin = WritingConsumer("challenges.progress.twin", progress.consume)
    racing = build_bus(clock, extra=[Registry(writers=[twin])])
    await start_relay(racing)
    found = await challenge(gql, SPEND_200, name="Big month", rewardPoints=500)
    for name in ("ann", "bob"):
        await award_order(gql, name, f"o-{name}", "200.00")
    await asyncio.gather(relay_all(acme), relay_all(racing, twin.name))
    for name in ("ann", "bob"):
        assert (await reverse(gql, f"o-{name}", "r-1", "200.00"))["userErrors"] == []
    await asyncio.gather(relay_all(acme), relay_all(racing, twin.name), relay_all(acme))
    for name in ("ann", "bob"):
        assert await _state(gql, name, found["id"]) == ("0", False)
        assert _challenge_points(await ledger(gql, name)) == [500, -500]
    assert await _completions(gql, found["id"]) == 0
    assert len(await _events(gql, "challenge.reverted")) == 2
    await assert_ledger_audits_clean()
