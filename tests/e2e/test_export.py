"""requestDataExport and GET /exports/{id}: every record of the member, nothing of another."""

from __future__ import annotations

from datetime import timedelta

import pytest

from api.auth import Role
from domain.clock import FixedClock
from tests.conftest import token
from tests.e2e.conftest import GraphQLClient, enroll, provision
from tests.e2e.partner_helpers import partner
from tests.e2e.points_helpers import award_manual, award_order, member_token, redeem
from tests.e2e.privacy_helpers import ADMIN, download, exported, mentions, request_export
from tests.e2e.rewards_helpers import REDEEM, create_reward, payload
from tests.e2e.tier_helpers import configure_tiers

pytestmark = pytest.mark.e2e


async def setup(gql: GraphQLClient) -> tuple[str, str]:
    await provision(gql)
    ann = await enroll(gql, "ann")
    bob = await enroll(gql, "bob")
    await configure_tiers(gql)
    await award_order(gql, "ann", "o-1", "300.00")
    await award_manual(gql, "ann", 50)
    await redeem(gql, "ann", 10)
    reward = await create_reward(
        gql, kind="DISCOUNT_CODE", pointsCost=20, discount={"type": "FREE_SHIPPING"}
    )
    redeemed = await payload(
        gql, REDEEM, {"idempotencyKey": "k-r", "rewardId": reward["id"], "externalId": "ann"}
    )
    assert redeemed["userErrors"] == [], redeemed
    await award_order(gql, "bob", "o-bob-77", "12.00")
    return ann, bob


async def test_an_export_holds_every_record_of_the_member_and_nothing_of_another(
    gql: GraphQLClient,
) -> None:
    _ann, _ = await setup(gql)
    document = await exported(gql, member_token("ann"))
    assert document["format"] == "loyalty-member-export/1"
    assert document["program"] == "acme"
    profile = document["profile"]
    assert profile["externalId"] == "ann"
    assert profile["email"] == "ann@example.com"
    ledger = document["points"]["ledger"]
    assert [e["kind"] for e in ledger] == ["EARN", "EARN", "REDEEM", "REDEEM"]
    assert all(e["explanation"] for e in ledger)
    assert sum(e["points"] for e in ledger) == document["points"]["balance"]["available"]
    assert document["tier"]["history"], document["tier"]
    [redemption] = document["redemptions"]
    assert redemption["code"]
    assert redemption["points"] == 20
    assert mentions(document, "bob", "o-bob-77") == []


async def test_an_admin_exports_any_member_of_its_program(gql: GraphQLClient) -> None:
    _ann, bob = await setup(gql)
    by_id = await exported(gql, ADMIN, id=bob)
    assert by_id["profile"]["email"] == "bob@example.com"
    assert mentions(by_id, "ann@example.com", "o-1") == []
    by_external = await exported(gql, ADMIN, externalId="ann")
    assert by_external["profile"]["email"] == "ann@example.com"


async def test_a_member_token_cannot_read_another_members_export(gql: GraphQLClient) -> None:
    _ann, bob = await setup(gql)
    made = await request_export(gql, member_token("bob"))
    path = made["export"]["downloadPath"]
    assert made["export"]["memberId"] == bob
    assert (await download(gql, path, member_token("ann")))[0] == 404
    refused = await request_export(gql, member_token("ann"), id=bob)
    assert [e["code"] for e in refused["userErrors"]] == ["MEMBER_NOT_FOUND"]
    refused = await request_export(gql, member_token("ann"), externalId="bob")
    assert [e["code"] for e in refused["userErrors"]] == ["MEMBER_NOT_FOUND"]
    crm = await partner(gql, "crm")
    for bearer in (token(Role.STOREFRONT), token(Role.ADMIN, "globex"), crm):
        assert (await download(gql, path, bearer))[0] == 404
    assert (await download(gql, path, None))[0] == 401
    assert (await download(gql, path, "not-a-token"))[0] == 401
    assert (await download(gql, "/exports/999999", ADMIN))[0] == 404
    assert (await download(gql, "/exports/x1", ADMIN))[0] == 404
    assert (await download(gql, path, ADMIN))[0] == 200
    assert (await download(gql, path, member_token("bob")))[0] == 200
    body = await gql.post(
        "mutation { requestDataExport(input: {}) { export { id } } }", bearer=token(Role.STOREFRONT)
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_an_export_expires_after_a_day(gql: GraphQLClient, clock: FixedClock) -> None:
    await setup(gql)
    made = await request_export(gql, member_token("ann"))
    export = made["export"]
    path = export["downloadPath"]
    clock.advance(timedelta(hours=23, minutes=59))
    assert (await download(gql, path, member_token("ann")))[0] == 200
    clock.advance(timedelta(minutes=1))
    assert (await download(gql, path, member_token("ann")))[0] == 410
    assert (await download(gql, path, member_token("bob")))[0] == 404


async def test_an_erasure_deletes_the_members_exports(gql: GraphQLClient) -> None:
    ann, _ = await setup(gql)
    made = await request_export(gql, member_token("ann"))
    path = made["export"]["downloadPath"]
    erased = await gql.ok(
        "mutation($id: ID!) { requestErasure(input: {id: $id}) { userErrors { code } } }",
        {"id": ann},
        bearer=ADMIN,
    )
    assert erased["requestErasure"]["userErrors"] == []
    assert (await download(gql, path, ADMIN))[0] == 404


async def test_an_export_is_logged_as_a_use_of_the_members_data(gql: GraphQLClient) -> None:
    await setup(gql)
    first = await exported(gql, member_token("ann"))
    assert first["consents"] == []
    assert "preferences" in first
    assert [u for u in first["dataUsage"] if u["reason"] == "data export"] == []
    second = await exported(gql, ADMIN, externalId="ann")
    [use] = [u for u in second["dataUsage"] if u["reason"] == "data export"]
    assert use["purposeKey"] == "account"
    assert use["actor"] == "member"
    assert "LOYALTY_ACTIVITY" in use["categories"]
    bob = await exported(gql, member_token("bob"))
    assert [u for u in bob["dataUsage"] if u["reason"] == "data export"] == []
