"""Consent through GraphQL: purposes seeded per program, the consent ledger, re-consent after a
new policy version, enforcement (withdrawing personalization stops suggestions at once), and who
may read a member's consents."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import GraphQLClient, enroll
from tests.e2e.partner_helpers import partner
from tests.e2e.points_helpers import ADMIN, STORE, award_manual, member_token
from tests.e2e.rewards_helpers import create_reward

pytestmark = pytest.mark.e2e

CONSENTS = """{ me { consents { purpose { key legalBasis policyVersion withdrawable }
  granted since policyVersion needsReconsent } } }"""
HISTORY = """{ me { consentHistory(first: 10) { edges { node { purpose granted policyVersion
  source recordedBy recordedAt } } pageInfo { hasNextPage } } } }"""
UPDATE = """mutation($input: UpdateConsentsInput!) { updateConsents(input: $input) {
  consents { purpose { key } granted needsReconsent policyVersion }
  userErrors { field message code } } }"""
PUBLISH = """mutation($input: PublishPolicyVersionInput!) { publishPolicyVersion(input: $input) {
  purpose { key policyVersion description } userErrors { field code } } }"""
CREATE = """mutation($input: CreatePurposeInput!) { createPurpose(input: $input) {
  purpose { key legalBasis policyVersion withdrawable } userErrors { field code } } }"""
REACH = "{ me { rewardsWithinReach(first: 3) { reward { name } pointsNeeded } } }"
EVENTS = "{ events(first: 20) { edges { node { type payload } } } }"


async def _consents(gql: GraphQLClient, who: str) -> dict[str, dict[str, Any]]:
    data = await gql.ok(CONSENTS, bearer=member_token(who))
    return {c["purpose"]["key"]: c for c in data["me"]["consents"]}


async def _update(gql: GraphQLClient, bearer: str, **input: Any) -> dict[str, Any]:
    data = await gql.ok(UPDATE, {"input": input}, bearer=bearer)
    payload: dict[str, Any] = data["updateConsents"]
    return payload


def _change(purpose: str, granted: bool) -> dict[str, Any]:
    return {"purpose": purpose, "granted": granted}


async def test_every_program_starts_with_the_default_purposes(gql: GraphQLClient, ann: str) -> None:
    found = await _consents(gql, ann)
    assert {k: (c["purpose"]["legalBasis"], c["granted"]) for k, c in found.items()} == {
        "account": ("CONTRACT", True),
        "marketing_email": ("CONSENT", False),
        "marketing_push": ("CONSENT", False),
        "marketing_sms": ("CONSENT", False),
        "personalization": ("LEGITIMATE_INTEREST", True),
        "profiling": ("CONSENT", False),
        "partner_sharing": ("CONSENT", False),
        "analytics": ("LEGITIMATE_INTEREST", True),
        "referral_display": ("CONSENT", False),
    }
    assert all(c["since"] is None and c["policyVersion"] is None for c in found.values())
    assert found["account"]["purpose"]["withdrawable"] is False
    purposes = await gql.ok("{ consentPurposes { key } }", bearer=ADMIN)
    assert len(purposes["consentPurposes"]) == 9


async def test_a_member_grants_and_withdraws_and_the_ledger_keeps_every_say(
    gql: GraphQLClient, ann: str
) -> None:
    me = member_token(ann)
    payload = await _update(
        gql, me, changes=[_change("marketing_email", True), _change("profiling", True)]
    )
    assert payload["userErrors"] == []
    granted = {c["purpose"]["key"]: c["granted"] for c in payload["consents"]}
    assert granted["marketing_email"] is True
    assert granted["profiling"] is True
    payload = await _update(gql, me, changes=[_change("marketing_email", False)])
    assert payload["userErrors"] == []
    # Saying again what holds changes nothing and records nothing.
    assert (await _update(gql, me, changes=[_change("marketing_email", False)]))["userErrors"] == []
    found = await _consents(gql, ann)
    assert found["marketing_email"]["granted"] is False
    assert found["marketing_email"]["since"] == "2026-06-15T12:00:00+00:00"
    history = (await gql.ok(HISTORY, bearer=me))["me"]["consentHistory"]["edges"]
    assert [(e["node"]["purpose"], e["node"]["granted"]) for e in history] == [
        ("marketing_email", False),
        ("profiling", True),
        ("marketing_email", True),
    ]
    assert {e["node"]["source"] for e in history} == {"APP"}
    assert history[0]["node"]["recordedBy"] == "you"
    events = (await gql.ok(EVENTS, bearer=ADMIN))["events"]["edges"]
    consent_events = [
        (e["node"]["type"], e["node"]["payload"])
        for e in events
        if e["node"]["type"].startswith("consent.")
    ]
    # Newest first; the two grants of one write share its time.
    assert consent_events[0] == (
        "consent.withdrawn",
        {"purpose": "marketing_email", "policyVersion": 1},
    )
    assert sorted(consent_events[1:], key=str) == [
        ("consent.granted", {"purpose": "marketing_email", "policyVersion": 1}),
        ("consent.granted", {"purpose": "profiling", "policyVersion": 1}),
    ]


async def test_refusals_are_typed_and_change_nothing(gql: GraphQLClient, ann: str) -> None:
    me = member_token(ann)
    refused = await _update(
        gql, me, changes=[_change("account", False), _change("nope", True), _change("NOPE", True)]
    )
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
        (["input", "changes", "2", "purpose"], "UNKNOWN_PURPOSE")
    ]
    refused = await _update(gql, me, changes=[_change("account", False), _change("nope", True)])
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
        (["input", "changes", "0", "purpose"], "NOT_WITHDRAWABLE"),
        (["input", "changes", "1", "purpose"], "UNKNOWN_PURPOSE"),
    ]
    assert refused["consents"] is None
    twice = await _update(
        gql, me, changes=[_change("profiling", True), _change("profiling", False)]
    )
    assert [e["code"] for e in twice["userErrors"]] == ["INVALID_CONSENT_CHANGE"]
    assert [e["code"] for e in (await _update(gql, me, changes=[]))["userErrors"]] == [
        "INVALID_CONSENT_CHANGE"
    ]
    wrong_source = await _update(gql, me, changes=[_change("profiling", True)], source="ADMIN")
    assert [e["code"] for e in wrong_source["userErrors"]] == ["INVALID_CONSENT_SOURCE"]
    history = await gql.ok(HISTORY, bearer=me)
    assert history["me"]["consentHistory"]["edges"] == []


async def test_a_storefront_records_consent_given_at_checkout(gql: GraphQLClient, ann: str) -> None:
    payload = await _update(
        gql, STORE, externalId=ann, changes=[_change("marketing_sms", True)], source="STOREFRONT"
    )
    assert payload["userErrors"] == []
    [entry] = (await gql.ok(HISTORY, bearer=member_token(ann)))["me"]["consentHistory"]["edges"]
    assert entry["node"]["source"] == "STOREFRONT"
    assert entry["node"]["recordedBy"] == "the storefront storefront-client"
    unnamed = await _update(gql, STORE, changes=[_change("marketing_sms", True)])
    assert [e["code"] for e in unnamed["userErrors"]] == ["MEMBER_NOT_FOUND"]
    unknown = await _update(gql, STORE, externalId="zed", changes=[_change("marketing_sms", True)])
    assert [(e["field"], e["code"]) for e in unknown["userErrors"]] == [
        (["input", "externalId"], "MEMBER_NOT_FOUND")
    ]
    admin = await _update(
        gql, ADMIN, externalId=ann, changes=[_change("partner_sharing", True)], source="PARTNER"
    )
    assert admin["userErrors"] == []


async def test_re_consent_after_a_new_policy_version(gql: GraphQLClient, ann: str) -> None:
    me = member_token(ann)
    await _update(gql, me, changes=[_change("marketing_email", True)])
    data = await gql.ok(
        PUBLISH,
        {"input": {"purpose": "marketing_email", "description": "Weekly offers."}},
        bearer=ADMIN,
    )
    assert data["publishPolicyVersion"] == {
        "purpose": {"key": "marketing_email", "policyVersion": 2, "description": "Weekly offers."},
        "userErrors": [],
    }
    found = (await _consents(gql, ann))["marketing_email"]
    assert (found["granted"], found["policyVersion"], found["needsReconsent"]) == (True, 1, True)
    payload = await _update(gql, me, changes=[_change("marketing_email", True)])
    assert payload["userErrors"] == []
    found = (await _consents(gql, ann))["marketing_email"]
    assert (found["granted"], found["policyVersion"], found["needsReconsent"]) == (True, 2, False)
    unknown = await gql.ok(PUBLISH, {"input": {"purpose": "nope"}}, bearer=ADMIN)
    assert unknown["publishPolicyVersion"]["userErrors"] == [
        {"field": ["input", "purpose"], "code": "UNKNOWN_PURPOSE"}
    ]


async def test_admins_add_purposes(gql: GraphQLClient, ann: str) -> None:
    new = {"key": "surveys", "description": "Invitations to surveys.", "legalBasis": "CONSENT"}
    data = await gql.ok(CREATE, {"input": new}, bearer=ADMIN)
    assert data["createPurpose"] == {
        "purpose": {
            "key": "surveys",
            "legalBasis": "CONSENT",
            "policyVersion": 1,
            "withdrawable": True,
        },
        "userErrors": [],
    }
    again = await gql.ok(CREATE, {"input": new}, bearer=ADMIN)
    assert again["createPurpose"]["userErrors"] == [
        {"field": ["input", "key"], "code": "PURPOSE_EXISTS"}
    ]
    bad = await gql.ok(CREATE, {"input": {**new, "key": "Bad Key"}}, bearer=ADMIN)
    assert bad["createPurpose"]["userErrors"] == [
        {"field": ["input", "key"], "code": "INVALID_PURPOSE"}
    ]
    assert (await _consents(gql, ann))["surveys"]["granted"] is False
    forbidden = await gql.post(CREATE, {"input": new}, bearer=STORE)
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_withdrawing_personalization_stops_suggestions_at_once(
    gql: GraphQLClient, ann: str
) -> None:
    await award_manual(gql, ann, 90)
    await create_reward(gql, name="Mug", pointsCost=100)
    me = member_token(ann)
    assert (await gql.ok(REACH, bearer=me))["me"]["rewardsWithinReach"] == [
        {"reward": {"name": "Mug"}, "pointsNeeded": 10}
    ]
    payload = await _update(gql, me, changes=[_change("personalization", False)])
    assert payload["userErrors"] == []
    assert (await gql.ok(REACH, bearer=me))["me"]["rewardsWithinReach"] == []
    await _update(gql, me, changes=[_change("personalization", True)])
    assert len((await gql.ok(REACH, bearer=me))["me"]["rewardsWithinReach"]) == 1


async def test_nobody_else_reads_a_members_consents(gql: GraphQLClient, ann: str) -> None:
    bob_id = await enroll(gql, "bob")
    ann_token = member_token(ann)
    fields = "consents { granted } consentHistory { edges { cursor } } dataUsage { edges { cursor } } preferences { timezone }"
    # Another member's global id finds nothing for a member token.
    via_node = await gql.ok(
        f'{{ node(id: "{bob_id}") {{ ... on Member {{ {fields} }} }} }}', bearer=ann_token
    )
    assert via_node == {"node": None}
    direct = await gql.post(f'{{ member(id: "{bob_id}") {{ {fields} }} }}', bearer=ann_token)
    assert direct["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    changed = await gql.post(
        UPDATE,
        {"input": {"externalId": "bob", "changes": [_change("profiling", True)]}},
        bearer=ann_token,
    )
    assert changed["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    crm = await gql.post(
        f'{{ member(id: "{bob_id}") {{ {fields} }} }}', bearer=await partner(gql, "crm")
    )
    assert crm["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    staff = await gql.ok(f'{{ member(id: "{bob_id}") {{ consents {{ granted }} }} }}', bearer=ADMIN)
    assert len(staff["member"]["consents"]) == 9
