"""requestErasure: personal data goes for good, anonymous records stay and still add up."""

from __future__ import annotations

import json

import pytest
from tortoise import connections

from api.auth import Role
from tests.conftest import token
from tests.e2e.conftest import ENROLL, GraphQLClient, enroll, provision
from tests.e2e.partner_helpers import partner
from tests.e2e.points_helpers import (
    assert_ledger_audits_clean,
    award_manual,
    award_order,
    member_token,
)
from tests.e2e.privacy_helpers import ADMIN, erase, exported, mentions
from tests.e2e.rewards_helpers import REDEEM as REDEEM_REWARD
from tests.e2e.rewards_helpers import create_reward, payload

pytestmark = pytest.mark.e2e

ANN = ("ann", "ann@example.com", "Ann")
CONSENT = """mutation($input: UpdateConsentsInput!) {
  updateConsents(input: $input) { userErrors { code } } }"""
PROFILE = """query($id: ID!) { member(id: $id) {
  externalId email displayName birthday status
  ledger(first: 10) { edges { node { reason actor { kind subject } } } } } }"""


async def setup(gql: GraphQLClient) -> tuple[str, str]:
    await provision(gql)
    ann = await enroll(gql, "ann")
    bob = await enroll(gql, "bob")
    await award_order(gql, "ann", "o-1", "30.00")
    await award_manual(gql, "ann", 50)
    # A member token's own write records it as its writer (member:ann).
    reward = await create_reward(gql, pointsCost=5)
    spent = await payload(
        gql,
        REDEEM_REWARD,
        {"idempotencyKey": "k-m", "rewardId": reward["id"]},
        bearer=member_token("ann"),
    )
    assert spent["userErrors"] == [], spent
    await award_manual(gql, "bob", 7)
    return ann, bob


async def outbox_payloads(member_key: int | None = None) -> str:
    rows = await connections.get("default").execute_query_dict(
        "SELECT type, member_id, payload::text AS payload FROM event_outbox ORDER BY id"
    )
    return json.dumps(rows, default=str)


async def test_an_admin_erases_a_member_and_nothing_personal_is_readable_anywhere(
    gql: GraphQLClient,
) -> None:
    ann, bob = await setup(gql)
    payload = await erase(gql, id=ann)
    assert payload["userErrors"] == []
    assert payload["memberId"] == ann
    assert payload["alreadyErased"] is False
    member = (await gql.ok(PROFILE, {"id": ann}, bearer=ADMIN))["member"]
    assert member["status"] == "ERASED"
    assert member["externalId"].startswith("erased:")
    assert member["email"].endswith("@erased.invalid")
    assert member["displayName"] == "Erased member"
    assert member["birthday"] is None
    assert mentions(member, *ANN) == []
    assert next(e["node"]["actor"] for e in member["ledger"]["edges"]) == {
        "kind": "MEMBER",
        "subject": None,
    }
    # The storefront's id no longer resolves; the other member is untouched.
    found = await gql.ok(
        '{ memberByExternalId(externalId: "ann") { id } }', bearer=token(Role.STOREFRONT)
    )
    assert found["memberByExternalId"] is None
    bob_now = (await gql.ok(PROFILE, {"id": bob}, bearer=ADMIN))["member"]
    assert bob_now["email"] == "bob@example.com"
    assert bob_now["status"] == "ACTIVE"
    # Nothing in the export, nothing in the event log; the ledger still audits clean.
    document = await exported(gql, ADMIN, id=ann)
    assert mentions(document, *ANN) == []
    assert document["points"]["ledger"], document
    assert mentions(await outbox_payloads(), *ANN) == []
    await assert_ledger_audits_clean()
    events = await gql.ok(
        '{ events(first: 5, types: ["member.erased"]) { edges { node { memberId payload } } } }',
        bearer=ADMIN,
    )
    [event] = [edge["node"] for edge in events["events"]["edges"]]
    assert event == {"memberId": ann, "payload": {"requestedBy": "admin"}}


