"""Segment writes through GraphQL: typed refusals that write nothing, update, archive,
idempotency and the event log, concurrent creates, and what erasure and the export do with a
member's scores and segments."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import pytest

from backbone.bus import MessageBus
from domain.clock import FixedClock
from loyalty.insights.models import MemberPrediction, MemberRfm
from tests.conftest import START
from tests.e2e.conftest import GraphQLClient
from tests.e2e.insights_helpers import (
    ADMIN,
    ARCHIVE,
    MEMBERS,
    UPDATE,
    condition,
    create_segment,
    order_at,
    predict,
    run_rfm_job,
    seed_members,
)
from tests.e2e.points_helpers import member_token
from tests.e2e.privacy_helpers import erase, exported

pytestmark = pytest.mark.e2e

LAPSED = [
    condition("DAYS_SINCE_LAST_ORDER", "GTE", number="90"),
    condition("POINTS_EXPIRING", "GT", number="0", withinDays=30),
]


async def test_invalid_rules_are_typed_errors_and_write_nothing(gql: GraphQLClient) -> None:
    await seed_members(gql, "ann", consenting=())
    refused = await create_segment(
        gql,
        "Broken",
        all=[
            condition("RECENCY_SCORE", "GTE", number="7"),
            condition("TIER", "LT", texts=["gold"]),
            condition("POINTS_EXPIRING", "GT", number="0"),
            condition("LOCALE", "EQ", texts=["x'); DELETE FROM member; --"]),
        ],
        any=[condition("CHURN_PROBABILITY", "GTE", number="0.123456")],
    )
    assert refused["segment"] is None
    assert {(tuple(e["field"]), e["code"]) for e in refused["userErrors"]} == {
        (("input", "rules", "all", "0", "number"), "INVALID_SEGMENT_RULES"),
        (("input", "rules", "all", "1", "operator"), "INVALID_SEGMENT_RULES"),
        (("input", "rules", "all", "2", "withinDays"), "INVALID_SEGMENT_RULES"),
        (("input", "rules", "all", "3", "texts", "0"), "INVALID_SEGMENT_RULES"),
        (("input", "rules", "any", "0", "number"), "INVALID_SEGMENT_RULES"),
    }
    too_many = await create_segment(
        gql, "Many", all=[condition("ORDER_COUNT", "GT", number=str(i)) for i in range(21)]
    )
    assert [e["code"] for e in too_many["userErrors"]] == ["INVALID_SEGMENT_RULES"]
    listed = await gql.ok("{ segments(first: 10) { edges { node { id } } } }", bearer=ADMIN)
    assert listed["segments"]["edges"] == []
    first = await create_segment(gql, "Twice")
    again = await create_segment(gql, "Twice")
    assert [e["code"] for e in again["userErrors"]] == ["SEGMENT_NAME_TAKEN"]
    bad_enum = await gql.post(
        'mutation { createSegment(input: { name: "x", rules: { all: [{ field: SQL, operator: EQ }] } }) { segment { id } } }',
        bearer=ADMIN,
    )
    assert bad_enum["errors"]
    listed = await gql.ok("{ segments(first: 10) { edges { node { id } } } }", bearer=ADMIN)
    assert [edge["node"]["id"] for edge in listed["segments"]["edges"]] == [first["segment"]["id"]]


async def test_archive_update_idempotency_and_the_event_log(gql: GraphQLClient) -> None:
    await seed_members(gql, "ann", consenting=())
    first = await create_segment(gql, "Keyed", idempotencyKey="seg-1")
    retry = await create_segment(gql, "Keyed", idempotencyKey="seg-1")
    assert retry["userErrors"] == []
    assert retry["segment"]["id"] == first["segment"]["id"]
    reused = await create_segment(gql, "Other", idempotencyKey="seg-1")
    assert [e["code"] for e in reused["userErrors"]] == ["IDEMPOTENCY_KEY_REUSED"]
    segment_id = first["segment"]["id"]
    await create_segment(gql, "Taken")
    clash = await gql.ok(
        UPDATE, {"input": {"id": segment_id, "name": "Taken", "rules": {}}}, bearer=ADMIN
    )
    assert [e["code"] for e in clash["updateSegment"]["userErrors"]] == ["SEGMENT_NAME_TAKEN"]
    updated = await gql.ok(
        UPDATE,
        {"input": {"id": segment_id, "name": "Recent", "rules": {"all": [LAPSED[0]]}}},
        bearer=ADMIN,
    )
    assert updated["updateSegment"]["segment"]["behavioural"] is True
    archived = await gql.ok(ARCHIVE, {"input": {"id": segment_id}}, bearer=ADMIN)
    assert archived["archiveSegment"]["segment"]["archivedAt"] is not None
    data = await gql.ok(MEMBERS, {"id": segment_id}, bearer=ADMIN)
    assert data["segment"]["size"] == 0
    assert data["segment"]["members"]["edges"] == []
    again = await gql.ok(
        UPDATE, {"input": {"id": segment_id, "name": "Back", "rules": {}}}, bearer=ADMIN
    )
    assert [e["code"] for e in again["updateSegment"]["userErrors"]] == ["SEGMENT_NOT_FOUND"]
    events = await gql.ok("{ events(first: 20) { edges { node { type payload } } } }", bearer=ADMIN)
    changes = [
        (e["node"]["payload"]["change"], e["node"]["payload"]["behavioural"])
        for e in events["events"]["edges"]
        if e["node"]["type"] == "segment.changed"
    ]
    assert sorted(changes) == [
        ("ARCHIVED", True),
        ("CREATED", False),
        ("CREATED", False),
        ("UPDATED", True),
    ]


async def test_concurrent_creates_make_one_segment(gql: GraphQLClient) -> None:
    await seed_members(gql, "ann", consenting=())
    same_name = await asyncio.gather(*(create_segment(gql, "Race") for _ in range(6)))
    assert sorted(len(p["userErrors"]) for p in same_name) == [0, 1, 1, 1, 1, 1]
    assert {e["code"] for p in same_name for e in p["userErrors"]} == {"SEGMENT_NAME_TAKEN"}
    same_key = await asyncio.gather(
        *(create_segment(gql, "Keyed race", idempotencyKey="race-1") for _ in range(6))
    )
    assert all(p["userErrors"] == [] for p in same_key)
    assert len({p["segment"]["id"] for p in same_key}) == 1
    listed = await gql.ok("{ segments(first: 10) { edges { node { name } } } }", bearer=ADMIN)
    assert sorted(e["node"]["name"] for e in listed["segments"]["edges"]) == ["Keyed race", "Race"]


async def test_erasure_forgets_scores_and_the_export_holds_them(
    gql: GraphQLClient, clock: FixedClock, bus: MessageBus
) -> None:
    await seed_members(gql, "ann", "bob", consenting=("ann", "bob"))
    await order_at(gql, clock, "ann", "a1", "10.00", 0)
    await order_at(gql, clock, "bob", "b1", "10.00", 0)
    clock.set(START + timedelta(days=1))
    await create_segment(gql, "Buyers", all=[condition("ORDER_COUNT", "GTE", number="1")])
    await run_rfm_job(bus)
    document = await exported(gql, member_token("ann"))
    assert document["rfm"]["frequency"] == 1
    assert Decimal(document["rfm"]["monetary"]) == Decimal(10)
    assert [s["name"] for s in document["segments"]] == ["Buyers"]
    await predict("ann", 0.5)
    assert (await erase(gql, externalId="ann"))["userErrors"] == []
    assert await MemberRfm.filter(member__external_id__startswith="erased").count() == 0
    assert await MemberRfm.all().count() == 1  # bob's
    assert await MemberPrediction.all().count() == 0
