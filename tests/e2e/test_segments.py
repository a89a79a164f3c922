"""Segments through GraphQL: the issue's examples, consent at query time (no behavioural segment
without `profiling`, withdrawal takes effect at once), the program boundary, keyset pages of
members, and sizes that match a recount."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tortoise import connections

from api.auth import Role
from domain.clock import FixedClock
from tests.conftest import START, token
from tests.e2e.conftest import GraphQLClient, provision
from tests.e2e.insights_helpers import (
    ADMIN,
    ARCHIVE,
    MEMBERS,
    UPDATE,
    condition,
    create_segment,
    members_of,
    order_at,
    predict,
    seed_members,
    set_profiling,
)
from tests.e2e.points_helpers import configure, member_token, reverse
from tests.e2e.tier_helpers import ASSIGN, configure_tiers

pytestmark = pytest.mark.e2e

LAPSED = [
    condition("DAYS_SINCE_LAST_ORDER", "GTE", number="90"),
    condition("POINTS_EXPIRING", "GT", number="0", withinDays=30),
]
MY_SEGMENTS = "{ me { segments { name memberVisible } } }"
SEGMENTS_OF = "query($id: String!) { memberByExternalId(externalId: $id) { segments { name } } }"


async def test_lapsed_90_days_with_points_expiring(gql: GraphQLClient, clock: FixedClock) -> None:
    await seed_members(gql, "ann", "bob", "cat", "eve", consenting=("ann", "bob", "cat"))
    await configure(gql, expiry={"mode": "AFTER_DAYS", "amount": 100})
    for name in ("ann", "bob", "cat", "eve"):
        await order_at(gql, clock, name, f"{name}-1", "50.00", 0)
    await order_at(gql, clock, "bob", "bob-2", "50.00", 50)
    clock.set(START + timedelta(days=51))
    assert (await reverse(gql, "cat-1", "r1", "50.00"))["userErrors"] == []
    clock.set(START + timedelta(days=95))  # day-0 points expire on day 100
    lapsed = await create_segment(gql, "Lapsed with points expiring", all=LAPSED)
    assert lapsed["userErrors"] == []
    assert lapsed["segment"]["behavioural"] is True
    expiring = await create_segment(
        gql, "Points expiring", all=[condition("POINTS_EXPIRING", "GT", number="0", withinDays=30)]
    )
    assert expiring["segment"]["behavioural"] is False
    # bob ordered 45 days ago; cat's only order was returned; eve does not consent to profiling.
    assert await members_of(gql, lapsed["segment"]["id"]) == ["ann"]
    # A segment that reads no behaviour holds eve too.
    assert await members_of(gql, expiring["segment"]["id"]) == ["ann", "bob", "eve"]
    clock.set(START + timedelta(days=101))  # expired now: nothing left expiring
    assert await members_of(gql, lapsed["segment"]["id"]) == []


async def test_gold_members_at_risk_and_withdrawal_takes_effect_at_once(
    gql: GraphQLClient,
) -> None:
    await seed_members(gql, "ann", "bob", "eve", consenting=("ann", "bob"))
    assert (await configure_tiers(gql))["userErrors"] == []
    for name in ("ann", "eve"):
        data = await gql.ok(
            ASSIGN,
            {"input": {"externalId": name, "tierKey": "gold", "reason": "VIP"}},
            bearer=ADMIN,
        )
        assert data["assignTier"]["userErrors"] == []
    for name, churn, next_order in (("ann", 0.7, 7), ("bob", 0.9, 7.5), ("eve", 0.8, 1)):
        await predict(name, churn, next_order)
    at_risk = await create_segment(
        gql,
        "Gold at risk",
        all=[
            condition("TIER", "EQ", texts=["gold"]),
            condition("CHURN_PROBABILITY", "GTE", number="0.6"),
        ],
        memberVisible=True,
    )
    everyone = await create_segment(gql, "Everyone", memberVisible=True)
    hidden = await create_segment(
        gql, "Gold", all=[condition("TIER", "IN", texts=["gold", "platinum"])]
    )
    soon = await create_segment(
        gql, "Soon", all=[condition("DAYS_TO_EXPECTED_ORDER", "LTE", number="7")]
    )
    segment_id = at_risk["segment"]["id"]
    assert await members_of(gql, segment_id) == ["ann"]  # bob is not gold, eve not consenting
    # Expected within 7 days: ann at exactly 7; bob's 7.5 days is an eighth day started.
    assert await members_of(gql, soon["segment"]["id"]) == ["ann"]
    mine = await gql.ok(MY_SEGMENTS, bearer=member_token("ann"))
    assert mine["me"]["segments"] == [
        {"name": "Gold at risk", "memberVisible": True},
        {"name": "Everyone", "memberVisible": True},
    ]
    staff = await gql.ok(SEGMENTS_OF, {"id": "eve"}, bearer=ADMIN)
    assert [s["name"] for s in staff["memberByExternalId"]["segments"]] == ["Everyone", "Gold"]
    # Without profiling consent a member is shown no segments at all.
    assert (await gql.ok(MY_SEGMENTS, bearer=member_token("eve")))["me"]["segments"] == []
    await set_profiling(gql, "ann", False)
    assert await members_of(gql, segment_id) == []
    assert (await gql.ok(MY_SEGMENTS, bearer=member_token("ann")))["me"]["segments"] == []
    assert await members_of(gql, everyone["segment"]["id"]) == ["ann", "bob", "eve"]
    assert hidden["segment"]["memberVisible"] is False


async def test_another_programs_admin_cannot_read_or_change_a_segment(gql: GraphQLClient) -> None:
    await seed_members(gql, "ann", consenting=())
    await provision(gql, "other")
    segment = (await create_segment(gql, "Everyone"))["segment"]
    other = token(Role.ADMIN, "other")
    probe = await gql.ok(
        "query($id: ID!) { segment(id: $id) { id } node(id: $id) { id } }",
        {"id": segment["id"]},
        bearer=other,
    )
    assert probe == {"segment": None, "node": None}
    listed = await gql.ok("{ segments(first: 10) { edges { node { id } } } }", bearer=other)
    assert listed["segments"]["edges"] == []
    changed = await gql.ok(
        UPDATE,
        {"input": {"id": segment["id"], "name": "Mine", "rules": {"all": []}}},
        bearer=other,
    )
    assert [e["code"] for e in changed["updateSegment"]["userErrors"]] == ["SEGMENT_NOT_FOUND"]
    archived = await gql.ok(ARCHIVE, {"input": {"id": segment["id"]}}, bearer=other)
    assert [e["code"] for e in archived["archiveSegment"]["userErrors"]] == ["SEGMENT_NOT_FOUND"]
    forbidden = await gql.post(
        "{ segments(first: 1) { edges { node { id } } } }", bearer=member_token("ann")
    )
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    mine = await gql.ok(MEMBERS, {"id": segment["id"], "first": 5}, bearer=ADMIN)
    assert mine["segment"]["size"] == 1


async def test_members_pages_and_size_match_a_recount(gql: GraphQLClient) -> None:
    names = [f"m{index:02}" for index in range(23)]
    await seed_members(gql, *names, consenting=())
    await create_segment(gql, "Other locale", all=[condition("LOCALE", "NE", texts=["en"])])
    segment = (
        await create_segment(gql, "Enrolled", all=[condition("ENROLLED_DAYS", "GTE", number="0")])
    )["segment"]
    pages: list[list[str]] = []
    after = None
    while True:
        data = await gql.ok(
            MEMBERS, {"id": segment["id"], "first": 10, "after": after}, bearer=ADMIN
        )
        page = data["segment"]["members"]
        pages.append([edge["node"]["externalId"] for edge in page["edges"]])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert [len(page) for page in pages] == [10, 10, 3]
    assert [name for page in pages for name in page] == names
    [recount] = await connections.get("default").execute_query_dict(
        "SELECT count(*) AS n FROM member WHERE status = 'ACTIVE'"
    )
    assert data["segment"]["size"] == recount["n"] == 23
    too_many = await gql.post(MEMBERS, {"id": segment["id"], "first": 101}, bearer=ADMIN)
    assert too_many["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
