"""The community through GraphQL: posting and moderation, who sees what, reactions once per
member (also when doubled concurrently), reports into the moderation queue, and abuse limits
with retry-after."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from starlette.applications import Starlette
from tortoise import connections

from loyalty.community.limits import key_pattern
from tests.e2e.community_helpers import (
    configure_community,
    create_post,
    feed,
    mine,
    moderate,
    posted,
    queue,
    react,
    report,
)
from tests.e2e.conftest import GraphQLClient, enroll, provision
from tests.e2e.points_helpers import ADMIN, STORE, errors, member_token
from tests.e2e.privacy_helpers import erase, exported
from tests.e2e.test_events import events
from tests.e2e.test_query_counts import _queries

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
async def fresh_limits(app: Starlette) -> None:
    """Abuse limits count in Redis, which outlives the emptied tables: each test starts at 0."""
    redis = app.state.redis
    pattern = key_pattern(str(connections.get("default").database))
    async for key in redis.scan_iter(match=pattern):
        await redis.delete(key)


@pytest.fixture
async def members(gql: GraphQLClient) -> list[str]:
    await provision(gql)
    names = ["ann", "bob", "cara", "dave"]
    for name in names:
        await enroll(gql, name)
    return names


def kinds(found: list[dict[str, Any]], prefix: str = "community.") -> list[str]:
    return sorted(e["type"] for e in found if e["type"].startswith(prefix))


async def test_posts_wait_for_moderation_and_only_approved_ones_are_shown(
    gql: GraphQLClient, members: list[str]
) -> None:
    payload = await configure_community(gql, requiresApproval=True)
    assert payload["userErrors"] == [], payload
    tip = await posted(gql, "ann", kind="TIP", body="Order on Tuesdays:\nfree shipping.")
    assert tip["status"] == "PENDING"
    assert tip["body"] == "Order on Tuesdays:\nfree shipping."
    assert await feed(gql, member_token("bob")) == []
    assert [p["status"] for p in await mine(gql, "ann")] == ["PENDING"]
    assert [p["id"] for p in await queue(gql)] == [tip["id"]]

    refused = await moderate(gql, tip["id"], "REJECT")
    assert errors(refused) == ["INVALID_REASON"]
    rejected = await moderate(gql, tip["id"], "REJECT", reason="Off topic")
    assert rejected["post"]["status"] == "REJECTED"
    [own] = await mine(gql, "ann")
    assert (own["status"], own["rejectReason"]) == ("REJECTED", "Off topic")
    assert await queue(gql) == []
    assert errors(await moderate(gql, tip["id"], "REJECT", reason="Again")) == []

    question = await posted(gql, "ann", kind="QUESTION", body="Which size?")
    approved = await moderate(gql, question["id"], "APPROVE")
    assert approved["post"]["status"] == "APPROVED"
    [shown] = await feed(gql, member_token("bob"))
    assert shown["id"] == question["id"]
    assert shown["author"] == {"displayName": "Ann"}
    assert "@example.com" not in json.dumps(shown)  # display names only, never contact data
    assert (shown["rejectReason"], shown["openReports"], shown["pointsEarned"]) == (
        None,
        None,
        None,
    )
    assert await feed(gql, STORE, kind="TIP") == []

    answer = await posted(gql, "bob", kind="ANSWER", questionId=question["id"], body="M.")
    assert answer["questionId"] == question["id"]
    removed = await moderate(gql, question["id"], "REMOVE")
    assert removed["post"]["status"] == "REMOVED"
    assert errors(await moderate(gql, question["id"], "APPROVE")) == ["INVALID_MODERATION"]
    assert await feed(gql, member_token("cara"), kind="QUESTION") == []
    assert kinds(await events(gql)) == sorted(
        ["community.post_created"] * 3
        + ["community.post_rejected", "community.post_approved", "community.post_removed"]
    )


async def test_posts_are_checked_before_anything_is_written(
    gql: GraphQLClient, members: list[str]
) -> None:
    review = await create_post(gql, "ann", kind="REVIEW", rating=6, body=" ")
    assert sorted(e["field"][-1] for e in review["userErrors"]) == ["body", "rating", "sku"]
    assert {e["code"] for e in review["userErrors"]} == {"INVALID_POST"}
    tip = await create_post(gql, "ann", kind="TIP", rating=3, title="x" * 151)
    assert sorted(e["field"][-1] for e in tip["userErrors"]) == ["rating", "title"]
    orphan = await create_post(gql, "ann", kind="ANSWER", questionId="Q29tbXVuaXR5UG9zdDo5OQ==")
    assert errors(orphan) == ["POST_NOT_FOUND"]
    assert await mine(gql, "ann") == []
    key = "same-key"
    first = await posted(gql, "ann", kind="TIP", idempotencyKey=key)
    again = await posted(gql, "ann", kind="TIP", idempotencyKey=key)
    assert again["id"] == first["id"]
    other = await create_post(gql, "ann", kind="TIP", idempotencyKey=key, body="Else")
    assert errors(other) == ["IDEMPOTENCY_KEY_REUSED"]
    assert len(await mine(gql, "ann")) == 1


async def test_one_reaction_of_each_kind_per_member_even_when_sent_at_once(
    gql: GraphQLClient, members: list[str]
) -> None:
    tip = await posted(gql, "ann")
    answers = await asyncio.gather(*(react(gql, "bob", tip["id"]) for _ in range(6)))
    assert [a["userErrors"] for a in answers] == [[]] * 6
    assert sorted(a["added"] for a in answers) == [False] * 5 + [True]
    liked = await react(gql, "bob", tip["id"], "LIKE")
    assert liked["added"] is True
    assert (liked["post"]["helpfulCount"], liked["post"]["likeCount"]) == (1, 1)
    assert errors(await react(gql, "ann", tip["id"])) == ["OWN_POST"]
    found = await events(gql, types=["community.reaction_added"])
    assert len(found) == 2
    assert {e["payload"]["authorId"] for e in found} == {1}


async def test_reports_queue_the_post_until_an_admin_decides(
    gql: GraphQLClient, members: list[str]
) -> None:
    tip = await posted(gql, "ann")
    assert (await report(gql, "bob", tip["id"], "Spam"))["reported"] is True
    assert (await report(gql, "bob", tip["id"], "Spam"))["reported"] is False
    assert (await report(gql, "cara", tip["id"]))["reported"] is True
    [queued] = await queue(gql)
    assert (queued["id"], queued["status"], queued["openReports"]) == (tip["id"], "APPROVED", 2)
    kept = await moderate(gql, tip["id"], "APPROVE")
    assert kept["post"]["openReports"] == 0
    assert await queue(gql) == []
    assert len(await feed(gql, member_token("dave"))) == 1
    assert len(await events(gql, types=["community.post_reported"])) == 2


async def test_abuse_limits_answer_rate_limited_with_the_seconds_to_wait(
    gql: GraphQLClient, members: list[str]
) -> None:
    payload = await configure_community(gql, postsPerDay=2, reactionsPerHour=1, reportsPerDay=1)
    assert payload["userErrors"] == [], payload
    first = await posted(gql, "ann")
    await posted(gql, "ann")
    limited = await create_post(gql, "ann")
    assert errors(limited) == ["RATE_LIMITED"]
    wait = limited["retryAfterSeconds"]
    assert 0 < wait <= 86_400
    assert f"retry in {wait} seconds" in limited["userErrors"][0]["message"]
    assert len(await mine(gql, "ann")) == 2
    assert (await create_post(gql, "bob"))["userErrors"] == []  # per member

    assert (await react(gql, "bob", first["id"]))["added"] is True
    reacted = await react(gql, "bob", first["id"], "LIKE")
    assert errors(reacted) == ["RATE_LIMITED"]
    assert 0 < reacted["retryAfterSeconds"] <= 3_600
    assert (await report(gql, "cara", first["id"]))["reported"] is True
    reported = await report(gql, "cara", first["id"])
    assert errors(reported) == ["RATE_LIMITED"]
    settings = await configure_community(gql, postsPerDay=0)
    assert errors(settings) == ["INVALID_COMMUNITY_CONFIG"]


async def test_only_admins_moderate_and_only_members_post(
    gql: GraphQLClient, members: list[str]
) -> None:
    tip = await posted(gql, "ann")
    body = await gql.post(
        "mutation($i: ModeratePostInput!) { moderatePost(input: $i) { userErrors { code } } }",
        {"i": {"postId": tip["id"], "decision": "REMOVE"}},
        bearer=member_token("bob"),
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await gql.post("{ moderationQueue(first: 5) { edges { cursor } } }", bearer=STORE)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    node = await gql.ok(
        "query($id: ID!) { node(id: $id) { ... on CommunityPost { status } } }",
        {"id": tip["id"]},
        bearer=ADMIN,
    )
    assert node["node"] == {"status": "APPROVED"}


async def test_an_erased_author_is_anonymised_and_an_export_holds_its_posts(
    gql: GraphQLClient, members: list[str]
) -> None:
    tip = await posted(gql, "ann", body="Ask for Maria at the desk.")
    await react(gql, "ann", (await posted(gql, "bob"))["id"], "LIKE")
    assert (await report(gql, "bob", tip["id"], "Names a person"))["reported"] is True
    document = await exported(gql, member_token("ann"))
    community = document["community"]
    assert [p["body"] for p in community["posts"]] == ["Ask for Maria at the desk."]
    assert [r["kind"] for r in community["reactions"]] == ["LIKE"]
    assert (await exported(gql, member_token("bob")))["community"]["reports"][0]["reason"] == (
        "Names a person"
    )
    assert (await erase(gql, externalId="ann"))["userErrors"] == []
    assert (await erase(gql, externalId="bob"))["userErrors"] == []
    shown = {p["id"]: p["author"] for p in await feed(gql, member_token("cara"))}
    assert shown[tip["id"]] == {"displayName": None}
    assert len(shown) == 2
    [queued] = await queue(gql)
    assert queued["author"] == {"displayName": None}
    rows = await connections.get("default").execute_query_dict(
        "SELECT reason FROM community_report"
    )
    assert rows == [{"reason": None}]


async def test_a_feed_page_costs_the_same_queries_for_one_post_or_thirty(
    gql: GraphQLClient, members: list[str]
) -> None:
    await configure_community(gql, postsPerDay=100)
    document = "{ communityFeed(first: 100) { edges { node { id body author { displayName } } } } }"
    await posted(gql, "ann")
    one = await _queries(gql, document, member_token("bob"))
    for n in range(29):
        await posted(gql, members[n % len(members)])
    assert one <= 2  # the program, then the page with its authors
    assert await _queries(gql, document, member_token("bob")) == one
