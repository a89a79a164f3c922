"""What a partner may reach: fields by the scopes of its token, members only when it brought them
in or they share their data with partners (each read of their data logged), events with member
ids only by consent; partner clients themselves are for admins."""

from __future__ import annotations

from typing import Any

import pytest

from api.auth import Role
from tests.conftest import token
from tests.e2e.conftest import GraphQLClient, enroll, provision
from tests.e2e.partner_helpers import partner, partner_subject, register_client
from tests.e2e.points_helpers import ADMIN, STORE, member_token
from tests.e2e.referral_helpers import attribute, code_of, configure_referrals

pytestmark = pytest.mark.e2e

USAGE = "{ me { dataUsage(first: 10) { edges { node { purpose usedBy categories reason } } } } }"
SHARED = """query($id: String!) { partnerMember(externalId: $id) {
  externalId broughtByYou sharing status displayName email locale pointsAvailable } }"""
CONSENT = """mutation($input: UpdateConsentsInput!) { updateConsents(input: $input) {
  userErrors { code } } }"""
EVENTS = """{ events(first: 50, types: ["member.enrolled"]) { edges { node { id memberId } } } }"""
CLIENTS = "{ partnerClients(first: 10) { edges { node { id clientId name scopes active } } } }"
REGISTER = """mutation($input: RegisterPartnerClientInput!) { registerPartnerClient(input: $input)
  { client { id } clientSecret userErrors { field code } } }"""
FIELDS = {
    "referrals:read": "{ referrals(first: 1) { edges { cursor } } }",
    "members:read": '{ partnerMember(externalId: "ann") { externalId } }',
    "events:read": "{ events(first: 1) { edges { cursor } } }",
    "webhooks:manage": "{ webhookSubscriptions { nodes { id } } }",
    "referrals:write": """mutation { attributeReferral(input: {code: "ABCDEFGH",
      refereeExternalId: "ann", idempotencyKey: "k"}) { userErrors { code } } }""",
}


async def _share(gql: GraphQLClient, who: str, granted: bool = True) -> None:
    changes = [{"purpose": "partner_sharing", "granted": granted}]
    data = await gql.ok(CONSENT, {"input": {"changes": changes}}, bearer=member_token(who))
    assert data["updateConsents"]["userErrors"] == []


