"""Helpers of the challenge tests: badges, challenges, joining and reads over GraphQL, and the
relay driven in-process until the challenges consumer has read the whole event log."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from tortoise import connections

from backbone import relay
from backbone.bus import MessageBus
from loyalty.challenges.progress import NAME
from tests.conftest import START
from tests.e2e.conftest import GraphQLClient
from tests.e2e.points_helpers import ADMIN, member_token

CHALLENGE = """id name active completions enrolment rewardPoints startsAt endsAt
  goal { kind target eventType where { field equals } countsFor } rewardBadge { id name }"""
CREATE_BADGE = """mutation($input: CreateBadgeInput!) { createBadge(input: $input) {
  badge { id name description imageUrl } userErrors { field message code } } }"""
CREATE = f"""mutation($input: CreateChallengeInput!) {{ createChallenge(input: $input) {{
  challenge {{ {CHALLENGE} }} userErrors {{ field message code }} }} }}"""
UPDATE = f"""mutation($input: UpdateChallengeInput!) {{ updateChallenge(input: $input) {{
  challenge {{ {CHALLENGE} }} userErrors {{ field message code }} }} }}"""
JOIN = """mutation($input: JoinChallengeInput!) { joinChallenge(input: $input) {
  challenge { id } userErrors { field message code } } }"""
ME = """{ me { challenges { challenge { id name } progress target joinedAt completedAt }
  badges { badge { name imageUrl } awardedAt challenge { name } } } }"""
LIST = f"""query($first: Int, $after: String) {{ challenges(first: $first, after: $after) {{
  edges {{ node {{ {CHALLENGE} }} }} pageInfo {{ hasNextPage endCursor }} }} }}"""
WINDOW = {
    "startsAt": (START - timedelta(days=1)).isoformat(),
    "endsAt": (START + timedelta(days=120)).isoformat(),
}
_UNREAD = """SELECT EXISTS (SELECT 1 FROM event_outbox o JOIN event_consumer c ON c.name = $1
  WHERE (o.txid, o.id) > (c.last_txid, c.last_id)) AS unread"""


async def create_badge(gql: GraphQLClient, name: str = "Critic") -> str:
    data = await gql.ok(
        CREATE_BADGE,
        {
            "input": {
                "name": name,
                "description": "Wrote reviews",
                "imageUrl": "https://cdn.example/b.png",
            }
        },
        bearer=ADMIN,
    )
    payload = data["createBadge"]
    assert payload["userErrors"] == [], payload
    badge_id: str = payload["badge"]["id"]
    return badge_id


async def create_challenge(
    gql: GraphQLClient, goal: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    spec = {"name": "Challenge", "goal": goal, "rewardPoints": 100, **WINDOW, **fields}
    data = await gql.ok(CREATE, {"input": spec}, bearer=ADMIN)
    payload: dict[str, Any] = data["createChallenge"]
    return payload


async def challenge(gql: GraphQLClient, goal: dict[str, Any], **fields: Any) -> dict[str, Any]:
    payload = await create_challenge(gql, goal, **fields)
    assert payload["userErrors"] == [], payload
    found: dict[str, Any] = payload["challenge"]
    return found


async def join(gql: GraphQLClient, external_id: str, challenge_id: str) -> dict[str, Any]:
    data = await gql.ok(
        JOIN, {"input": {"challengeId": challenge_id}}, bearer=member_token(external_id)
    )
    payload: dict[str, Any] = data["joinChallenge"]
    return payload


async def me(gql: GraphQLClient, external_id: str) -> dict[str, Any]:
    data = await gql.ok(ME, bearer=member_token(external_id))
    found: dict[str, Any] = data["me"]
    return found


async def progress_of(
    gql: GraphQLClient, external_id: str, challenge_id: str
) -> dict[str, Any] | None:
    shown = (await me(gql, external_id))["challenges"]
    return next((c for c in shown if c["challenge"]["id"] == challenge_id), None)


def consumer(bus: MessageBus, name: str = NAME) -> relay.Consumer:
    return next(c for c in bus.consumers if c.name == name)


async def start_relay(bus: MessageBus) -> None:
    """Register the consumers at the end of the (emptied) log, as a deployment would."""
    await relay.register(bus.consumers, connections.get("default"))


async def relay_all(bus: MessageBus, name: str = NAME) -> None:
    """Deliver until the consumer has read every committed event (its own included); another
    database's open transaction may hold the horizon back a moment."""
    for _ in range(1500):  # 30 s
        await relay.deliver(consumer(bus, name))
        [row] = await connections.get("default").execute_query_dict(_UNREAD, [name])
        if not row["unread"]:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{name} did not catch up")


async def rewind(name: str = NAME) -> None:
    """Move the consumer's cursor back to its start: every event is delivered again."""
    await connections.get("default").execute_query_dict(
        "UPDATE event_consumer SET last_txid = 0, last_id = 0 WHERE name = $1", [name]
    )


async def completions_recount(challenge_key: int) -> int:
    [row] = await connections.get("default").execute_query_dict(
        "SELECT count(*) AS n FROM challenge_enrolment WHERE challenge_id = $1"
        " AND completed_at IS NOT NULL",
        [challenge_key],
    )
    count: int = row["n"]
    return count


def at(days: int) -> datetime:
    return START + timedelta(days=days)
