"""Live updates: `memberUpdated` over graphql-transport-ws, fed by the relay after commit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from api.auth import Role, TokenVerifier
from api.endpoint import LoyaltyGraphQL
from api.schema import schema
from api.trusted.registry import TrustedDocuments
from backbone.bus import MessageBus
from loyalty.live_updates import NAME
from tests.conftest import AUTH, START, token
from tests.e2e.challenge_helpers import relay_all, start_relay
from tests.e2e.conftest import GraphQLClient, enroll, provision
from tests.e2e.points_helpers import award_manual, member_token, redeem
from tests.e2e.ws_helpers import Closed, Refused, connect

UPDATED = "subscription { memberUpdated { externalId points { available } } }"


@pytest.fixture
async def acme(gql: GraphQLClient, bus: MessageBus) -> MessageBus:
    await start_relay(bus)
    await provision(gql)
    await enroll(gql, "ann")
    await relay_all(bus, NAME)  # the enrolment's hints, before anyone listens
    return bus


def available(message: dict[str, object]) -> int:
    assert message["type"] == "next", message
    payload = message["payload"]
    assert isinstance(payload, dict)
    assert "errors" not in payload, payload
    points: int = payload["data"]["memberUpdated"]["points"]["available"]
    return points


async def test_an_award_reaches_the_member_after_commit(
    app: Starlette, gql: GraphQLClient, acme: MessageBus
) -> None:
    async with connect(app) as socket:
        assert (await socket.init(member_token("ann")))["type"] == "connection_ack"
        await socket.subscribe(UPDATED)
        assert available(await socket.receive()) == 0  # the status when subscribed
        assert (await award_manual(gql, "ann", 120))["userErrors"] == []
        assert await socket.quiet(0.3)  # committed, but not yet relayed
        await relay_all(acme, NAME)
        assert available(await socket.receive()) == 120


async def test_a_refused_write_publishes_nothing(
    app: Starlette, gql: GraphQLClient, acme: MessageBus
) -> None:
    async with connect(app) as socket:
        await socket.init(member_token("ann"))
        await socket.subscribe(UPDATED)
        assert available(await socket.receive()) == 0
        refused = await redeem(gql, "ann", 50)  # more than she has: a userError, rolled back
        assert refused["userErrors"], refused
        await relay_all(acme, NAME)
        assert await socket.quiet(0.5)


async def test_an_expired_token_is_refused_at_connection_init(
    app: Starlette, acme: MessageBus
) -> None:
    expired = token(Role.MEMBER, subject="ann", now=START - timedelta(hours=3), ttl_seconds=60)
    async with connect(app) as socket:
        with pytest.raises(Closed) as closed:
            await socket.init(expired)
        assert closed.value.code == 4403


async def test_no_token_no_connection(app: Starlette, acme: MessageBus) -> None:
    async with connect(app) as socket:
        with pytest.raises(Closed) as closed:
            await socket.init(None)
        assert closed.value.code == 4403


async def test_a_storefront_token_cannot_subscribe(app: Starlette, acme: MessageBus) -> None:
    async with connect(app) as socket:
        await socket.init(token(Role.STOREFRONT))
        await socket.subscribe(UPDATED)
        message = await socket.receive()
        assert message["type"] in ("error", "next"), message
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "FORBIDDEN", message


async def test_queries_and_mutations_stay_on_http(app: Starlette, acme: MessageBus) -> None:
    async with connect(app) as socket:
        await socket.init(member_token("ann"))
        await socket.subscribe("{ me { externalId } }")
        message = await socket.receive()
        assert message["type"] == "error", message
        assert message["payload"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_the_legacy_graphql_ws_protocol_is_refused(app: Starlette, acme: MessageBus) -> None:
    async with connect(app, subprotocols=("graphql-ws",)) as socket:
        assert socket.subprotocol is None
        with pytest.raises(Closed) as closed:
            await socket.receive()
        assert closed.value.code == 4406


async def test_the_subscription_ends_when_its_token_expires(
    app: Starlette, acme: MessageBus
) -> None:
    leeway = AUTH.leeway_seconds
    short = token(Role.MEMBER, subject="ann", ttl_seconds=1)
    async with connect(app) as socket:
        await socket.init(short)
        await socket.subscribe(UPDATED)
        assert available(await socket.receive()) == 0
        message = await socket.receive(within=leeway + 5)
        assert message["type"] == "next", message
        assert message["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert (await socket.receive())["type"] == "complete"


async def test_the_allow_list_holds_over_websocket_too(app: Starlette, acme: MessageBus) -> None:
    view = LoyaltyGraphQL(
        TokenVerifier(AUTH),
        acme,
        graphiql=False,
        documents=TrustedDocuments.load(schema._schema),
        trusted_only=True,
    )
    only = Starlette(routes=[WebSocketRoute("/graphql", view)])
    async with connect(only) as socket:
        await socket.init(member_token("ann"))
        await socket.subscribe(UPDATED)
        message = await socket.receive()
        assert message["type"] == "error", message
        assert message["payload"][0]["extensions"]["code"] == "TRUSTED_DOCUMENT_REQUIRED"


async def test_browsers_connect_only_from_the_allowed_origins(
    app: Starlette, acme: MessageBus
) -> None:
    view = LoyaltyGraphQL(
        TokenVerifier(AUTH),
        acme,
        graphiql=False,
        documents=TrustedDocuments.load(schema._schema),
        allowed_origins=("https://shop.example",),
    )
    only = Starlette(routes=[WebSocketRoute("/graphql", view)])
    async with connect(only, origin="https://shop.example") as socket:
        assert (await socket.init(member_token("ann")))["type"] == "connection_ack"
    with pytest.raises(Refused) as refused:
        async with connect(only, origin="https://evil.example"):
            pass
    assert refused.value.event["type"] == "websocket.close"  # before accepting: HTTP 403
