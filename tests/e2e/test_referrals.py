"""Referrals through GraphQL: codes, attribution at enrolment and by partners, both rewards at the
referee's first qualifying order, clawback on return, fraud rules, review and who sees what."""

from __future__ import annotations

from typing import Any

import pytest

from domain.referrals import ALPHABET, CODE_LENGTH
from loyalty.referrals.models import ReferralFraud
from tests.e2e.conftest import GraphQLClient, enroll, provision
from tests.e2e.partner_helpers import partner
from tests.e2e.points_helpers import (
    ADMIN,
    STORE,
    award_order,
    balance,
    errors,
    ledger,
    member_token,
    reverse,
)
from tests.e2e.referral_helpers import (
    REGENERATE,
    attribute,
    code_of,
    configure_referrals,
    enroll_with,
    me,
    program_referrals,
    review,
)

pytestmark = pytest.mark.e2e

CONSENT = """mutation($input: UpdateConsentsInput!) { updateConsents(input: $input) {
  userErrors { code } } }"""
SUSPEND = """mutation($input: UpdateMemberInput!) { updateMember(input: $input) {
  userErrors { code } } }"""


@pytest.fixture
async def ann(gql: GraphQLClient) -> str:
    """Program acme with referral settings, and ann, the referrer."""
    await provision(gql)
    payload = await configure_referrals(gql)
    assert payload["userErrors"] == [], payload
    await enroll(gql, "ann")
    return "ann"


def _points(entries: list[dict[str, Any]], reason_code: str) -> list[int]:
    return [e["points"] for e in entries if e["reasonCode"] == reason_code]


async def _rules() -> list[tuple[str, str]]:
    return [(row.rule, row.verdict) for row in await ReferralFraud.all().order_by("id")]


async def test_every_member_has_a_short_unambiguous_code_and_a_link(
    gql: GraphQLClient, ann: str
) -> None:
    found = await me(gql, ann)
    code = found["referralCode"]
    assert len(code) == CODE_LENGTH
    assert set(code) <= set(ALPHABET)
    assert not set(code) & set("ILOU")
    assert found["referralLink"] == f"https://shop.example/r/{code}"
    assert (await me(gql, ann))["referralCode"] == code  # the same at every read
    await enroll(gql, "bob")
    assert await code_of(gql, "bob") != code


async def test_a_full_referral_rewards_both_sides_once(gql: GraphQLClient, ann: str) -> None:
    code = await code_of(gql, ann)
    payload = await enroll_with(gql, "bob", code.lower())  # case-insensitive
    assert payload["created"] is True
    assert payload["referralErrors"] == []
    [pending] = (await me(gql, ann))["referrals"]["edges"]
    assert pending["node"]["status"] == "PENDING"

    await award_order(gql, "bob", "o-small", "10.00")  # below the minimum: not yet
    assert (await balance(gql, ann))["available"] == 0
    await award_order(gql, "bob", "o-1", "50.00")
    assert (await balance(gql, ann))["available"] == 500
    assert (await balance(gql, "bob"))["available"] == 10 + 50 + 200
    await award_order(gql, "bob", "o-2", "80.00")  # only the first qualifying order converts
    assert (await balance(gql, ann))["available"] == 500

    [referrer_entry] = [e for e in await ledger(gql, ann) if e["reasonCode"] == "REFERRAL"]
    assert referrer_entry["points"] == 500
    assert "Referral" in referrer_entry["reason"]
    assert referrer_entry["sourceReference"].startswith("referral:")
    assert _points(await ledger(gql, "bob"), "REFERRAL") == [200]

    [edge] = (await me(gql, ann))["referrals"]["edges"]
    node = edge["node"]
    assert (node["status"], node["rewardedPoints"], node["refereeRewardedPoints"]) == (
        "CONVERTED",
        500,
        200,
    )
    assert node["referee"] == {"displayName": None}  # bob has not agreed to be shown
    change = {"changes": [{"purpose": "referral_display", "granted": True}], "source": "APP"}
    data = await gql.ok(CONSENT, {"input": change}, bearer=member_token("bob"))
    assert data["updateConsents"]["userErrors"] == []
    [edge] = (await me(gql, ann))["referrals"]["edges"]
    assert edge["node"]["referee"] == {"displayName": "Bob"}

    events = await gql.ok("{ events(first: 50) { edges { node { type } } } }", bearer=ADMIN)
    types = [e["node"]["type"] for e in events["events"]["edges"]]
    assert types.count("referral.attributed") == 1
    assert types.count("referral.converted") == 1


