"""THANK_YOU gifts for the community's approved reviews (community.post_approved, kind REVIEW),
once per post, through the relay consumer and the gift job."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from tortoise import connections

from backbone.bus import MessageBus
from loyalty.community.limits import key_pattern
from tests.e2e.community_helpers import configure_community, moderate, posted
from tests.e2e.conftest import GraphQLClient, provision
from tests.e2e.gift_helpers import (
    configure_gift,
    enroll,
    gift_entries,
    given,
    registered_consumer,
    relay_and_give,
)

pytestmark = pytest.mark.e2e


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
    consumer = await registered_consumer()
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
