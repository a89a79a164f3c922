"""The challenge catalog through GraphQL: badges and challenges created, validated, updated,
listed, found by node(id:) and joined, each by the roles allowed to."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.clock import FixedClock
from tests.e2e.challenge_helpers import (
    LIST,
    UPDATE,
    WINDOW,
    at,
    challenge,
    create_badge,
    create_challenge,
    join,
)
from tests.e2e.conftest import GraphQLClient, enroll, provision
from tests.e2e.partner_helpers import partner
from tests.e2e.points_helpers import ADMIN, member_token
from tests.e2e.test_query_counts import _queries

pytestmark = pytest.mark.e2e

COUNT = {"kind": "COUNT", "target": "1", "eventType": "reward.redeemed"}
NODE = """query($id: ID!) { node(id: $id) { id ... on Challenge { name active completions
  goal { kind target } rewardBadge { name } } ... on Badge { name imageUrl } } }"""


@pytest.fixture
async def acme(gql: GraphQLClient) -> None:
    await provision(gql)
    await enroll(gql, "ann")


def _codes(payload: dict[str, object]) -> list[tuple[list[str], str]]:
    errors = payload["userErrors"]
    assert isinstance(errors, list)
    return [(error["field"], error["code"]) for error in errors]


async def test_a_challenge_with_a_badge_is_shown_as_created(gql: GraphQLClient, acme: None) -> None:
    badge = await create_badge(gql, "Regular")
    found = await challenge(
        gql,
        {"kind": "MONTHLY_SPEND", "target": "200.50"},
        name=" Big month ",
        badgeId=badge,
        rewardPoints=0,
    )
    assert found["name"] == "Big month"
    assert found["goal"] == {
        "kind": "MONTHLY_SPEND",
        "target": "200.5",
        "eventType": "points.earned",
        "where": [],
        "countsFor": None,
    }
    assert (found["rewardBadge"]["name"], found["completions"], found["active"]) == (
        "Regular",
        0,
        True,
    )
    data = await gql.ok(NODE, {"id": found["id"]}, bearer=member_token("ann"))
    assert data["node"]["rewardBadge"] == {"name": "Regular"}
    data = await gql.ok(NODE, {"id": badge}, bearer=member_token("ann"))
    assert data["node"] == {"id": badge, "name": "Regular", "imageUrl": "https://cdn.example/b.png"}
    second = await create_badge(gql, "Loyal")
    listed = await gql.ok(
        "{ badges(first: 1) { edges { node { id } } pageInfo { hasNextPage } } }",
        bearer=member_token("ann"),
    )
    assert [e["node"]["id"] for e in listed["badges"]["edges"]] == [badge]
    assert listed["badges"]["pageInfo"]["hasNextPage"] is True
    assert second != badge
    crm = await partner(gql, "crm")
    assert (await gql.ok(NODE, {"id": found["id"]}, bearer=crm))["node"] is None


async def test_bad_input_is_refused_at_its_fields_and_creates_nothing(
    gql: GraphQLClient, acme: None
) -> None:
    goal = {
        "kind": "COUNT",
        "target": "2.5",
        "eventType": "Reviews",
        "where": [{"field": "kind", "equals": "REVIEW"}] * 6,
        "countsFor": "referrer id",
    }
    payload = await create_challenge(
        gql, goal, endsAt=WINDOW["startsAt"], rewardPoints=0, badgeId="nope"
    )
    assert payload["challenge"] is None
    assert _codes(payload) == [
        (["input", "badgeId"], "INVALID_ID"),
        (["input", "goal", "eventType"], "INVALID_CHALLENGE"),
        (["input", "goal", "where"], "INVALID_CHALLENGE"),
        (["input", "goal", "countsFor"], "INVALID_CHALLENGE"),
        (["input", "goal", "target"], "INVALID_CHALLENGE"),
        (["input", "endsAt"], "INVALID_CHALLENGE"),
    ]
    orders = await create_challenge(gql, {**COUNT, "kind": "DISTINCT_MONTHS"})
    assert _codes(orders) == [(["input", "goal", "eventType"], "INVALID_CHALLENGE")]
    no_reward = await create_challenge(gql, COUNT, rewardPoints=0)
    assert _codes(no_reward) == [(["input", "rewardPoints"], "INVALID_CHALLENGE")]
    unknown_badge = await create_challenge(gql, COUNT, badgeId="QmFkZ2U6OTk=")  # Badge:99
    assert _codes(unknown_badge) == [(["input", "badgeId"], "BADGE_NOT_FOUND")]
    listed = await gql.ok(LIST, bearer=ADMIN)
    assert listed["challenges"]["edges"] == []


async def test_update_deactivates_and_members_see_only_active_challenges(
    gql: GraphQLClient, acme: None
) -> None:
    first = await challenge(gql, COUNT, name="First")
    second = await challenge(gql, COUNT, name="Second")
    bad = await gql.ok(
        UPDATE, {"input": {"id": first["id"], "endsAt": at(-30).isoformat()}}, bearer=ADMIN
    )
    assert _codes(bad["updateChallenge"]) == [(["input", "endsAt"], "INVALID_CHALLENGE")]
    data = await gql.ok(
        UPDATE, {"input": {"id": first["id"], "active": False, "name": "Old"}}, bearer=ADMIN
    )
    assert (
        data["updateChallenge"]["challenge"]["name"],
        data["updateChallenge"]["challenge"]["active"],
    ) == ("Old", False)
    events = await gql.ok(
        '{ events(first: 5, types: ["challenge.updated"]) { edges { node { payload } } } }',
        bearer=ADMIN,
    )
    [updated] = events["events"]["edges"]
    assert updated["node"]["payload"]["changed"] == ["name", "active"]
    missing = await gql.ok(
        UPDATE, {"input": {"id": "Q2hhbGxlbmdlOjk5", "active": False}}, bearer=ADMIN
    )
    assert _codes(missing["updateChallenge"]) == [(["input", "id"], "CHALLENGE_NOT_FOUND")]

    page = await gql.ok(LIST, {"first": 1}, bearer=ADMIN)
    assert [e["node"]["name"] for e in page["challenges"]["edges"]] == ["Old"]
    assert page["challenges"]["pageInfo"]["hasNextPage"] is True
    after = page["challenges"]["pageInfo"]["endCursor"]
    rest = await gql.ok(LIST, {"first": 1, "after": after}, bearer=ADMIN)
    assert [e["node"]["name"] for e in rest["challenges"]["edges"]] == ["Second"]
    shown = await gql.ok(LIST, bearer=member_token("ann"))
    assert [e["node"]["id"] for e in shown["challenges"]["edges"]] == [second["id"]]
    assert (await gql.ok(NODE, {"id": first["id"]}, bearer=member_token("ann")))["node"] is None
    too_many = await gql.post(LIST, {"first": 101}, bearer=ADMIN)
    assert too_many["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    forbidden = await gql.post(LIST, bearer=await partner(gql, "crm"))
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_joining_needs_an_open_challenge_and_a_member_token(
    gql: GraphQLClient, acme: None, clock: FixedClock
) -> None:
    found = await challenge(gql, COUNT, enrolment="OPT_IN")
    assert _codes(await join(gql, "ann", "QmFkZ2U6MQ==")) == [  # a Badge id
        (["input", "challengeId"], "INVALID_ID")
    ]
    assert _codes(await join(gql, "ann", "Q2hhbGxlbmdlOjk5")) == [
        (["input", "challengeId"], "CHALLENGE_NOT_FOUND")
    ]
    clock.advance(timedelta(days=200))  # past its end
    assert _codes(await join(gql, "ann", found["id"])) == [
        (["input", "challengeId"], "CHALLENGE_NOT_OPEN")
    ]
    staff = await gql.post(
        """mutation($input: JoinChallengeInput!) { joinChallenge(input: $input) { userErrors { code } } }""",
        {"input": {"challengeId": found["id"]}},
        bearer=ADMIN,
    )
    assert staff["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_page_of_challenges_reads_their_badges_in_one_query(
    gql: GraphQLClient, acme: None
) -> None:
    document = "{ challenges(first: 100) { edges { node { name rewardBadge { name } } } } }"
    await challenge(gql, COUNT, name="First", badgeId=await create_badge(gql, "B0"))
    one = await _queries(gql, document, ADMIN)
    for n in range(1, 12):
        await challenge(gql, COUNT, name=f"C{n}", badgeId=await create_badge(gql, f"B{n}"))
    assert await _queries(gql, document, ADMIN) == one
    listed = await gql.ok(document, bearer=ADMIN)
    names = {edge["node"]["rewardBadge"]["name"] for edge in listed["challenges"]["edges"]}
    assert names == {f"B{n}" for n in range(12)}
