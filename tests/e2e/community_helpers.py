"""Community calls through GraphQL, shared by the community tests."""

from __future__ import annotations

import uuid
from typing import Any

from tests.e2e.conftest import GraphQLClient
from tests.e2e.points_helpers import ADMIN, member_token

ERRORS = "userErrors { field message code }"
POST = (
    "id kind status title body rating sku rewardId questionId author { displayName } "
    "helpfulCount likeCount createdAt rejectReason openReports pointsEarned"
)
CONFIGURE = f"""mutation($input: ConfigureCommunityInput!) {{
  configureCommunity(input: $input) {{ settings {{ requiresApproval postsPerDay reactionsPerHour
    reportsPerDay helpfulThreshold dailyPointsCap weeklyPointsCap }} {ERRORS} }} }}"""
CREATE = f"""mutation($input: CreateCommunityPostInput!) {{
  createCommunityPost(input: $input) {{ post {{ {POST} }} retryAfterSeconds {ERRORS} }} }}"""
MODERATE = f"""mutation($input: ModeratePostInput!) {{
  moderatePost(input: $input) {{ post {{ {POST} }} {ERRORS} }} }}"""
REACT = f"""mutation($input: ReactToPostInput!) {{
  reactToPost(input: $input) {{ post {{ id helpfulCount likeCount }} added retryAfterSeconds
    {ERRORS} }} }}"""
REPORT = f"""mutation($input: ReportPostInput!) {{
  reportPost(input: $input) {{ reported retryAfterSeconds {ERRORS} }} }}"""
FEED = f"""query($first: Int, $after: String, $kind: CommunityPostKind, $sku: String) {{
  communityFeed(first: $first, after: $after, kind: $kind, sku: $sku) {{
    edges {{ node {{ {POST} }} }} pageInfo {{ hasNextPage endCursor }} }} }}"""
MINE = f"""query {{ me {{ communityPosts(first: 100) {{ edges {{ node {{ {POST} }} }} }} }} }}"""
QUEUE = f"""query {{ moderationQueue(first: 100) {{ edges {{ node {{ {POST} }} }} }} }}"""
SUMMARY = """query($sku: String, $rewardId: ID) {
  reviewSummary(sku: $sku, rewardId: $rewardId) { count averageRating } }"""


async def configure_community(gql: GraphQLClient, **settings: Any) -> dict[str, Any]:
    data = await gql.ok(CONFIGURE, {"input": settings}, bearer=ADMIN)
    payload: dict[str, Any] = data["configureCommunity"]
    return payload


async def create_post(
    gql: GraphQLClient, author: str, *, kind: str = "TIP", **fields: Any
) -> dict[str, Any]:
    post = {"kind": kind, "body": f"A {kind.lower()} by {author}.", **fields}
    if kind in ("TIP", "QUESTION"):
        post.setdefault("title", f"{kind.title()} of {author}")
    post.setdefault("idempotencyKey", f"post-{uuid.uuid4().hex}")
    data = await gql.ok(CREATE, {"input": post}, bearer=member_token(author))
    payload: dict[str, Any] = data["createCommunityPost"]
    return payload


async def posted(gql: GraphQLClient, author: str, **fields: Any) -> dict[str, Any]:
    payload = await create_post(gql, author, **fields)
    assert payload["userErrors"] == [], payload
    post: dict[str, Any] = payload["post"]
    return post


async def moderate(
    gql: GraphQLClient, post_id: str, decision: str, reason: str | None = None
) -> dict[str, Any]:
    data = await gql.ok(
        MODERATE,
        {"input": {"postId": post_id, "decision": decision, "reason": reason}},
        bearer=ADMIN,
    )
    payload: dict[str, Any] = data["moderatePost"]
    return payload


async def react(
    gql: GraphQLClient, member: str, post_id: str, reaction: str = "HELPFUL"
) -> dict[str, Any]:
    data = await gql.ok(
        REACT, {"input": {"postId": post_id, "reaction": reaction}}, bearer=member_token(member)
    )
    payload: dict[str, Any] = data["reactToPost"]
    return payload


async def report(
    gql: GraphQLClient, member: str, post_id: str, reason: str | None = None
) -> dict[str, Any]:
    data = await gql.ok(
        REPORT, {"input": {"postId": post_id, "reason": reason}}, bearer=member_token(member)
    )
    payload: dict[str, Any] = data["reportPost"]
    return payload


async def feed(gql: GraphQLClient, bearer: str, **filters: Any) -> list[dict[str, Any]]:
    data = await gql.ok(FEED, {"first": 100, **filters}, bearer=bearer)
    return [edge["node"] for edge in data["communityFeed"]["edges"]]


async def mine(gql: GraphQLClient, member: str) -> list[dict[str, Any]]:
    data = await gql.ok(MINE, bearer=member_token(member))
    return [edge["node"] for edge in data["me"]["communityPosts"]["edges"]]


async def queue(gql: GraphQLClient) -> list[dict[str, Any]]:
    data = await gql.ok(QUEUE, bearer=ADMIN)
    return [edge["node"] for edge in data["moderationQueue"]["edges"]]


async def summary(gql: GraphQLClient, bearer: str = ADMIN, **subject: Any) -> dict[str, Any]:
    data = await gql.ok(SUMMARY, subject, bearer=bearer)
    found: dict[str, Any] = data["reviewSummary"]
    return found
