"""The data-usage log through GraphQL: each use with its purpose, data and reason, staff reads of
profiles, newest first, filtered by purpose, and at most one INSERT per read."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from domain.clock import FixedClock
from tests.conftest import START
from tests.e2e.conftest import GraphQLClient, enroll
from tests.e2e.points_helpers import ADMIN, STORE, award_manual, member_token
from tests.e2e.rewards_helpers import create_reward
from tests.e2e.test_query_counts import StatementLog, _queries

pytestmark = pytest.mark.e2e

USAGE = """query($first: Int, $after: String, $purpose: String) { me {
  dataUsage(first: $first, after: $after, purpose: $purpose) {
    edges { cursor node { purpose categories usedBy reason usedAt summary } }
    pageInfo { hasNextPage endCursor } } } }"""
REACH = "{ me { rewardsWithinReach(first: 3) { reward { name } } } }"
UPDATE = """mutation($input: UpdateConsentsInput!) { updateConsents(input: $input) {
  userErrors { code } } }"""


async def _uses(gql: GraphQLClient, who: str, **variables: object) -> list[dict[str, object]]:
    data = await gql.ok(USAGE, dict(variables), bearer=member_token(who))
    return [edge["node"] for edge in data["me"]["dataUsage"]["edges"]]


async def test_each_use_shows_its_purpose_data_and_reason_once_a_day(
    gql: GraphQLClient, ann: str, clock: FixedClock
) -> None:
    await award_manual(gql, ann, 90)
    await create_reward(gql, name="Mug", pointsCost=100)
    me = member_token(ann)
    await gql.ok(REACH, bearer=me)
    await gql.ok(REACH, bearer=me)  # the same screen polled again the same day: one use
    assert await _uses(gql, ann) == [
        {
            "purpose": "personalization",
            "categories": ["LOYALTY_ACTIVITY"],
            "usedBy": "the program's reward suggestions",
            "reason": "rewards within reach of your points balance and tier",
            "usedAt": "2026-06-15T12:00:00+00:00",
            "summary": "The program's reward suggestions used your loyalty activity for "
            "personalization: rewards within reach of your points balance and tier.",
        }
    ]
    clock.set(START + timedelta(days=1))
    await gql.ok(REACH, bearer=me)
    assert [u["usedAt"] for u in await _uses(gql, ann)] == [
        "2026-06-16T12:00:00+00:00",
        "2026-06-15T12:00:00+00:00",
    ]
    # Without personalization nothing is used, so nothing is logged.
    await gql.ok(
        UPDATE,
        {"input": {"changes": [{"purpose": "personalization", "granted": False}]}},
        bearer=me,
    )
    clock.set(START + timedelta(days=2))
    await gql.ok(REACH, bearer=me)
    assert len(await _uses(gql, ann)) == 2


async def test_staff_reads_of_a_profile_are_logged(gql: GraphQLClient, ann: str) -> None:
    await gql.ok('{ memberByExternalId(externalId: "ann") { displayName } }', bearer=STORE)
    data = await gql.ok('{ memberByExternalId(externalId: "ann") { id } }', bearer=ADMIN)
    await gql.ok(
        f'{{ member(id: "{data["memberByExternalId"]["id"]}") {{ email }} }}', bearer=ADMIN
    )
    uses = await _uses(gql, ann, purpose="account")
    assert [(u["usedBy"], u["reason"], u["categories"]) for u in uses] == [
        ("the program's staff (admin-client)", "profile read by admin", ["CONTACT", "PROFILE"]),
        ("the program's staff (admin-client)", "profile read by admin", ["CONTACT", "PROFILE"]),
        ("the storefront storefront-client", "profile read by storefront", ["CONTACT", "PROFILE"]),
    ]
    assert await _uses(gql, ann, purpose="personalization") == []
    first = await gql.ok(USAGE, {"first": 2}, bearer=member_token(ann))
    page = first["me"]["dataUsage"]
    assert len(page["edges"]) == 2
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await _uses(gql, ann, first=2, after=page["pageInfo"]["endCursor"])
    assert len(rest) == 1
    bad = await gql.post(USAGE, {"purpose": "Not A Key"}, bearer=member_token(ann))
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_page_of_members_read_by_an_admin_is_one_insert(
    gql: GraphQLClient, ann: str
) -> None:
    for n in range(5):
        await enroll(gql, f"c-{n}")
    logger = logging.getLogger("tortoise.db_client")
    log, level = StatementLog(), logger.level
    logger.addHandler(log)
    logger.setLevel(logging.DEBUG)
    try:
        await gql.ok(
            "{ members(first: 100) { edges { node { id consents { granted } } } } }", bearer=ADMIN
        )
    finally:
        logger.removeHandler(log)
        logger.setLevel(level)
    assert len([s for s in log.statements if s.startswith("INSERT INTO data_usage")]) == 1
    for who in ("ann", "c-0", "c-4"):
        assert [u["reason"] for u in await _uses(gql, who)] == ["profile read by admin"]


async def test_members_consents_and_preferences_cost_no_query_per_member(
    gql: GraphQLClient, ann: str
) -> None:
    query = "{ members(first: 100) { edges { node { id consents { granted purpose { key } } preferences { timezone channels { enabled consented } } } } } }"
    few = await _queries(gql, query, ADMIN)
    for n in range(20):
        await enroll(gql, f"c-{n}")
    assert await _queries(gql, query, ADMIN) == few