async def test_a_full_return_claws_both_rewards_back(gql: GraphQLClient, ann: str) -> None:
    await enroll_with(gql, "bob", await code_of(gql, ann))
    await award_order(gql, "bob", "o-1", "50.00")
    payload = await reverse(gql, "o-1", "r-1", "50.00")
    assert payload["userErrors"] == [], payload
    assert (await balance(gql, ann))["available"] == 0
    assert (await balance(gql, "bob"))["available"] == 0
    assert _points(await ledger(gql, ann), "REFERRAL") == [-500, 500]
    [edge] = (await me(gql, ann))["referrals"]["edges"]
    assert edge["node"]["status"] == "REVERSED"


async def test_a_partial_return_below_the_minimum_claws_back_and_one_above_does_not(
    gql: GraphQLClient, ann: str
) -> None:
    await enroll_with(gql, "bob", await code_of(gql, ann))
    await award_order(gql, "bob", "o-1", "50.00")
    await reverse(gql, "o-1", "r-1", "20.00")  # 30 left: still at least 20
    assert (await balance(gql, ann))["available"] == 500
    await reverse(gql, "o-1", "r-2", "15.00")  # 15 left: below the minimum
    assert (await balance(gql, ann))["available"] == 0
    assert _points(await ledger(gql, "bob"), "REFERRAL") == [-200, 200]


async def test_self_referral_by_the_same_email_is_refused_and_audited(
    gql: GraphQLClient, ann: str
) -> None:
    payload = await enroll_with(gql, "ann-2", await code_of(gql, ann), email=" ANN@example.com")
    assert payload["created"] is True  # enrolled all the same
    assert payload["referralErrors"] == [
        {"field": ["input", "referralCode"], "code": "SELF_REFERRAL"}
    ]
    assert (await me(gql, ann))["referrals"]["edges"] == []
    assert await _rules() == [("SELF_REFERRAL", "INVALID")]


async def test_a_partner_cannot_refer_the_referrer_itself(gql: GraphQLClient, ann: str) -> None:
    payload = await attribute(gql, await code_of(gql, ann), ann, bearer=await partner(gql, "p1"))
    assert errors(payload) == ["SELF_REFERRAL"]


async def test_unknown_and_malformed_codes_do_not_attribute(gql: GraphQLClient, ann: str) -> None:
    payload = await enroll_with(gql, "bob", "ZZZZZZZZ")
    assert [e["code"] for e in payload["referralErrors"]] == ["INVALID_REFERRAL_CODE"]
    payload = await enroll_with(gql, "carl", "not a code!")
    assert [e["code"] for e in payload["referralErrors"]] == ["INVALID_REFERRAL_CODE"]


async def test_a_suspended_referrers_code_does_not_attribute(gql: GraphQLClient, ann: str) -> None:
    code = await code_of(gql, ann)
    [member] = (
        await gql.ok('{ memberByExternalId(externalId: "ann") { id } }', bearer=ADMIN)
    ).values()
    data = await gql.ok(
        SUSPEND, {"input": {"id": member["id"], "status": "SUSPENDED"}}, bearer=STORE
    )
    assert data["updateMember"]["userErrors"] == []
    payload = await enroll_with(gql, "bob", code)
    assert [e["code"] for e in payload["referralErrors"]] == ["REFERRER_NOT_ACTIVE"]
    assert await _rules() == [("REFERRER_NOT_ACTIVE", "INVALID")]


async def test_an_existing_customer_is_not_a_referral(gql: GraphQLClient, ann: str) -> None:
    await enroll(gql, "bob")
    await award_order(gql, "bob", "o-1", "50.00")
    payload = await attribute(gql, await code_of(gql, ann), "bob", bearer=await partner(gql, "p1"))
    assert errors(payload) == ["REFEREE_ALREADY_MEMBER"]
    assert await _rules() == [("ALREADY_MEMBER", "INVALID")]


async def test_the_first_valid_attribution_wins(gql: GraphQLClient, ann: str) -> None:
    await enroll(gql, "carl")
    await enroll_with(gql, "bob", await code_of(gql, ann))
    payload = await attribute(
        gql, await code_of(gql, "carl"), "bob", bearer=await partner(gql, "p1")
    )
    assert errors(payload) == ["ALREADY_REFERRED"]


async def test_over_the_velocity_cap_a_conversion_is_held_for_review(
    gql: GraphQLClient, ann: str
) -> None:
    await configure_referrals(gql, velocityCap=1, velocityDays=7)
    code = await code_of(gql, ann)
    await enroll_with(gql, "bob", code)
    await enroll_with(gql, "carl", code)
    await award_order(gql, "bob", "o-1", "50.00")
    await award_order(gql, "carl", "o-2", "50.00")
    assert (await balance(gql, ann))["available"] == 500
    assert (await balance(gql, "carl"))["available"] == 50
    [held] = await program_referrals(gql, status="HELD")
    assert held["holdRule"] == "VELOCITY_CAP"
    assert await _rules() == [("VELOCITY_CAP", "SUSPICIOUS")]
    payload = await review(gql, held["id"], True)
    assert payload["userErrors"] == []
    assert payload["referral"]["status"] == "CONVERTED"
    assert (await balance(gql, ann))["available"] == 1000
    assert (await balance(gql, "carl"))["available"] == 250
    again = await review(gql, held["id"], True)  # rewarded once
    assert [e["code"] for e in again["userErrors"]] == ["INVALID_REFERRAL_STATE"]
    assert (await balance(gql, ann))["available"] == 1000


