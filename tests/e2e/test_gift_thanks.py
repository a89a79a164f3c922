"""THANK_YOU gifts for the community's approved reviews (community.post_approved, kind REVIEW),
once per post, through the relay consumer and the gift job; undone when the post is removed or
rejected; never for the ledger's or the gifts' own events."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from tortoise import connections

from backbone.bus import MessageBus
from backbone.jobs import run_now
from loyalty.community.limits import key_pattern
from tests.e2e.community_helpers import configure_community, moderate, posted
from tests.e2e.conftest import GraphQLClient, provision
from tests.e2e.gift_helpers import (
    GIFTS,
    configure_gift,
    enroll,
    events_of,
    gift_entries,
    given,
    registered_consumer,
    relay_all,
    relay_and_give,
)
from tests.e2e.points_helpers import ADMIN

pytestmark = pytest.mark.e2e

SETTINGS = "{ gifts { triggerEventType points budgetPoints } }"


@pytest.fixture(autouse=True)
async def fresh_limits(app: Starlette) -> None:
    """Abuse limits count in Redis, which outlives the emptied tables: each test starts at 0."""
    redis = app.state.redis
    async for key in redis.scan_iter(match=key_pattern(str(connections.get("default").database))):
        await redis.delete(key)


async def test_an_approved_review_is_thanked_once_and_other_posts_are_not(
    gql: GraphQLClient, bus: MessageBus
) -> None:
    await provision(gql)
    consumer = await registered_consumer(bus)
    configured = await configure_gift(gql, kind="THANK_YOU", points=25, budgetPoints=1_000)
    gift = configured["gift"]
    assert (gift["triggerEventType"], gift["triggerPostKind"]) == (
        "community.post_approved",
        "REVIEW",
    )
    await configure_community(gql, requiresApproval=True)
    await enroll(gql, "ann")
    review = await posted(gql, "ann", kind="REVIEW", rating=5, sku="SKU-1")
    tip = await posted(gql, "ann", kind="TIP")
    for post in (review, tip, review):
        await moderate(gql, post["id"], "APPROVE")
    await relay_and_give(bus, consumer, until=1)
    await relay_and_give(bus, consumer, until=1)  # delivered and given again: nothing more
    [thanks] = await given(gql, "THANK_YOU")
    assert (thanks["status"], thanks["points"]) == ("GIVEN", 25)
    assert thanks["trigger"].startswith("post:")
    [entry] = await gift_entries(gql, "ann")
    assert entry["reason"] == "A thank-you for your contribution"


async def test_a_removed_post_undoes_its_thank_you_given_or_pending(
    gql: GraphQLClient, bus: MessageBus
) -> None:
    await provision(gql)
    await registered_consumer(bus)
    await configure_gift(gql, kind="THANK_YOU", points=25, budgetPoints=1_000)
    await configure_community(gql, requiresApproval=True)
    await enroll(gql, "ann")
    kept, removed, late = [
        await posted(gql, "ann", kind="REVIEW", rating=5, sku=f"SKU-{n}") for n in range(3)
    ]
    for post in (kept, removed):
        await moderate(gql, post["id"], "APPROVE")
    await relay_all(bus)
    await run_now(bus, {"gifts.give"})
    assert [g["status"] for g in await given(gql, "THANK_YOU")] == ["GIVEN", "GIVEN"]
    assert (await moderate(gql, removed["id"], "REMOVE"))["userErrors"] == []
    await moderate(gql, late["id"], "APPROVE")
    await relay_all(bus)  # the late review's thank-you claimed, not given yet
    await moderate(gql, late["id"], "REMOVE")
    await relay_all(bus)
    await run_now(bus, {"gifts.give"})
    await relay_all(bus)  # delivered again after the job: nothing more
    gifts = await given(gql, "THANK_YOU")
    assert [(g["status"], g["skipReason"], g["revokeReason"]) for g in gifts] == [
        ("GIVEN", None, None),
        ("REVOKED", None, "POST_REMOVED"),
        ("SKIPPED", "POST_REMOVED", None),
    ]
    entries = await gift_entries(gql, "ann")
    assert sorted((e["kind"], e["points"]) for e in entries) == [
        ("EARN", 25), ("EARN", 25), ("REVERSE", -25),
    ]  # fmt: skip
    [budget] = [g["budget"] for g in (await gql.ok(GIFTS, bearer=ADMIN))["gifts"]]
    assert (budget["spent"], budget["remaining"]) == (25, 975)
    [revoked] = await events_of(gql, "gift.revoked")
    assert revoked["payload"] | {"giftId": None} == {
        "giftId": None, "kind": "THANK_YOU", "points": 25, "reason": "POST_REMOVED",
    }  # fmt: skip
    assert [e["payload"]["reason"] for e in await events_of(gql, "gift.skipped")] == [
        "POST_REMOVED"
    ]


async def test_a_rejected_post_skips_the_thank_you_its_creation_claimed(
    gql: GraphQLClient, bus: MessageBus
) -> None:
    await provision(gql)
    await registered_consumer(bus)
    await configure_gift(
        gql, kind="THANK_YOU", points=10, budgetPoints=100,
        triggerEventType="community.post_created",
    )  # fmt: skip
    await configure_community(gql, requiresApproval=True)
    await enroll(gql, "ann")
    review = await posted(gql, "ann", kind="REVIEW", rating=1, sku="SKU-9")
    await relay_all(bus)
    assert [g["status"] for g in await given(gql, "THANK_YOU")] == ["PENDING"]
    assert (await moderate(gql, review["id"], "REJECT", "Off topic"))["userErrors"] == []
    await relay_all(bus)
    await run_now(bus, {"gifts.give"})
    [gift] = await given(gql, "THANK_YOU")
    assert (gift["status"], gift["skipReason"]) == ("SKIPPED", "POST_REMOVED")
    assert await gift_entries(gql, "ann") == []


@pytest.mark.parametrize("trigger", ["points.x", "points.earned", "gift.given"])
async def test_a_thank_you_for_points_or_gift_events_is_refused_and_changes_nothing(
    gql: GraphQLClient, trigger: str
) -> None:
    await provision(gql)
    first = await configure_gift(
        gql, kind="THANK_YOU", points=15, budgetPoints=1_000, triggerEventType="member.updated"
    )
    assert first["userErrors"] == []
    refused = await configure_gift(
        gql, kind="THANK_YOU", points=99, budgetPoints=5, triggerEventType=trigger
    )
    assert refused["gift"] is None
    assert refused["userErrors"] == [
        {
            "field": ["input", "triggerEventType"],
            "message": "points.* and gift.* events never trigger a thank-you.",
            "code": "INVALID_GIFT_CONFIG",
        }
    ]
    [setting] = (await gql.ok(SETTINGS, bearer=ADMIN))["gifts"]
    assert setting == {"triggerEventType": "member.updated", "points": 15, "budgetPoints": 1_000}