async def test_a_database_dump_holds_nothing_of_the_erased_member(gql: GraphQLClient) -> None:
    ann, _ = await setup(gql)
    await exported(gql, member_token("ann"))
    # The consent area's records of the member's own say and of staff reads of it.
    said = await gql.ok(
        CONSENT,
        {"input": {"changes": [{"purpose": "marketing_email", "granted": True}]}},
        bearer=member_token("ann"),
    )
    assert said["updateConsents"]["userErrors"] == []
    await gql.ok(PROFILE, {"id": ann}, bearer=ADMIN)
    await erase(gql, id=ann)
    connection = connections.get("default")
    tables = await connection.execute_query_dict(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    )
    leaks = []
    for row in tables:
        table = row["tablename"]
        [found] = await connection.execute_query_dict(
            f"SELECT coalesce(string_agg(t::text, ','), '') AS d FROM \"{table}\" t"  # noqa: S608 - names from pg_tables
        )
        leaks += [(table, needle) for needle in ("ann@example.com", "Ann") if needle in found["d"]]
        # The externalId "ann" is a substring of many words: look for it as an actor or a value.
        leaks += [(table, n) for n in ("member:ann", '"ann"', ",ann,") if n in found["d"]]
    assert leaks == []


async def test_the_members_tokens_stop_working(gql: GraphQLClient) -> None:
    await setup(gql)
    mine = member_token("ann")
    payload = await erase(gql, bearer=mine)
    assert payload["userErrors"] == []
    assert payload["alreadyErased"] is False
    assert (await gql.ok("{ me { id email } }", bearer=mine))["me"] is None
    reward = (await gql.ok("{ rewards(first: 1) { edges { node { id } } } }", bearer=ADMIN))[
        "rewards"
    ]["edges"][0]["node"]["id"]
    body = await gql.post(
        REDEEM_REWARD, {"input": {"idempotencyKey": "k-2", "rewardId": reward}}, bearer=mine
    )
    spent = (body.get("data") or {}).get("redeemReward")
    assert spent is None or spent["redemption"] is None, body
    again = await erase(gql, bearer=mine)
    assert [e["code"] for e in again["userErrors"]] == ["MEMBER_NOT_FOUND"]


async def test_erasure_is_idempotent(gql: GraphQLClient) -> None:
    ann, _ = await setup(gql)
    first = await erase(gql, id=ann)
    before = await outbox_payloads()
    profile = await gql.ok(PROFILE, {"id": ann}, bearer=ADMIN)
    second = await erase(gql, id=ann)
    assert second["alreadyErased"] is True
    assert second["erasedAt"] == first["erasedAt"]
    assert second["memberId"] == ann
    assert await outbox_payloads() == before
    assert await gql.ok(PROFILE, {"id": ann}, bearer=ADMIN) == profile


async def test_an_erased_identity_is_not_enrolled_again(gql: GraphQLClient) -> None:
    ann, _ = await setup(gql)
    await erase(gql, externalId="ann")
    store = token(Role.STOREFRONT)
    for external_id, email in (("ann", "new@example.com"), ("ann-2", "ann@EXAMPLE.com")):
        data = await gql.ok(
            ENROLL,
            {"input": {"externalId": external_id, "email": email, "displayName": "Ann"}},
            bearer=store,
        )
        payload = data["enrollMember"]
        assert payload["member"] is None
        assert [e["code"] for e in payload["userErrors"]] == ["ERASED_MEMBER"], payload
    assert (await enroll(gql, "carl")) != ann


async def test_who_may_erase_whom(gql: GraphQLClient) -> None:
    ann, bob = await setup(gql)
    # A member names only itself; another member's id is as if there were none.
    refused = await erase(gql, bearer=member_token("ann"), id=bob)
    assert [e["code"] for e in refused["userErrors"]] == ["MEMBER_NOT_FOUND"]
    refused = await erase(gql, bearer=member_token("ann"), externalId="bob")
    assert [e["code"] for e in refused["userErrors"]] == ["MEMBER_NOT_FOUND"]
    for bearer in (token(Role.STOREFRONT), await partner(gql, "crm")):
        body = await gql.post(
            'mutation { requestErasure(input: {externalId: "bob"}) { memberId } }',
            bearer=bearer,
        )
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    other = await erase(gql, bearer=token(Role.ADMIN, "globex"), id=ann)
    assert [e["code"] for e in other["userErrors"]] == ["PROGRAM_NOT_FOUND"]
    await provision(gql, "globex")
    other = await erase(gql, bearer=token(Role.ADMIN, "globex"), id=ann)
    assert [e["code"] for e in other["userErrors"]] == ["MEMBER_NOT_FOUND"]
    both = await erase(gql, id=ann, externalId="ann")
    assert [e["code"] for e in both["userErrors"]] == ["INVALID_ID"]
    profile = await gql.ok(PROFILE, {"id": bob}, bearer=ADMIN)
    assert profile["member"]["status"] == "ACTIVE"
