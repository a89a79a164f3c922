"""What contributions earn, through GraphQL: an approved post's points by the program's event
rules within the community caps, taken back when it is removed; the helpfulness bonus once;
and review figures that always equal a recount of the approved reviews."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from starlette.applications import Starlette
from tortoise import connections

from domain.clock import FixedClock
from loyalty.community.limits import key_pattern
from tests.e2e.community_helpers import (
    configure_community,
    mine,
    moderate,
    posted,
    react,
    summary,
)
from tests.e2e.conftest import GraphQLClient, enroll, provision
from tests.e2e.points_helpers import ADMIN, balance, configure, ledger, member_token
from tests.e2e.rewards_helpers import create_reward
from tests.e2e.test_events import events

pytestmark = pytest.mark.e2e

RULES = [
    {"name": "community_tip", "points": 30},
    {"name": "community_review", "points": 20},
    {"name": "community_helpful", "points": 100},
]


@pytest.fixture(autouse=True)
async def fresh_limits(app: Starlette) -> None:
    redis = app.state.redis
    async for key in redis.scan_iter(match=key_pattern(str(connections.get("default").database))):
        await redis.delete(key)


@pytest.fixture
async def members(gql: GraphQLClient) -> list[str]:
    await provision(gql)
    await configure(gql, events=RULES)
    names = ["ann", "bob", "cara", "dave"]
    for name in names:
        await enroll(gql, name)
    return names


def community_entries(entries: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return [(e["kind"], e["points"]) for e in entries if e["reasonCode"] == "COMMUNITY"]


async def test_an_approved_post_earns_and_its_removal_takes_the_points_back(
    gql: GraphQLClient, members: list[str]
) -> None:
    await configure_community(gql, requiresApproval=True)
    tip = await posted(gql, "ann")
    assert (await balance(gql, "ann"))["available"] == 0  # pending earns nothing yet
    await moderate(gql, tip["id"], "APPROVE")
    await moderate(gql, tip["id"], "APPROVE")  # again: nothing more
    assert (await balance(gql, "ann"))["available"] == 30
    assert [p["pointsEarned"] for p in await mine(gql, "ann")] == [30]
    removed = await moderate(gql, tip["id"], "REMOVE")
    assert removed["post"]["status"] == "REMOVED"
    assert (await balance(gql, "ann"))["available"] == 0
    entries = await ledger(gql, "ann")
    assert community_entries(entries) == [("REVERSE", -30), ("EARN", 30)]
    assert {e["sourceReference"] for e in entries} == {f"community:{1}"}
    question = await posted(gql, "ann", kind="QUESTION")  # no rule for questions: no points
    await moderate(gql, question["id"], "APPROVE")
    await moderate(gql, question["id"], "REMOVE")
    assert len(community_entries(await ledger(gql, "ann"))) == 2


async def test_spent_points_of_a_removed_post_become_debt(
    gql: GraphQLClient, members: list[str]
) -> None:
    tip = await posted(gql, "ann")
    redeemed = await gql.ok(
        "mutation($i: RedeemPointsInput!) { redeemPoints(input: $i) { userErrors { code } } }",
        {"i": {"externalId": "ann", "points": 25, "reason": "Mug", "idempotencyKey": "r-1"}},
        bearer=ADMIN,
    )
    assert redeemed["redeemPoints"]["userErrors"] == []
    await moderate(gql, tip["id"], "REMOVE")
    found = await balance(gql, "ann")
    assert (found["available"], found["debt"]) == (0, 25)


async def test_the_helpfulness_bonus_is_given_once_per_post(
    gql: GraphQLClient, members: list[str]
) -> None:
    await configure_community(gql, helpfulThreshold=2)
    tip = await posted(gql, "ann")
    await react(gql, "bob", tip["id"])
    assert (await balance(gql, "ann"))["available"] == 30
    await asyncio.gather(react(gql, "cara", tip["id"]), react(gql, "dave", tip["id"]))
    await react(gql, "bob", tip["id"], "LIKE")
    assert (await balance(gql, "ann"))["available"] == 130
    assert len(await events(gql, types=["community.post_helpful"])) == 1
    assert [p["pointsEarned"] for p in await mine(gql, "ann")] == [130]
    await moderate(gql, tip["id"], "REMOVE")
    assert (await balance(gql, "ann"))["available"] == 0
    assert community_entries(await ledger(gql, "ann"))[0] == ("REVERSE", -130)


async def test_contribution_points_stop_at_the_daily_cap(
    gql: GraphQLClient, members: list[str], clock: FixedClock
) -> None:
    await configure_community(gql, dailyPointsCap=50, weeklyPointsCap=80)
    for _ in range(3):
        await posted(gql, "ann")
    assert [p["pointsEarned"] for p in await mine(gql, "ann")] == [0, 20, 30]
    clock.advance(timedelta(days=1))
    await posted(gql, "ann")
    await posted(gql, "ann")
    assert (await balance(gql, "ann"))["available"] == 80  # the week's cap


async def test_review_figures_equal_a_recount_after_a_random_mix(
    gql: GraphQLClient, members: list[str]
) -> None:
    await configure_community(gql, requiresApproval=True)
    reward = (await create_reward(gql))["id"]
    subjects: list[dict[str, Any]] = [{"sku": "A"}, {"sku": "B"}, {"rewardId": reward}]
    draw = random.Random(12)  # noqa: S311 - a reproducible mix, not a secret
    reviews = []
    for n in range(24):
        author = members[n % len(members)]
        subject = draw.choice(subjects)
        rating = draw.randint(1, 5)
        post = await posted(gql, author, kind="REVIEW", rating=rating, **subject)
        reviews.append(post["id"])
    for _ in range(3):  # rounds of decisions, each round's sent at once
        picked = draw.sample(reviews, 10)
        decisions = [draw.choice(["APPROVE", "APPROVE", "REJECT", "REMOVE"]) for _ in picked]
        await asyncio.gather(
            *(moderate(gql, p, d, reason="No") for p, d in zip(picked, decisions, strict=True))
        )
    rows = await connections.get("default").execute_query_dict(
        "SELECT sku, reward_id, count(*) AS n, avg(rating) AS mean FROM community_post"
        " WHERE kind = 'REVIEW' AND status = 'APPROVED' GROUP BY sku, reward_id"
    )
    recount = {(r["sku"], r["reward_id"]): (r["n"], r["mean"]) for r in rows}
    assert recount  # the mix approved some
    for subject in subjects:
        key = (subject.get("sku"), 1 if "rewardId" in subject else None)
        count, mean = recount.get(key, (0, None))
        expected = None if mean is None else str(Decimal(mean).quantize(Decimal("0.01")))
        found = await summary(gql, member_token("bob"), **subject)
        assert found == {"count": count, "averageRating": expected}, subject
    shown = await gql.ok(
        "query($id: ID!) { node(id: $id) { ... on Reward { reviews { count averageRating } } } }",
        {"id": reward},
        bearer=member_token("cara"),
    )
    assert shown["node"]["reviews"] == await summary(gql, rewardId=reward)
