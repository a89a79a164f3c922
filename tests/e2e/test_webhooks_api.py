"""The webhooks GraphQL API: who manages which subscriptions, secrets shown once, deliveries
listed with their attempts, test pings and redeliveries, and SSRF refusals in production."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import standardwebhooks

from api.auth import Role
from backbone.bus import MessageBus
from loyalty.webhooks import addresses, sender, subscriptions
from tests.conftest import token
from tests.e2e.conftest import GraphQLClient, provision
from tests.e2e.partner_helpers import partner, partner_subject
from tests.e2e.webhook_receiver import Receiver

CREATE = """
mutation($input: CreateWebhookSubscriptionInput!) {
  createWebhookSubscription(input: $input) {
    subscription { id url eventTypes owner active }
    secret
    userErrors { field code message }
  }
}"""
LIST = "{ webhookSubscriptions { nodes { id url owner } hasNextPage } }"
DELIVERIES = """
query($id: ID!, $status: WebhookDeliveryStatus) {
  webhookDeliveries(subscription: $id, status: $status) {
    nodes { id messageId eventType status attemptCount
            attempts { statusCode latencyMs response error } }
  }
}"""
PING = """
mutation($id: ID!) {
  sendTestWebhook(input: {subscriptionId: $id}) {
    delivery { id messageId eventType status } userErrors { field code }
  }
}"""
REDELIVER = """
mutation($id: ID!) {
  redeliverWebhook(input: {deliveryId: $id}) { delivery { messageId status } userErrors { code } }
}"""
ROTATE = """
mutation($id: ID!) {
  rotateWebhookSecret(input: {subscriptionId: $id}) {
    secret subscription { previousSecretValidUntil } userErrors { code }
  }
}"""
UPDATE = """
mutation($input: UpdateWebhookSubscriptionInput!) {
  updateWebhookSubscription(input: $input) { subscription { active eventTypes } userErrors { field code } }
}"""
DELETE = """
mutation($id: ID!) {
  deleteWebhookSubscription(input: {subscriptionId: $id}) { subscription { id } userErrors { code } }
}"""


async def _create(
    gql: GraphQLClient, bearer: str, url: str, types: list[str] | None = None
) -> dict[str, Any]:
    data = await gql.ok(
        CREATE,
        {"input": {"url": url, "eventTypes": types or ["points.earned"], "description": "CRM"}},
        bearer=bearer,
    )
    payload: dict[str, Any] = data["createWebhookSubscription"]
    return payload


async def test_partners_manage_their_own_subscriptions_and_admins_all(
    gql: GraphQLClient,
) -> None:
    await provision(gql)
    crm, ads, admin = (await partner(gql, "crm"), await partner(gql, "ads"), token(Role.ADMIN))
    mine = await _create(gql, crm, "http://127.0.0.1:9/hooks")
    assert mine["userErrors"] == []
    assert mine["secret"].startswith("whsec_")
    assert mine["subscription"]["owner"] == f"partner:{await partner_subject(gql, 'crm')}"
    theirs = await _create(gql, ads, "http://localhost:9/other")
    listed = await gql.ok(LIST, bearer=crm)
    assert [n["id"] for n in listed["webhookSubscriptions"]["nodes"]] == [
        mine["subscription"]["id"]
    ]
    everyone = await gql.ok(LIST, bearer=admin)
    assert len(everyone["webhookSubscriptions"]["nodes"]) == 2
    # Another partner's subscription is as if there were none.
    other = theirs["subscription"]["id"]
    for query, name in ((ROTATE, "rotateWebhookSecret"), (DELETE, "deleteWebhookSubscription")):
        data = await gql.ok(query, {"id": other}, bearer=crm)
        assert [e["code"] for e in data[name]["userErrors"]] == ["WEBHOOK_SUBSCRIPTION_NOT_FOUND"]
    data = await gql.ok(DELIVERIES, {"id": other}, bearer=crm)
    assert data["webhookDeliveries"]["nodes"] == []
    # The secret is never answered again: no field holds it.
    body = await gql.post("{ webhookSubscriptions { nodes { secret } } }", bearer=admin)
    assert body["errors"]
    for role in (Role.MEMBER, Role.STOREFRONT):
        body = await gql.post(LIST, bearer=token(role, subject="ann"))
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    paused = await gql.ok(
        UPDATE,
        {"input": {"subscriptionId": other, "active": False, "eventTypes": ["tier.changed"]}},
        bearer=admin,
    )
    assert paused["updateWebhookSubscription"]["subscription"] == {
        "active": False,
        "eventTypes": ["tier.changed"],
    }
    gone = await gql.ok(DELETE, {"id": other}, bearer=ads)
    assert gone["deleteWebhookSubscription"]["userErrors"] == []


async def test_bad_subscriptions_are_user_errors(gql: GraphQLClient) -> None:
    await provision(gql)
    admin = token(Role.ADMIN)
    refused = await _create(gql, admin, "http://hooks.example/in", ["points.earned", "nope"])
    assert refused["subscription"] is None
    assert refused["secret"] is None
    assert {(tuple(e["field"]), e["code"]) for e in refused["userErrors"]} == {
        (("input", "url"), "INVALID_WEBHOOK_URL"),
        (("input", "eventTypes", "1"), "INVALID_EVENT_TYPES"),
    }


async def test_production_refuses_private_hosts_at_subscription_and_send_time(
    gql: GraphQLClient, bus: MessageBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    await provision(gql)
    admin = token(Role.ADMIN)
    receiver = Receiver()
    created = await _create(gql, admin, receiver.url)  # development: loopback allowed
    monkeypatch.setenv("LOYALTY_ENV", "production")
    for url in (receiver.url, "https://169.254.169.254/latest", "https://localhost/x"):
        refused = await _create(gql, admin, url)
        assert [e["code"] for e in refused["userErrors"]] == ["INVALID_WEBHOOK_URL"], url
    # A name resolving to a private address (here: loopback, by /etc/hosts) is refused too.
    monkeypatch.setattr(subscriptions, "url_problem", lambda url, production: None)
    refused = await _create(gql, admin, "https://localhost.localdomain/x")
    assert [e["code"] for e in refused["userErrors"]] == ["INVALID_WEBHOOK_URL"]
    # At send time the host is resolved again: an existing loopback endpoint gets nothing.
    sid = created["subscription"]["id"]
    await gql.ok(PING, {"id": sid}, bearer=admin)
    await receiver.start()
    try:
        assert await sender.send_due(bus) == 1
    finally:
        await receiver.stop()
    assert receiver.requests == []
    data = await gql.ok(DELIVERIES, {"id": sid}, bearer=admin)
    [delivery] = data["webhookDeliveries"]["nodes"]
    assert delivery["status"] == "PENDING"
    assert delivery["attempts"][0]["error"] == "The host resolves to a refused address."


async def test_a_ping_is_sent_signed_listed_and_redelivered_under_its_id(
    gql: GraphQLClient, bus: MessageBus
) -> None:
    await provision(gql)
    crm = await partner(gql, "crm")
    receiver = Receiver()
    created = await _create(gql, crm, receiver.url)
    sid, secret = created["subscription"]["id"], created["secret"]
    ping = (await gql.ok(PING, {"id": sid}, bearer=crm))["sendTestWebhook"]
    assert ping["delivery"]["status"] == "PENDING"
    assert ping["delivery"]["eventType"] == "webhook.test"
    await receiver.start()
    try:
        assert await sender.send_due(bus) == 1
        redelivered = await gql.ok(REDELIVER, {"id": ping["delivery"]["id"]}, bearer=crm)
        assert redelivered["redeliverWebhook"]["delivery"]["status"] == "PENDING"
        assert await sender.send_due(bus) == 1
    finally:
        await receiver.stop()
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.headers["webhook-id"] == ping["delivery"]["messageId"]
    for request in (first, second):
        message = standardwebhooks.Webhook(secret).verify(request.body, request.headers)
        assert message["type"] == "webhook.test"
    data = await gql.ok(DELIVERIES, {"id": sid, "status": "DELIVERED"}, bearer=crm)
    [delivery] = data["webhookDeliveries"]["nodes"]
    assert delivery["attemptCount"] == 2
    assert [a["statusCode"] for a in delivery["attempts"]] == [200, 200]
    assert delivery["attempts"][0]["response"] == "ok"
    assert delivery["attempts"][0]["latencyMs"] >= 0
    data = await gql.ok(DELIVERIES, {"id": sid, "status": "FAILED"}, bearer=crm)
    assert data["webhookDeliveries"]["nodes"] == []


async def test_production_sends_to_the_address_it_checked_under_the_original_host(
    gql: GraphQLClient, bus: MessageBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The host is resolved and checked once per send, and the POST goes to that very address
    (Host header and TLS name kept), so a name re-resolving elsewhere (DNS rebinding) cannot
    redirect it."""
    await provision(gql)
    admin = token(Role.ADMIN)
    receiver = Receiver()
    url = f"http://localhost:{receiver.port}/hooks"
    created = await _create(gql, admin, url)
    monkeypatch.setenv("LOYALTY_ENV", "production")
    # This test's receiver is on loopback, which production refuses: admit it for the test only.
    monkeypatch.setattr(addresses, "refused_address", lambda address: False)
    await gql.ok(PING, {"id": created["subscription"]["id"]}, bearer=admin)
    sent: list[httpx.Request] = []

    async def record(request: httpx.Request) -> None:
        sent.append(request)

    await receiver.start()
    try:
        async with httpx.AsyncClient(event_hooks={"request": [record]}) as client:
            assert await sender.send_due(bus, client=client) == 1
    finally:
        await receiver.stop()
    [request] = sent
    assert request.url.host == "127.0.0.1"  # the address checked, not the name again
    [received] = receiver.requests
    assert received.headers["host"] == f"localhost:{receiver.port}"
    assert addresses.pinned("https://hooks.example:8443/in?x=1", "2001:db8::1") == (
        "https://[2001:db8::1]:8443/in?x=1",
        {"host": "hooks.example:8443"},
        {"sni_hostname": "hooks.example"},
    )
