"""Cost-based throttling through HTTP: every answer states its cost and the caller's bucket, a
greedy client is THROTTLED (429, Retry-After) on every replica sharing Redis and recovers at its
restore rate, and a Redis outage lets requests through."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.routing import Route

from api.auth import TokenVerifier
from api.endpoint import LoyaltyGraphQL
from api.trusted.registry import TrustedDocuments
from backbone.bus import MessageBus
from backbone.metrics import RATE_LIMITS_UNCHECKED
from domain.throttling import DEFAULT_BUCKETS, MIN_BUCKET, Bucket
from tests.conftest import AUTH
from tests.e2e.conftest import GraphQLClient, enroll, provision
from tests.e2e.partner_helpers import client_token, graphql_scopes, partner
from tests.e2e.points_helpers import ADMIN, LEDGER, award_manual, member_token

pytestmark = pytest.mark.e2e

# A page of 100 ledger entries: about 2,200 points, so a full small bucket pays for two.
PAGE = {"query": LEDGER, "variables": {"first": 100}}
# Slow enough that the pages drain it faster than it refills, even on a loaded machine (two
# pages take 4,404 of 5,010 points; 200/s would need 8 s to pay for a third).
FAST = Bucket(MIN_BUCKET, 200)


@pytest.fixture
async def acme(gql: GraphQLClient) -> None:
    await provision(gql)
    await enroll(gql, "ann")


def _replica(bus: MessageBus, redis: Redis, bucket: Bucket) -> Starlette:
    """One more API process: its own endpoint, the session's databases, a given member bucket."""
    view = LoyaltyGraphQL(
        TokenVerifier(AUTH),
        bus,
        graphiql=False,
        documents=TrustedDocuments(()),
        buckets={**DEFAULT_BUCKETS, "member": bucket},
    )
    replica = Starlette(routes=[Route("/graphql", view, methods=["POST"])])
    replica.state.redis = redis
    return replica


@pytest.fixture
async def replicas(app: Starlette, bus: MessageBus) -> AsyncIterator[list[httpx.AsyncClient]]:
    clients = []
    for _ in range(2):
        transport = httpx.ASGITransport(app=_replica(bus, app.state.redis, FAST))
        clients.append(httpx.AsyncClient(transport=transport, base_url="http://loyalty.test"))
    yield clients
    for client in clients:
        await client.aclose()


async def _ask(http: httpx.AsyncClient, body: dict[str, Any], who: str) -> httpx.Response:
    return await http.post(
        "/graphql", json=body, headers={"Authorization": f"Bearer {member_token(who)}"}
    )


async def test_every_answer_states_its_cost_and_the_bucket(
    client: httpx.AsyncClient, acme: None
) -> None:
    first = (await _ask(client, PAGE, "ann")).json()
    cost = first["extensions"]["cost"]
    member = DEFAULT_BUCKETS["member"]
    assert cost["throttleStatus"]["maximumAvailable"] == member.maximum
    assert cost["throttleStatus"]["restoreRate"] == member.restore_rate
    # Charged what it could cost, given back what it did not use: one page with no entries.
    assert cost["requestedQueryCost"] > 2000
    assert 1 <= cost["actualQueryCost"] < 10
    left = cost["throttleStatus"]["currentlyAvailable"]
    assert member.maximum - cost["requestedQueryCost"] < left <= member.maximum
    second = (await _ask(client, PAGE, "ann")).json()["extensions"]["cost"]
    assert second["throttleStatus"]["currentlyAvailable"] <= member.maximum


async def test_a_greedy_client_is_throttled_on_every_replica_and_recovers(
    gql: GraphQLClient, replicas: list[httpx.AsyncClient], acme: None
) -> None:
    for n in range(100):  # a full page of entries: a page uses what it asked for
        await award_manual(gql, "ann", 1 + n)
    one, other = replicas
    answers = [await _ask(one, PAGE, "ann") for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 200]
    assert len(answers[1].json()["data"]["me"]["ledger"]["edges"]) == 100
    # The bucket is shared: the other replica refuses the third page, and runs nothing.
    refused = await _ask(other, PAGE, "ann")
    assert refused.status_code == 429
    body = refused.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "THROTTLED"
    wait = error["extensions"]["retryAfterSeconds"]
    assert int(refused.headers["retry-after"]) == wait >= 1
    status = body["extensions"]["cost"]["throttleStatus"]
    assert status["currentlyAvailable"] < body["extensions"]["cost"]["requestedQueryCost"]
    await enroll(gql, "bob")  # another member's bucket is its own
    assert (await _ask(other, PAGE, "bob")).status_code == 200
    await asyncio.sleep(wait + 0.2)  # the restore rate refills it
    assert (await _ask(one, PAGE, "ann")).status_code == 200


async def test_without_redis_requests_run_unthrottled(
    app: Starlette, bus: MessageBus, acme: None, caplog: pytest.LogCaptureFixture
) -> None:
    unchecked = RATE_LIMITS_UNCHECKED._value.get()
    dead = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, socket_timeout=0.2)
    replica = _replica(bus, dead, Bucket(MIN_BUCKET, 1))
    transport = httpx.ASGITransport(app=replica)
    async with httpx.AsyncClient(transport=transport, base_url="http://loyalty.test") as http:
        with caplog.at_level(logging.WARNING, logger="api.throttle"):
            answers = [await _ask(http, PAGE, "ann") for _ in range(4)]
    await dead.aclose()
    assert RATE_LIMITS_UNCHECKED._value.get() >= unchecked + 4
    assert [a.status_code for a in answers] == [200] * 4
    assert all("errors" not in a.json() for a in answers)
    assert answers[0].json()["extensions"]["cost"]["throttleStatus"] is None


REGISTER_LIMITED = """mutation($input: RegisterPartnerClientInput!) { registerPartnerClient(
  input: $input) { client { clientId rateLimit { maximum restorePerSecond } } clientSecret
  userErrors { field code } } }"""
PROBE = "{ referrals(first: 1) { edges { cursor } } }"


async def test_a_partner_client_can_have_its_own_bucket(gql: GraphQLClient) -> None:
    await provision(gql)
    scopes = graphql_scopes(("referrals:read",))
    refused = await gql.ok(
        REGISTER_LIMITED,
        {"input": {"name": "tiny", "scopes": scopes,
                   "rateLimit": {"maximum": 10, "restorePerSecond": 1}}},
        bearer=ADMIN,
    )  # fmt: skip
    errors = refused["registerPartnerClient"]["userErrors"]
    assert errors == [{"field": ["input", "rateLimit"], "code": "INVALID_RATE_LIMIT"}]
    assert refused["registerPartnerClient"]["client"] is None
    own = {"maximum": 6000, "restorePerSecond": 7}
    data = await gql.ok(
        REGISTER_LIMITED,
        {"input": {"name": "pos", "scopes": scopes, "rateLimit": own}},
        bearer=ADMIN,
    )
    registered = data["registerPartnerClient"]
    assert registered["client"]["rateLimit"] == own
    limited = await client_token(
        gql.http, registered["client"]["clientId"], registered["clientSecret"]
    )
    status = (await gql.post(PROBE, bearer=limited))["extensions"]["cost"]["throttleStatus"]
    assert (status["maximumAvailable"], status["restoreRate"]) == (6000, 7)
    default = await partner(gql, "crm", scopes=("referrals:read",))
    status = (await gql.post(PROBE, bearer=default))["extensions"]["cost"]["throttleStatus"]
    role = DEFAULT_BUCKETS["partner"]
    assert (status["maximumAvailable"], status["restoreRate"]) == (
        role.maximum,
        role.restore_rate,
    )
