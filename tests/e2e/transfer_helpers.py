"""Helpers of the transfer tests: limits, transfers and reversals over GraphQL."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import GraphQLClient, enroll, provision
from tests.e2e.points_helpers import ADMIN, award_manual, key, member_token
from tests.e2e.referral_helpers import code_of

ERRORS = "userErrors { field message code }"
TRANSFER = (
    "id points status direction message senderName recipientName senderId recipientId"
    " sentEntryId receivedEntryId createdAt reversedAt reverseReason"
)
SEND = f"""mutation($input: TransferPointsInput!) {{ transferPoints(input: $input) {{
  transfer {{ {TRANSFER} }} balance {{ available pending debt lifetimeEarned held }}
  replayed {ERRORS} }} }}"""
REVERSE = f"""mutation($input: ReverseTransferInput!) {{ reverseTransfer(input: $input) {{
  transfer {{ {TRANSFER} }} replayed {ERRORS} }} }}"""
CONFIGURE = f"""mutation($input: ConfigureTransfersInput!) {{ configureTransfers(input: $input) {{
  settings {{ enabled minPoints maxPoints dailySentCap dailyReceivedCap minMembershipDays }}
  {ERRORS} }} }}"""
MINE = f"""query($first: Int, $after: String) {{ me {{ transfers(first: $first, after: $after) {{
  edges {{ cursor node {{ {TRANSFER} }} }} pageInfo {{ hasNextPage endCursor }} }} }} }}"""
# Open limits for tests that are not about the limits.
OPEN = {
    "enabled": True,
    "minPoints": 1,
    "maxPoints": 1_000_000,
    "dailySentCap": 100_000_000,
    "dailyReceivedCap": 100_000_000,
    "minMembershipDays": 0,
}


async def configure_transfers(gql: GraphQLClient, **limits: Any) -> dict[str, Any]:
    data = await gql.ok(CONFIGURE, {"input": {**OPEN, **limits}}, bearer=ADMIN)
    payload: dict[str, Any] = data["configureTransfers"]
    return payload


async def setup(gql: GraphQLClient, points: dict[str, int], **limits: Any) -> dict[str, str]:
    """Program acme with open limits (or `limits`), members with `points` each; their codes."""
    await provision(gql)
    configured = await configure_transfers(gql, **limits)
    assert configured["userErrors"] == [], configured
    codes: dict[str, str] = {}
    for name, amount in points.items():
        await enroll(gql, name)
        if amount:
            award = await award_manual(gql, name, amount)
            assert award["userErrors"] == [], award
        codes[name] = await code_of(gql, name)
    return codes


async def send(
    gql: GraphQLClient,
    sender: str,
    recipient_code: str,
    points: int,
    *,
    idem: str | None = None,
    message: str | None = None,
    program: str = "acme",
) -> dict[str, Any]:
    input: dict[str, Any] = {
        "idempotencyKey": idem or key(),
        "recipient": recipient_code,
        "points": points,
    }
    if message is not None:
        input["message"] = message
    data = await gql.ok(SEND, {"input": input}, bearer=member_token(sender, program))
    payload: dict[str, Any] = data["transferPoints"]
    return payload


async def reverse(
    gql: GraphQLClient,
    transfer_id: str,
    reason: str = "Fraud",
    *,
    idem: str | None = None,
    bearer: str = ADMIN,
) -> dict[str, Any]:
    input = {"idempotencyKey": idem or key(), "transferId": transfer_id, "reason": reason}
    data = await gql.ok(REVERSE, {"input": input}, bearer=bearer)
    payload: dict[str, Any] = data["reverseTransfer"]
    return payload


async def my_transfers(gql: GraphQLClient, member: str) -> list[dict[str, Any]]:
    data = await gql.ok(MINE, {"first": 100}, bearer=member_token(member))
    return [edge["node"] for edge in data["me"]["transfers"]["edges"]]
