"""Helpers of the referral tests: settings, codes, attribution and reads over GraphQL."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import GraphQLClient
from tests.e2e.points_helpers import ADMIN, STORE, key, member_token

CONFIGURE = """mutation($input: ConfigureReferralsInput!) {
  configureReferrals(input: $input) {
    settings { windowDays minOrderTotal referrerPoints refereePoints velocityCap velocityAction
      lifetimeCap graceDays linkTemplate }
    userErrors { field message code }
  }
}"""
ENROLL = """mutation($input: EnrollMemberInput!) {
  enrollMember(input: $input) {
    created member { id externalId } userErrors { field code } referralErrors { field code }
  }
}"""
ATTRIBUTE = """mutation($input: AttributeReferralInput!) {
  attributeReferral(input: $input) {
    referral { id status code } userErrors { field message code }
  }
}"""
REVIEW = """mutation($input: ReviewReferralInput!) {
  reviewReferral(input: $input) { referral { id status rewardedPoints } userErrors { field code } }
}"""
REGENERATE = """mutation($input: RegenerateReferralCodeInput!) {
  regenerateReferralCode(input: $input) { code userErrors { field code } }
}"""
ME = """{ me { referralCode referralLink
  referrals(first: 10) { edges { node { id status referee { displayName } rewardedPoints
    refereeRewardedPoints holdRule } } } } }"""
PROGRAM_REFERRALS = """query($status: ReferralStatus) {
  referrals(first: 50, status: $status) { edges { node { id status code holdRule
    referee { displayName } } } }
}"""
SETTINGS = {
    "windowDays": 30,
    "minOrderTotal": "20",
    "referrerPoints": 500,
    "refereePoints": 200,
    "linkTemplate": "https://shop.example/r/{code}",
}


async def configure_referrals(gql: GraphQLClient, **changes: Any) -> dict[str, Any]:
    data = await gql.ok(CONFIGURE, {"input": {**SETTINGS, **changes}}, bearer=ADMIN)
    payload: dict[str, Any] = data["configureReferrals"]
    return payload


async def me(gql: GraphQLClient, external_id: str) -> dict[str, Any]:
    data = await gql.ok(ME, bearer=member_token(external_id))
    found: dict[str, Any] = data["me"]
    return found


async def code_of(gql: GraphQLClient, external_id: str) -> str:
    code: str = (await me(gql, external_id))["referralCode"]
    return code


async def enroll_with(
    gql: GraphQLClient, external_id: str, code: str | None, *, email: str | None = None
) -> dict[str, Any]:
    input = {
        "externalId": external_id,
        "email": email or f"{external_id}@example.com",
        "displayName": external_id.title(),
        "referralCode": code,
    }
    data = await gql.ok(ENROLL, {"input": input}, bearer=STORE)
    payload: dict[str, Any] = data["enrollMember"]
    assert payload["userErrors"] == [], payload
    return payload


async def attribute(
    gql: GraphQLClient, code: str, referee: str, *, bearer: str, idem: str | None = None
) -> dict[str, Any]:
    input = {"code": code, "refereeExternalId": referee, "idempotencyKey": idem or key()}
    data = await gql.ok(ATTRIBUTE, {"input": input}, bearer=bearer)
    payload: dict[str, Any] = data["attributeReferral"]
    return payload


async def program_referrals(
    gql: GraphQLClient, *, bearer: str = ADMIN, status: str | None = None
) -> list[dict[str, Any]]:
    data = await gql.ok(PROGRAM_REFERRALS, {"status": status}, bearer=bearer)
    return [edge["node"] for edge in data["referrals"]["edges"]]


async def review(gql: GraphQLClient, referral_id: str, approve: bool) -> dict[str, Any]:
    data = await gql.ok(REVIEW, {"input": {"id": referral_id, "approve": approve}}, bearer=ADMIN)
    payload: dict[str, Any] = data["reviewReferral"]
    return payload