async def test_a_rejected_review_rewards_nobody(gql: GraphQLClient, ann: str) -> None:
    await configure_referrals(gql, velocityCap=1)
    code = await code_of(gql, ann)
    await enroll_with(gql, "bob", code)
    await enroll_with(gql, "carl", code)
    await award_order(gql, "bob", "o-1", "50.00")
    await award_order(gql, "carl", "o-2", "50.00")
    [held] = await program_referrals(gql, status="HELD")
    payload = await review(gql, held["id"], False)
    assert payload["referral"]["status"] == "REJECTED"
    assert (await balance(gql, ann))["available"] == 500


async def test_over_the_lifetime_cap_a_conversion_is_rejected(gql: GraphQLClient, ann: str) -> None:
    await configure_referrals(gql, lifetimeCap=1)
    code = await code_of(gql, ann)
    await enroll_with(gql, "bob", code)
    await enroll_with(gql, "carl", code)
    await award_order(gql, "bob", "o-1", "50.00")
    await award_order(gql, "carl", "o-2", "50.00")
    assert (await balance(gql, ann))["available"] == 500
    assert [r["status"] for r in await program_referrals(gql)] == ["CONVERTED", "REJECTED"]
    assert await _rules() == [("LIFETIME_CAP", "INVALID")]


async def test_a_regenerated_code_keeps_the_old_one_for_the_grace_period(
    gql: GraphQLClient, ann: str
) -> None:
    old = await code_of(gql, ann)
    data = await gql.ok(REGENERATE, {"input": {}}, bearer=member_token(ann))
    new = data["regenerateReferralCode"]["code"]
    assert new != old
    assert await code_of(gql, ann) == new
    assert (await enroll_with(gql, "bob", old))["referralErrors"] == []
    await configure_referrals(gql, graceDays=0)
    assert [e["code"] for e in (await enroll_with(gql, "carl", old))["referralErrors"]] == [
        "INVALID_REFERRAL_CODE"
    ]
    assert (await enroll_with(gql, "dan", new))["referralErrors"] == []


async def test_partners_see_only_the_referrals_they_brought(gql: GraphQLClient, ann: str) -> None:
    code = await code_of(gql, ann)
    await enroll(gql, "bob")
    await enroll(gql, "carl")
    first = await attribute(gql, code, "bob", bearer=await partner(gql, "p1"), idem="same")
    assert first["userErrors"] == []
    assert first["referral"]["status"] == "PENDING"
    replay = await attribute(gql, code, "bob", bearer=await partner(gql, "p1"), idem="same")
    assert replay["referral"]["id"] == first["referral"]["id"]
    await attribute(gql, code.lower(), "carl", bearer=await partner(gql, "p2"))
    # Another partner repeating p1's attribution learns nothing of p1's referral.
    theirs = await attribute(gql, code, "bob", bearer=await partner(gql, "p2"))
    assert theirs["referral"] is None
    assert [e["code"] for e in theirs["userErrors"]] == ["ALREADY_REFERRED"]
    again = await attribute(gql, code, "bob", bearer=await partner(gql, "p1"), idem="other")
    assert again["referral"]["id"] == first["referral"]["id"]  # the same attribution again
    replay = await attribute(gql, code, "bob", bearer=await partner(gql, "p1"), idem="other")
    assert replay["referral"]["id"] == first["referral"]["id"]
    mine = await program_referrals(gql, bearer=await partner(gql, "p1"))
    assert [r["id"] for r in mine] == [first["referral"]["id"]]
    assert mine[0]["referee"] is None  # partners see no members
    assert len(await program_referrals(gql, bearer=await partner(gql, "p2"))) == 1
    assert len(await program_referrals(gql)) == 2
    assert await program_referrals(gql, bearer=await partner(gql, "p1", program="other")) == []
    body = await gql.post("{ referrals(first: 5) { edges { cursor } } }", bearer=member_token(ann))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await gql.post("{ referrals(first: 5) { edges { cursor } } }", bearer=STORE)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_settings_are_validated(gql: GraphQLClient, ann: str) -> None:
    payload = await configure_referrals(
        gql, windowDays=0, linkTemplate="http://x/{code}", velocityCap=0
    )
    assert {tuple(e["field"]) for e in payload["userErrors"]} == {
        ("input", "windowDays"),
        ("input", "linkTemplate"),
        ("input", "velocityCap"),
    }
    assert {e["code"] for e in payload["userErrors"]} == {"INVALID_REFERRAL_CONFIG"}
