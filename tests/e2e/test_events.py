"""The event log through the API: `events(...)` and `node(id:)` for admins of the program."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from strawberry import relay

from api.auth import Role
from domain.clock import FixedClock
from domain.events import EVENT_TYPES
from tests.conftest import START, token
from tests.e2e.conftest import ENROLL, GraphQLClient, enroll, provision
from tests.e2e.points_helpers import award_manual, errors, redeem

pytestmark = pytest.mark.e2e

ADMIN = token(Role.ADMIN)
EVENT = "id type occurredAt memberId payload"
EVENTS = f"""query($first: Int, $after: String, $types: [String!], $since: DateTime) {{
  events(first: $first, after: $after, types: $types, since: $since) {{
    edges {{ cursor node {{ {EVENT} }} }}
    pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
  }}
}}"""
NODE = f"query($id: ID!) {{ node(id: $id) {{ ... on Event {{ {EVENT} }} }} }}"


async def events(
    gql: GraphQLClient,
    *,
    bearer: str = ADMIN,
    page: int = 100,
    after: str | None = None,
    **filters: Any,
) -> list[dict[str, Any]]:
    """Every event the caller may see (after `after`), newest first, following the cursors."""
    found: list[dict[str, Any]] = []
    while True:
        data = await gql.ok(EVENTS, {"first": page, "after": after, **filters}, bearer=bearer)
        connection = data["events"]
        found.extend(edge["node"] for edge in connection["edges"])
        if not connection["pageInfo"]["hasNextPage"]:
            return found
        after = connection["pageInfo"]["endCursor"]


def types(found: list[dict[str, Any]]) -> list[str]:
    return [event["type"] for event in found]


def key(global_id: str) -> int:
    return int(relay.GlobalID.from_id(global_id).node_id)


async def refused(gql: GraphQLClient, variables: dict[str, Any], *, bearer: str = ADMIN) -> str:
    """The single top-level error's code and message of an events query that must fail."""
    body = await gql.post(EVENTS, variables, bearer=bearer)
    (error,) = body["errors"]
    assert body["data"] is None, body
    return f"{error['extensions']['code']}: {error['message']}"


async def test_an_award_records_points_earned_for_its_member(gql: GraphQLClient) -> None:
    await provision(gql)
    ann = await enroll(gql, "ann")
    award = await award_manual(gql, "ann", 50)
    earned, enrolled, created = await events(gql)

    assert earned["type"] == "points.earned"
    assert earned["memberId"] == ann
    entry = award["entry"]
    assert earned["payload"] == {
        "entryId": key(entry["id"]),
        "points": 50,
        "reasonCode": entry["reasonCode"],
        "sourceRef": entry["sourceReference"],
        "availableAfter": 50,
        "pending": False,
    }
    assert enrolled == {**enrolled, "type": "member.enrolled", "memberId": ann, "payload": {}}
    assert created["type"] == "program.created"
    assert (created["memberId"], created["payload"]) == (None, {"currency": "EUR"})
    assert {event["occurredAt"] for event in (earned, enrolled, created)} == {START.isoformat()}
    # An event is a node: its admins find it again by its id.
    for event in (earned, enrolled, created):
        assert relay.GlobalID.from_id(event["id"]).type_name == "Event"
        assert (await gql.ok(NODE, {"id": event["id"]}, bearer=ADMIN))["node"] == event


async def test_newest_first_across_time(gql: GraphQLClient, clock: FixedClock) -> None:
    await provision(gql)
    for name in ("ann", "bob", "cid"):
        clock.advance(timedelta(minutes=1))
        await enroll(gql, name)
    found = await events(gql)
    assert types(found) == ["member.enrolled"] * 3 + ["program.created"]
    ids = [key(event["id"]) for event in found]
    assert ids == sorted(ids, reverse=True)
    times = [event["occurredAt"] for event in found]
    assert times == sorted(times, reverse=True)
    assert times[0] == (START + timedelta(minutes=3)).isoformat()


async def test_pages_of_two_cover_every_event_exactly_once(gql: GraphQLClient) -> None:
    await provision(gql)
    for number in range(6):
        await enroll(gql, f"m-{number}")
    everything = await events(gql)
    assert len(everything) == 7

    pages: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        data = await gql.ok(EVENTS, {"first": 2, "after": after}, bearer=ADMIN)
        pages.append(data["events"])
        if not data["events"]["pageInfo"]["hasNextPage"]:
            break
        after = data["events"]["pageInfo"]["endCursor"]
    assert [len(page["edges"]) for page in pages] == [2, 2, 2, 1]
    assert [page["pageInfo"]["hasPreviousPage"] for page in pages] == [False, True, True, True]
    for page in pages:
        edges = page["edges"]
        assert page["pageInfo"]["startCursor"] == edges[0]["cursor"]
        assert page["pageInfo"]["endCursor"] == edges[-1]["cursor"]
    assert [edge["node"] for page in pages for edge in page["edges"]] == everything
    assert await events(gql, page=7) == everything  # a full last page has no next one


async def test_types_keep_only_the_named_kinds(gql: GraphQLClient) -> None:
    await provision(gql)
    await enroll(gql, "ann")
    await enroll(gql, "bob")
    await award_manual(gql, "ann", 5)
    assert types(await events(gql, types=["member.enrolled"])) == ["member.enrolled"] * 2
    both = await events(gql, types=["program.created", "points.earned", "points.earned"])
    assert types(both) == ["points.earned", "program.created"]
    assert await events(gql, types=["points.expired"]) == []
    assert await events(gql, types=list(EVENT_TYPES)) == await events(gql)