async def _shared(gql: GraphQLClient, bearer: str, who: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = (await gql.ok(SHARED, {"id": who}, bearer=bearer))[
        "partnerMember"
    ]
    return found


async def test_each_field_needs_its_scope(gql: GraphQLClient) -> None:
    await provision(gql)
    await enroll(gql, "ann")
    for scope, document in FIELDS.items():
        only = await partner(gql, f"only-{scope}", scopes=(scope,))
        assert "errors" not in await gql.post(document, bearer=only), scope
        for other, elsewhere in FIELDS.items():
            if other == scope:
                continue
            body = await gql.post(elsewhere, bearer=only)
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", (scope, other)
            assert f"scope {other}" in body["errors"][0]["message"]
    # Admin-only fields stay closed to every partner, whatever its scopes.
    everything = await partner(gql, "everything")
    for document in (CLIENTS, "{ members(first: 1) { edges { cursor } } }"):
        body = await gql.post(document, bearer=everything)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_partner_sees_members_it_brought_or_that_share_with_partners(
    gql: GraphQLClient,
) -> None:
    await provision(gql)
    await configure_referrals(gql)
    for who in ("ann", "bob", "carl", "dan"):
        await enroll(gql, who)
    p1, p2 = await partner(gql, "p1"), await partner(gql, "p2")
    attributed = await attribute(gql, await code_of(gql, "ann"), "bob", bearer=p1)
    assert attributed["userErrors"] == []
    await _share(gql, "dan")
    # Brought in, no consent: the relation only, no personal data, nothing logged.
    assert await _shared(gql, p1, "bob") == {
        "externalId": "bob",
        "broughtByYou": True,
        "sharing": False,
        "status": "ACTIVE",
        "displayName": None,
        "email": None,
        "locale": None,
        "pointsAvailable": None,
    }
    # Another partner, or a member with no tie to this one: as if there were none.
    assert await _shared(gql, p2, "bob") is None
    assert await _shared(gql, p1, "carl") is None
    assert await _shared(gql, p1, "nobody") is None
    # Sharing: the profile, and the read in the member's own data-usage log, once a day.
    for _ in range(2):
        dan = await _shared(gql, p2, "dan")
        assert dan is not None
        assert (dan["broughtByYou"], dan["sharing"], dan["email"]) == (
            False,
            True,
            "dan@example.com",
        )
    logged = (await gql.ok(USAGE, bearer=member_token("dan")))["me"]["dataUsage"]["edges"]
    partner_reads = [e["node"] for e in logged if e["node"]["purpose"] == "partner_sharing"]
    assert partner_reads == [
        {
            "purpose": "partner_sharing",
            "usedBy": f"the partner {await partner_subject(gql, 'p2')}",
            "categories": ["CONTACT", "LOYALTY_ACTIVITY", "PROFILE"],
            "reason": "profile read by p2",
        }
    ]
    logged = (await gql.ok(USAGE, bearer=member_token("bob")))["me"]["dataUsage"]["edges"]
    assert [e for e in logged if e["node"]["purpose"] == "partner_sharing"] == []
    # Withdrawn: the next read shows nothing personal (dan was not brought by p2: nothing).
    await _share(gql, "dan", granted=False)
    assert await _shared(gql, p2, "dan") is None
    # Another program's partner never sees acme's members.
    assert await _shared(gql, await partner(gql, "p1", program="globex"), "dan") is None


async def test_partners_read_events_with_member_ids_only_by_consent(gql: GraphQLClient) -> None:
    await provision(gql)
    ann, bob = await enroll(gql, "ann"), await enroll(gql, "bob")
    await _share(gql, "bob")
    seen = (await gql.ok(EVENTS, bearer=await partner(gql, "crm")))["events"]["edges"]
    assert [e["node"]["memberId"] for e in seen] == [bob, None]
    by_admin = (await gql.ok(EVENTS, bearer=ADMIN))["events"]["edges"]
    assert [e["node"]["memberId"] for e in by_admin] == [bob, ann]
    node = "query($id: ID!) { node(id: $id) { ... on Event { memberId } } }"
    event_id = seen[1]["node"]["id"]
    shown = await gql.ok(node, {"id": event_id}, bearer=await partner(gql, "crm"))
    assert shown["node"] == {"memberId": None}
    narrow = await partner(gql, "narrow", scopes=("referrals:read",))
    assert (await gql.ok(node, {"id": event_id}, bearer=narrow))["node"] is None


async def test_admins_register_and_list_clients_of_their_program_only(gql: GraphQLClient) -> None:
    await provision(gql)
    registered = await register_client(gql, "crm", scopes=("events:read", "referrals:read"))
    assert registered["clientSecret"].startswith("pcs_")
    client = registered["client"]
    assert client["scopes"] == ["EVENTS_READ", "REFERRALS_READ"]
    listed = (await gql.ok(CLIENTS, bearer=ADMIN))["partnerClients"]["edges"]
    assert [e["node"]["clientId"] for e in listed] == [client["clientId"]]
    node = "query($id: ID!) { node(id: $id) { ... on PartnerClient { name } } }"
    assert (await gql.ok(node, {"id": client["id"]}, bearer=ADMIN))["node"] == {"name": "crm"}
    await provision(gql, "globex")
    globex = token(Role.ADMIN, "globex")
    assert (await gql.ok(node, {"id": client["id"]}, bearer=globex))["node"] is None
    assert (await gql.ok(CLIENTS, bearer=globex))["partnerClients"]["edges"] == []
    assert (await gql.ok(node, {"id": client["id"]}, bearer=STORE))["node"] is None
    body = await gql.post(CLIENTS, bearer=STORE)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # The secret is never answered again.
    assert "errors" in await gql.post(
        "{ partnerClients { edges { node { secret } } } }", bearer=ADMIN
    )


@pytest.mark.parametrize(
    ("input", "codes"),
    [
        ({"name": "", "scopes": ["EVENTS_READ"]}, [(["input", "name"], "INVALID_NAME")]),
        ({"name": "x" * 101, "scopes": ["EVENTS_READ"]}, [(["input", "name"], "INVALID_NAME")]),
        ({"name": "crm", "scopes": []}, [(["input", "scopes"], "INVALID_SCOPES")]),
    ],
)
async def test_bad_registrations_are_user_errors_and_register_nothing(
    gql: GraphQLClient, input: dict[str, Any], codes: list[tuple[list[str], str]]
) -> None:
    await provision(gql)
    payload = (await gql.ok(REGISTER, {"input": input}, bearer=ADMIN))["registerPartnerClient"]
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == codes
    assert payload["clientSecret"] is None
    assert (await gql.ok(CLIENTS, bearer=ADMIN))["partnerClients"]["edges"] == []
    unknown = await gql.post(REGISTER, {"input": {"name": "crm", "scopes": ["ROOT"]}}, bearer=ADMIN)
    assert unknown["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_partner_event_payloads_keep_members_private_without_consent(
    gql: GraphQLClient,
) -> None:
    from tests.e2e.points_helpers import award_order
    from tests.e2e.referral_helpers import enroll_with

    await provision(gql)
    await configure_referrals(gql)
    await enroll(gql, "ann")
    await enroll_with(gql, "bob", await code_of(gql, "ann"))
    await award_order(gql, "ann", "o-ann", "30.00")
    crm = await partner(gql, "crm")
    query = "{ events(first: 50) { edges { node { type memberId payload } } } }"

    def by_type(edges: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        return {e["node"]["type"]: e["node"] for e in edges}

    seen = by_type((await gql.ok(query, bearer=crm))["events"]["edges"])
    assert not any(t.startswith(("partner.", "webhook.")) for t in seen)
    assert seen["referral.attributed"]["payload"]["referrerId"] is None
    earned = seen["points.earned"]
    assert earned["memberId"] is None
    assert "availableAfter" not in earned["payload"]
    assert "sourceRef" not in earned["payload"]
    assert earned["payload"]["points"] == 30
    hidden = await gql.ok(
        '{ events(types: ["partner.client_registered"]) { edges { cursor } } }', bearer=crm
    )
    assert hidden["events"]["edges"] == []

    await _share(gql, "ann")
    seen = by_type((await gql.ok(query, bearer=crm))["events"]["edges"])
    assert seen["referral.attributed"]["payload"]["referrerId"] is not None
    assert seen["points.earned"]["payload"]["availableAfter"] == 30
    await gql.ok(query, bearer=crm)  # read again the same day: logged once
    logged = (await gql.ok(USAGE, bearer=member_token("ann")))["me"]["dataUsage"]["edges"]
    reads = [e["node"] for e in logged if e["node"]["reason"] == "event log read by a partner"]
    assert len(reads) == 1
    assert reads[0]["usedBy"] == f"the partner {await partner_subject(gql, 'crm')}"


async def test_revoking_a_client_stops_its_webhooks_too(gql: GraphQLClient) -> None:
    await provision(gql)
    crm = await partner(gql, "crm")
    subscribe = """mutation { createWebhookSubscription(input: {url: "http://127.0.0.1:9/in",
      eventTypes: ["member.enrolled"]}) { subscription { id } userErrors { code } } }"""
    created = (await gql.ok(subscribe, bearer=crm))["createWebhookSubscription"]
    sid = created["subscription"]["id"]
    ping = (
        "mutation($id: ID!) { sendTestWebhook(input: {subscriptionId: $id}) { delivery { id } } }"
    )
    await gql.ok(ping, {"id": sid}, bearer=crm)
    client = (await gql.ok(CLIENTS, bearer=ADMIN))["partnerClients"]["edges"][0]["node"]
    revoke = (
        "mutation($id: ID!) { revokePartnerClient(input: {clientId: $id}) { userErrors { code } } }"
    )
    assert (await gql.ok(revoke, {"id": client["id"]}, bearer=ADMIN))["revokePartnerClient"] == {
        "userErrors": []
    }
    listed = await gql.ok(
        "{ webhookSubscriptions { nodes { id active disabledReason } } }", bearer=ADMIN
    )
    assert listed["webhookSubscriptions"]["nodes"] == [
        {
            "id": sid,
            "active": False,
            "disabledReason": "The partner client that owns it was revoked.",
        }
    ]
    deliveries = await gql.ok(
        "query($id: ID!) { webhookDeliveries(subscription: $id) { nodes { status } } }",
        {"id": sid},
        bearer=ADMIN,
    )
    assert deliveries["webhookDeliveries"]["nodes"] == [{"status": "FAILED"}]


async def test_subscribing_to_events_needs_events_read_too(gql: GraphQLClient) -> None:
    await provision(gql)
    only = await partner(gql, "hooks", scopes=("webhooks:manage",))
    subscribe = """mutation { createWebhookSubscription(input: {url: "http://127.0.0.1:9/in",
      eventTypes: ["member.enrolled"]}) { userErrors { code } } }"""
    body = await gql.post(subscribe, bearer=only)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "events:read" in body["errors"][0]["message"]
    assert "errors" not in await gql.post("{ webhookSubscriptions { nodes { id } } }", bearer=only)
    both = await partner(gql, "both", scopes=("webhooks:manage", "events:read"))
    hidden = """mutation { createWebhookSubscription(input: {url: "http://127.0.0.1:9/in",
      eventTypes: ["partner.client_revoked"]}) { userErrors { field code } } }"""
    refused = (await gql.ok(hidden, bearer=both))["createWebhookSubscription"]["userErrors"]
    assert refused == [{"field": ["input", "eventTypes", "0"], "code": "INVALID_EVENT_TYPES"}]
