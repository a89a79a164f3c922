"""Challenges and badges through GraphQL, progress made by the relay's consumer from real events
(approved community reviews, orders, redemptions, referrals), each event counted once and each
completion rewarded once, also when events are delivered again or concurrently."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta
from typing import Any

import pytest

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
from tests.e2e.points_helpers import ADMIN, award_manual, award_order, ledger
from tests.e2e.referral_helpers import code_of, configure_referrals, enroll_with
from tests.e2e.rewards_helpers import create_reward, redeem_reward

pytestmark = pytest.mark.e2e

REDEEM_ONE = {"kind": "COUNT", "target": "1", "eventType": "reward.redeemed"}
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


def _reasons(entries: list[dict[str, Any]], code: str) -> list[int]:
    return [entry["points"] for entry in entries if entry["reasonCode"] == code]


async def _types(gql: GraphQLClient) -> list[str]:
    data = await gql.ok(EVENTS, bearer=ADMIN)
    return [edge["node"]["type"] for edge in data["events"]["edges"]]


async def test_three_approved_reviews_complete_once_with_points_and_a_badge(
    gql: GraphQLClient, acme: MessageBus
) -> None:
    assert (await configure_community(gql, requiresApproval=True))["userErrors"] == []
    badge = await create_badge(gql)
    found = await challenge(gql, THREE_REVIEWS, name="Critic", badgeId=badge, rewardPoints=50)
    review = {"kind": "REVIEW", "rating": 5, "sku": "MUG"}
    reviews = [await posted(gql, "ann", **review) for _ in range(4)]
    tip = await posted(gql, "ann", kind="TIP")
    for post in (reviews[0], tip, reviews[1]):
        await moderate(gql, post["id"], "APPROVE")
    await relay_all(acme)  # pending reviews and an approved tip do not count
    shown = await progress_of(gql, "ann", found["id"])
    assert shown is not None
    assert (shown["progress"], shown["target"], shown["completedAt"]) == ("2", "3", None)

    for post in reviews[2:]:  # the fourth completes nothing more, but still counts
        await moderate(gql, post["id"], "APPROVE")
    await relay_all(acme)
    for _ in range(2):  # every event delivered again: nothing changes
        await rewind()
        await relay_all(acme)
    mine = await me(gql, "ann")
    [done] = [c for c in mine["challenges"] if c["challenge"]["id"] == found["id"]]
    # Progress keeps counting past the goal, so a later removal takes off only what no longer
    # stands (here the member would stay done).
    assert done["progress"] == "4"
    assert done["completedAt"] is not None
    assert [b["badge"]["name"] for b in mine["badges"]] == ["Critic"]
    assert mine["badges"][0]["challenge"] == {"name": "Critic"}
    assert _reasons(await ledger(gql, "ann"), "CHALLENGE") == [50]
    types = await _types(gql)
    assert types.count("challenge.completed") == 1
    assert types.count("badge.awarded") == 1
    assert (await progress_of(gql, "bob", found["id"]))["progress"] == "0"  # type: ignore[index]


async def test_redeeming_a_reward_completes_once_even_when_consumers_race(
    gql: GraphQLClient, acme: MessageBus, clock: FixedClock
) -> None:
    # A second consumer running the same handler races the first over the same events.
    twin = WritingConsumer("challenges.progress.twin", progress.consume)
    racing = build_bus(clock, extra=[Registry(writers=[twin])])
    await start_relay(racing)
    found = await challenge(gql, REDEEM_ONE, name="First reward", rewardPoints=30)
    reward = await create_reward(gql, pointsCost=10)
    for name in ("ann", "bob"):
        await award_manual(gql, name, 100)
        assert (await redeem_reward(gql, name, reward["id"]))["userErrors"] == []
    await asyncio.gather(
        relay_all(acme),
        relay_all(racing, twin.name),
        relay_all(acme),  # and the same consumer twice at once: one waits its turn (SKIP LOCKED)
    )
    for name in ("ann", "bob"):
        assert _reasons(await ledger(gql, name), "CHALLENGE") == [30]
        shown = await progress_of(gql, name, found["id"])
        assert shown is not None
        assert shown["completedAt"] is not None
    key = decode_global_id(found["id"], "Challenge")
    assert key is not None
    listed = await gql.ok(
        "{ challenges(first: 10) { edges { node { completions } } } }", bearer=ADMIN
    )
    assert listed["challenges"]["edges"][0]["node"]["completions"] == 2
    assert await completions_recount(key) == 2
    assert (await _types(gql)).count("challenge.completed") == 2


async def test_referring_two_friends_counts_for_the_referrer(
    gql: GraphQLClient, acme: MessageBus
) -> None:
    assert (await configure_referrals(gql))["userErrors"] == []
    goal = {
        **REDEEM_ONE,
        "target": "2",
        "eventType": "referral.converted",
        "countsFor": "referrerId",
    }
    found = await challenge(gql, goal, name="Bring two friends", rewardPoints=70)
    code = await code_of(gql, "ann")
    for friend in ("cat", "dan"):
        await enroll_with(gql, friend, code)
        await award_order(gql, friend, f"o-{friend}", "50.00")
        await relay_all(acme)
    shown = await progress_of(gql, "ann", found["id"])
    assert shown is not None
    assert (shown["progress"], shown["completedAt"] is not None) == ("2", True)
    assert _reasons(await ledger(gql, "ann"), "CHALLENGE") == [70]
    # The referees are the events' members, yet the goal counts for the referrer only.
    assert (await progress_of(gql, "cat", found["id"]))["progress"] == "0"  # type: ignore[index]


async def test_buying_in_three_months_counts_months_in_the_programs_time_zone(
    gql: GraphQLClient, acme: MessageBus, clock: FixedClock
) -> None:
    goal = {"kind": "DISTINCT_MONTHS", "target": "3"}
    found = await challenge(gql, goal, name="Three months")
    for n, days in enumerate((0, 1, 20, 25)):  # June, June, July (07-05), July
        clock.set(at(days))
        await award_order(gql, "ann", f"o-{n}", "10.00")
    await relay_all(acme)
    assert (await progress_of(gql, "ann", found["id"]))["progress"] == "2"  # type: ignore[index]
    clock.set(at(50))  # August
    await award_order(gql, "ann", "o-aug", "10.00")
    await relay_all(acme)
    shown = await progress_of(gql, "ann", found["id"])
    assert shown is not None
    assert (shown["progress"], shown["completedAt"] is not None) == ("3", True)


async def test_spending_200_in_one_month_sums_order_totals_of_that_month(
    gql: GraphQLClient, acme: MessageBus, clock: FixedClock
) -> None:
    found = await challenge(gql, {"kind": "MONTHLY_SPEND", "target": "200"}, name="Big month")
    await award_order(gql, "ann", "o-1", "150.00")  # June
    clock.set(at(20))  # July
    await award_order(gql, "ann", "o-2", "120.00")
    await relay_all(acme)
    shown = await progress_of(gql, "ann", found["id"])
    assert (shown["progress"], shown["completedAt"]) == ("150", None)  # type: ignore[index]
    await award_order(gql, "ann", "o-3", "80.50")
    await relay_all(acme)
    shown = await progress_of(gql, "ann", found["id"])
    assert shown is not None
    assert (shown["progress"], shown["completedAt"] is not None) == ("200.5", True)


async def test_only_events_inside_the_window_of_an_active_challenge_count(
    gql: GraphQLClient, acme: MessageBus, clock: FixedClock
) -> None:
    window = {"startsAt": at(10).isoformat(), "endsAt": at(20).isoformat()}
    found = await challenge(gql, {**REDEEM_ONE, "target": "5"}, **window)
    await award_manual(gql, "ann", 1000)
    reward = await create_reward(gql, pointsCost=10)

    async def redeem_at(days: int) -> None:
        clock.set(at(days))
        assert (await redeem_reward(gql, "ann", reward["id"]))["userErrors"] == []

    for days in (5, 12, 15, 25):  # before, inside, inside, after
        await redeem_at(days)
    await relay_all(acme)
    shown = await progress_of(gql, "ann", found["id"])
    assert shown is not None
    assert shown["progress"] == "2"
    update = """mutation($input: UpdateChallengeInput!) { updateChallenge(input: $input) {
      challenge { active } userErrors { code } } }"""
    data = await gql.ok(update, {"input": {"id": found["id"], "active": False}}, bearer=ADMIN)
    assert data["updateChallenge"] == {"challenge": {"active": False}, "userErrors": []}
    await redeem_at(16)  # deactivated: no longer counts
    await relay_all(acme)
    assert (await progress_of(gql, "ann", found["id"]))["progress"] == "2"  # type: ignore[index]


async def test_opt_in_counts_only_members_who_joined_from_when_they_joined(
    gql: GraphQLClient, acme: MessageBus, clock: FixedClock
) -> None:
    found = await challenge(gql, {**REDEEM_ONE, "target": "2"}, enrolment="OPT_IN")
    reward = await create_reward(gql, pointsCost=10)
    for name in ("ann", "bob"):
        await award_manual(gql, name, 100)
        await redeem_reward(gql, name, reward["id"])  # before joining: not counted
    assert await progress_of(gql, "ann", found["id"]) is None  # not listed until joined
    clock.advance(timedelta(minutes=1))
    assert (await join(gql, "ann", found["id"]))["userErrors"] == []
    assert (await join(gql, "ann", found["id"]))["userErrors"] == []  # again: nothing changes
    clock.advance(timedelta(minutes=1))
    for name in ("ann", "bob"):
        await redeem_reward(gql, name, reward["id"])
        await redeem_reward(gql, name, reward["id"])
    await relay_all(acme)
    shown = await progress_of(gql, "ann", found["id"])
    assert shown is not None
    assert (shown["progress"], shown["completedAt"] is not None) == ("2", True)
    assert await progress_of(gql, "bob", found["id"]) is None
    assert (await _types(gql)).count("challenge.joined") == 1


async def test_completions_equal_a_recount_after_a_random_mix(
    gql: GraphQLClient, acme: MessageBus
) -> None:
    rng = random.Random(12)  # noqa: S311 - a reproducible mix, not a secret
    names = [f"m{n}" for n in range(8)]
    for name in names:
        await enroll(gql, name)
    found = await challenge(gql, {"kind": "MONTHLY_SPEND", "target": "100"})
    counted = await challenge(gql, {**REDEEM_ONE, "eventType": "points.earned", "target": "3"})
    for n in range(40):
        await award_order(gql, rng.choice(names), f"o-{n}", f"{rng.randint(5, 60)}.00")
        if n % 10 == 9:
            await relay_all(acme)
    await relay_all(acme)
    await rewind()
    await relay_all(acme)
    listed = await gql.ok(
        "{ challenges(first: 10) { edges { node { id completions } } } }", bearer=ADMIN
    )
    for edge in listed["challenges"]["edges"]:
        key = decode_global_id(edge["node"]["id"], "Challenge")
        assert key is not None
        assert edge["node"]["completions"] == await completions_recount(key)
    assert {found["id"], counted["id"]} == {e["node"]["id"] for e in listed["challenges"]["edges"]}