async def test_since_keeps_events_at_or_after_it(gql: GraphQLClient, clock: FixedClock) -> None:
    await provision(gql)
    await enroll(gql, "ann")
    clock.advance(timedelta(days=1))
    await award_manual(gql, "ann", 5)
    later = START + timedelta(days=1)

    assert types(await events(gql, since=later.isoformat())) == ["points.earned"]
    # The same instant in another offset: at it counts, one microsecond later does not.
    assert types(await events(gql, since="2026-06-16T14:00:00+02:00")) == ["points.earned"]
    just_after = (later + timedelta(microseconds=1)).isoformat()
    assert await events(gql, since=just_after) == []
    assert len(await events(gql, since=START.isoformat())) == 3
    # Within a day of the calendar's ends the instant has no UTC spelling: all or nothing.
    assert len(await events(gql, since="0001-01-01T00:00:00+01:00")) == 3
    assert await events(gql, since="9999-12-31T23:59:59-01:00") == []
    assert types(await events(gql, since=START.isoformat(), types=["member.enrolled"])) == [
        "member.enrolled"
    ]


async def test_bad_arguments_are_refused_before_reading(gql: GraphQLClient) -> None:
    await provision(gql)
    unknown = await refused(gql, {"types": ["points.earned", "points.burned"]})
    assert unknown.startswith("BAD_USER_INPUT: "), unknown
    assert "'points.burned'" in unknown
    long = await refused(gql, {"types": ["x" * 5000]})
    assert long.startswith("BAD_USER_INPUT: "), long
    assert len(long) < 200, long

    too_many = await refused(gql, {"types": ["points.earned"] * 101})
    assert too_many.startswith("BAD_USER_INPUT: "), too_many
    assert "at most 100" in too_many, too_many
    assert await events(gql, types=["points.earned"] * 100) == []

    for first in (0, 101):
        assert (await refused(gql, {"first": first})).startswith("BAD_USER_INPUT: ")

    member_cursor = "bWVtYmVyOjE="  # a members cursor ("member:1"), not an events one
    for cursor in ("nonsense", member_cursor):
        assert (await refused(gql, {"after": cursor})).startswith("BAD_USER_INPUT: ")
    # A time without its offset could mean any instant.
    naive = await refused(gql, {"since": "2026-06-15T12:00:00"})
    assert naive.startswith("BAD_USER_INPUT: "), naive


@pytest.mark.parametrize("role", [Role.STOREFRONT, Role.MEMBER])
async def test_only_admins_and_partners_read_the_log(gql: GraphQLClient, role: Role) -> None:
    await provision(gql)
    await enroll(gql, "ann")
    [event, _] = await events(gql)
    bearer = token(role, subject="ann")
    assert await refused(gql, {}, bearer=bearer) == (
        "FORBIDDEN: Forbidden: this field needs one of the roles admin, partner."
    )
    assert (await gql.ok(NODE, {"id": event["id"]}, bearer=bearer))["node"] is None


async def test_each_program_admin_sees_only_its_own_events(gql: GraphQLClient) -> None:
    await provision(gql, "acme")
    await provision(gql, "globex")
    alice = await enroll(gql, "alice", "acme")
    bob = await enroll(gql, "bob", "globex")
    await award_manual(gql, "alice", 7)

    acme = await events(gql, bearer=token(Role.ADMIN, "acme"))
    globex = await events(gql, bearer=token(Role.ADMIN, "globex"))
    assert types(acme) == ["points.earned", "member.enrolled", "program.created"]
    assert {event["memberId"] for event in acme} == {alice, None}
    assert types(globex) == ["member.enrolled", "program.created"]
    assert {event["memberId"] for event in globex} == {bob, None}

    for own, reader in ((acme, "globex"), (globex, "acme")):
        for event in own:
            found = await gql.ok(NODE, {"id": event["id"]}, bearer=token(Role.ADMIN, reader))
            assert found["node"] is None
    # Another program's cursor only says where to start: the page is still the caller's own.
    newest = acme[0]["id"]
    assert key(newest) > max(key(event["id"]) for event in globex)
    page = await gql.ok(EVENTS, {"first": 1}, bearer=token(Role.ADMIN, "acme"))
    after = page["events"]["edges"][0]["cursor"]
    assert await events(gql, bearer=token(Role.ADMIN, "globex"), after=after) == globex
    assert await events(gql, bearer=token(Role.ADMIN, "initech")) == []  # not provisioned


async def test_refused_writes_record_nothing(gql: GraphQLClient) -> None:
    await provision(gql)
    await enroll(gql, "ann")
    await award_manual(gql, "ann", 10)
    before = await events(gql)

    assert errors(await redeem(gql, "ann", 100)) == ["INSUFFICIENT_POINTS"]
    bad_email = {"externalId": "bob", "email": "not-an-email", "displayName": "Bob"}
    data = await gql.ok(ENROLL, {"input": bad_email}, bearer=token(Role.STOREFRONT))
    assert [e["code"] for e in data["enrollMember"]["userErrors"]] == ["INVALID_EMAIL"]
    await enroll(gql, "ann")  # a repeated enrollment changes nothing, so records nothing
    assert await events(gql) == before

    # A replay under the same idempotency key repeats the answer, not the write.
    first = await award_manual(gql, "ann", 3, idem="once")
    replay = await award_manual(gql, "ann", 3, idem="once")
    assert (first["replayed"], replay["replayed"]) == (False, True)
    newest, *rest = await events(gql)
    assert (newest["type"], newest["payload"]["points"], rest) == ("points.earned", 3, before)
