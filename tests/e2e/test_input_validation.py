"""Every String, ID and Decimal a mutation takes is validated before anything is written.

The fields come from the schema itself: every input field of every mutation must be covered by
one of the valid inputs below, so a field added later is tested too. Each field in turn gets a NUL
character, an unpaired surrogate (a JSON "\\ud800", which no UTF-8 driver can encode), an overlong
text, or a decimal edge value; the answer must be a userError at that field's input path (or a
top-level BAD_USER_INPUT), and no table may change.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from graphql import GraphQLInputObjectType, GraphQLList, GraphQLNonNull, get_named_type
from tortoise import connections

from api.auth import Role
from api.schema import schema
from tests.conftest import token
from tests.e2e.conftest import GraphQLClient
from tests.e2e.partner_helpers import partner, register_client
from tests.e2e.points_helpers import award_order

pytestmark = pytest.mark.e2e

Path = tuple[str, ...]
TEXT, DECIMAL = ("String", "ID"), "Decimal"
BAD_TEXT = {"NUL": "\x00", "lone surrogate": "\ud800"}
OVERLONG = "x" * 10_000
BAD_DECIMALS = [
    "sNaN",
    "NaN",
    "-NaN",
    "Infinity",
    "-Infinity",
    "1E+1000000",
    "0E-1000000",
    "1E-1000000",
    "1E+999999999999999999",
    "1" + "0" * 60,
    "1." + "0" * 60 + "1",
]
KEY = {"idempotencyKey": "k-1", "externalId": "ann"}
ORDER_LINE = {"sku": "A", "quantity": 1, "unitPrice": "10.00", "category": "shoes"}
ORDER = {"orderId": "o-2", "total": "10.00", "currency": "EUR", "lines": [ORDER_LINE]}
CONSENT = {"purpose": "marketing_email", "granted": True}
# A survey id no program has: every other field is judged before the survey is looked up.
SURVEY = "U3VydmV5OjE="  # Survey:1
SURVEY_QUESTION = {"key": "pick", "kind": "CHOICE", "prompt": "Pick one", "options": ["A", "B"]}
# Campaign, Segment, Survey and Reward 1, which no program has: every field is judged first.
CAMPAIGN_ID = "Q2FtcGFpZ246MQ=="
CAMPAIGN = {
    "name": "Spring",
    "trigger": "SCHEDULED",
    "startsAt": "2026-06-01T00:00:00+00:00",
    "segmentId": "U2VnbWVudDox",
    "message": {"channel": "EMAIL", "templateKey": "spring"},
    "surveyId": SURVEY,
    "offer": {"kind": "POINTS_MULTIPLIER", "multiplier": "2"},
    "arms": [{"key": "a", "weight": 1}, {"key": "b", "weight": 1}],
}
SEGMENT_ID = "U2VnbWVudDox"  # Segment:1, which no program has
SEGMENT: dict[str, Any] = {
    "name": "Gold at risk",
    "description": "Gold members likely to drift",
    "rules": {
        "all": [{"field": "TIER", "operator": "IN", "texts": ["gold"]}],
        "any": [{"field": "CHURN_PROBABILITY", "operator": "GTE", "number": "0.6"}],
    },
}
SWAPPED_RULES = {"all": SEGMENT["rules"]["any"], "any": SEGMENT["rules"]["all"]}
CAMPAIGN_DISCOUNT = {"kind": "REWARD_DISCOUNT", "rewardId": "UmV3YXJkOjE=", "discountPercent": 10}
# Valid inputs, by mutation; one per branch of a @oneOf input.
VALID: list[tuple[str, Role, dict[str, Any]]] = [
    (
        "createProgram",
        Role.ADMIN,
        {"name": "Acme", "currency": "EUR", "timezone": "UTC", "defaultLocale": "en"},
    ),
    ("updateProgram", Role.ADMIN, {"name": "Acme", "timezone": "UTC", "defaultLocale": "en"}),
    (
        "configurePoints",
        Role.ADMIN,
        {
            "earnRate": "1.5",
            "bonuses": [{"multiplier": "2", "sku": "A"}, {"multiplier": "3", "category": "c"}],
            "events": [{"name": "signup", "points": 5}],
        },
    ),
    (
        "enrollMember",
        Role.STOREFRONT,
        {"externalId": "bob", "email": "bob@example.com", "displayName": "Bob", "locale": "en"},
    ),
    (
        "updateMember",
        Role.STOREFRONT,
        {"id": "", "email": "ann@example.com", "displayName": "Ann", "locale": "en"},
    ),
    ("awardPoints", Role.STOREFRONT, {**KEY, "source": {"order": ORDER}}),
    (
        "awardPoints",
        Role.STOREFRONT,
        {**KEY, "source": {"event": {"name": "signup", "reference": "r-1"}}},
    ),
    (
        "awardPoints",
        Role.STOREFRONT,
        {**KEY, "source": {"manual": {"points": 1, "reason": "Goodwill"}}},
    ),
    ("redeemPoints", Role.STOREFRONT, {**KEY, "points": 1, "reason": "Gift"}),
    (
        "reverseOrder",
        Role.STOREFRONT,
        {
            "idempotencyKey": "k-1",
            "orderId": "o-1",
            "returnId": "r-1",
            "amount": "1.00",
            "currency": "EUR",
        },
    ),
    ("adjustPoints", Role.ADMIN, {**KEY, "points": 1, "reason": "Fix"}),
    (
        "configureTiers",
        Role.ADMIN,
        {
            "tiers": [
                {"key": "base", "name": "Base", "description": "All", "threshold": "0"},
                {"key": "gold", "name": "Gold", "threshold": "10", "multiplier": "1.5"},
            ],
            "policy": {},
        },
    ),
    ("reevaluateTiers", Role.ADMIN, {"reason": "New thresholds"}),
    ("assignTier", Role.ADMIN, {"externalId": "ann", "tierKey": "gold", "reason": "VIP"}),
    (
        "createReward",
        Role.ADMIN,
        {
            "name": "Mug",
            "kind": "DISCOUNT_CODE",
            "pointsCost": 10,
            "description": "A mug",
            "imageUrl": "https://cdn.example/mug.png",
            "discount": {"type": "FIXED_AMOUNT", "value": "5.00"},
            "tierPrices": [{"tier": "gold", "points": 5}],
            "tierGate": ["gold"],
        },
    ),
    (
        "updateReward",
        Role.ADMIN,
        {
            "id": "",
            "name": "Mug",
            "description": "A mug",
            "imageUrl": "https://cdn.example/mug.png",
            "tierPrices": [{"tier": "gold", "points": 5}],
            "tierGate": ["gold"],
        },
    ),
    ("importRewardCodes", Role.ADMIN, {"rewardId": "", "codes": ["CODE-1"]}),
    ("redeemReward", Role.STOREFRONT, {"idempotencyKey": "k-1", "rewardId": "", **KEY}),
    ("redeemReward", Role.STOREFRONT, {"idempotencyKey": "k-1", "rewardId": "", "memberId": ""}),
    ("confirmRedemption", Role.STOREFRONT, {"redemptionId": ""}),
    ("cancelRedemption", Role.STOREFRONT, {"redemptionId": ""}),
    ("markRedemptionCodeUsed", Role.STOREFRONT, {"redemptionId": ""}),
    ("requestDataExport", Role.ADMIN, {"externalId": "ann"}),
    ("requestDataExport", Role.ADMIN, {"id": ""}),
    ("requestErasure", Role.ADMIN, {"externalId": "ann"}),
    ("requestErasure", Role.ADMIN, {"id": ""}),
    ("updateConsents", Role.STOREFRONT, {"externalId": "ann", "changes": [CONSENT]}),
    ("updateConsents", Role.STOREFRONT, {"memberId": "", "changes": [CONSENT]}),
    (
        "updatePreferences",
        Role.STOREFRONT,
        {
            "externalId": "ann",
            "topics": ["offers"],
            "quietHours": {"start": "22:00", "end": "07:00"},
            "timezone": "Europe/Paris",
            "locale": "en",
        },
    ),
    ("updatePreferences", Role.STOREFRONT, {"memberId": "", "email": False}),
    (
        "createPurpose",
        Role.ADMIN,
        {"key": "surveys", "description": "Surveys.", "legalBasis": "CONSENT"},
    ),
    ("publishPolicyVersion", Role.ADMIN, {"purpose": "marketing_email", "description": "New."}),
    (
        "enrollMember",
        Role.STOREFRONT,
        {"externalId": "bob", "email": "bob@x.example", "displayName": "Bob", "referralCode": "A"},
    ),
    (
        "configureReferrals",
        Role.ADMIN,
        {
            "minOrderTotal": "20",
            "linkTemplate": "https://shop.example/r/{code}",
            "referrerRewardId": "",
            "refereeRewardId": "",
        },
    ),
    (
        "attributeReferral",
        Role.PARTNER,
        {"code": "ABCDEFGH", "refereeExternalId": "ann", "idempotencyKey": "k-1"},
    ),
    ("regenerateReferralCode", Role.ADMIN, {"memberId": ""}),
    ("reviewReferral", Role.ADMIN, {"id": "", "approve": True}),
    (
        "createWebhookSubscription",
        Role.ADMIN,
        {"url": "https://hooks.example/in", "eventTypes": ["points.earned"], "description": "CRM"},
    ),
    (
        "updateWebhookSubscription",
        Role.ADMIN,
        {
            "subscriptionId": "",
            "url": "https://hooks.example/in",
            "eventTypes": ["points.earned"],
            "description": "CRM",
        },
    ),
    ("rotateWebhookSecret", Role.ADMIN, {"subscriptionId": ""}),
    ("deleteWebhookSubscription", Role.ADMIN, {"subscriptionId": ""}),
    ("sendTestWebhook", Role.ADMIN, {"subscriptionId": ""}),
    ("redeliverWebhook", Role.ADMIN, {"deliveryId": ""}),
    ("registerPartnerClient", Role.ADMIN, {"name": "CRM", "scopes": ["REFERRALS_READ"]}),
    ("rotatePartnerClientSecret", Role.ADMIN, {"clientId": "", "overlapHours": 24}),
    ("revokePartnerClient", Role.ADMIN, {"clientId": ""}),
    (
        "configureGift",
        Role.ADMIN,
        {
            "kind": "SURPRISE",
            "points": 10,
            "budgetPoints": 100,
            "surpriseRule": "DRAW",
            "drawProbability": "0.5",
            "drawSeed": "a-seed-of-sixteen-or-more",
        },
    ),
    (
        "configureGift",
        Role.ADMIN,
        {
            "kind": "THANK_YOU",
            "points": 10,
            "budgetPoints": 100,
            "triggerEventType": "community.post_approved",
            "triggerPostKind": "REVIEW",
        },
    ),
    ("configureCommunity", Role.ADMIN, {"requiresApproval": True, "dailyPointsCap": 100}),
    (
        "createCommunityPost",
        Role.MEMBER,
        {
            "kind": "REVIEW",
            "title": "Good",
            "body": "Fits.",
            "rating": 5,
            "sku": "A",
            "idempotencyKey": "k",
        },
    ),
    (
        "createCommunityPost",
        Role.MEMBER,
        {
            "kind": "REVIEW",
            "body": "Fun.",
            "rating": 4,
            "rewardId": "UmV3YXJkOjk5",
            "idempotencyKey": "k",
        },
    ),
    (
        "createCommunityPost",
        Role.MEMBER,
        {
            "kind": "ANSWER",
            "body": "M.",
            "questionId": "Q29tbXVuaXR5UG9zdDo5OQ==",
            "idempotencyKey": "k",
        },
    ),
    (
        "moderatePost",
        Role.ADMIN,
        {"postId": "Q29tbXVuaXR5UG9zdDo5OQ==", "decision": "REJECT", "reason": "Spam"},
    ),
    ("reactToPost", Role.MEMBER, {"postId": "Q29tbXVuaXR5UG9zdDo5OQ==", "reaction": "LIKE"}),
    ("reportPost", Role.MEMBER, {"postId": "Q29tbXVuaXR5UG9zdDo5OQ==", "reason": "Spam"}),
    (
        "createBadge",
        Role.ADMIN,
        {"name": "Critic", "description": "Reviews", "imageUrl": "https://cdn.example/b.png"},
    ),
    (
        "createChallenge",
        Role.ADMIN,
        {
            "name": "Critic",
            "description": "Post 3 reviews",
            "goal": {
                "kind": "COUNT",
                "target": "3",
                "eventType": "community.post_approved",
                "where": [{"field": "kind", "equals": "REVIEW"}],
                "countsFor": "authorId",
            },
            "startsAt": "2026-06-01T00:00:00+00:00",
            "endsAt": "2026-07-01T00:00:00+00:00",
            "badgeId": "",
        },
    ),
    ("updateChallenge", Role.ADMIN, {"id": "", "name": "Critic", "description": "Reviews"}),
    ("joinChallenge", Role.MEMBER, {"challengeId": ""}),
    ("createSurvey", Role.ADMIN, {"name": "Q3", "questions": [SURVEY_QUESTION]}),
    ("updateSurvey", Role.ADMIN, {"id": SURVEY, "name": "Q3", "questions": [SURVEY_QUESTION]}),
    ("openSurvey", Role.ADMIN, {"id": SURVEY}),
    ("closeSurvey", Role.ADMIN, {"id": SURVEY}),
    (
        "submitFeedback",
        Role.MEMBER,
        {
            "surveyId": SURVEY,
            "answers": [{"questionKey": "pick", "choice": "A"}],
            "idempotencyKey": "k-1",
        },
    ),
    ("createCampaign", Role.ADMIN, {**CAMPAIGN, "idempotencyKey": "k-1"}),
    ("createCampaign", Role.ADMIN, {**CAMPAIGN, "offer": CAMPAIGN_DISCOUNT, "idempotencyKey": "k"}),
    ("updateCampaign", Role.ADMIN, {**CAMPAIGN, "id": CAMPAIGN_ID}),
    ("updateCampaign", Role.ADMIN, {**CAMPAIGN, "offer": CAMPAIGN_DISCOUNT, "id": CAMPAIGN_ID}),
    ("scheduleCampaign", Role.ADMIN, {"id": CAMPAIGN_ID}),
    ("cancelCampaign", Role.ADMIN, {"id": CAMPAIGN_ID}),
    ("createSegment", Role.ADMIN, {**SEGMENT, "idempotencyKey": "k-1"}),
    ("createSegment", Role.ADMIN, {**SEGMENT, "rules": SWAPPED_RULES}),
    ("updateSegment", Role.ADMIN, {**SEGMENT, "id": SEGMENT_ID}),
    ("updateSegment", Role.ADMIN, {**SEGMENT, "rules": SWAPPED_RULES, "id": SEGMENT_ID}),
    ("archiveSegment", Role.ADMIN, {"id": SEGMENT_ID}),
    (
        "transferPoints",
        Role.MEMBER,
        {"idempotencyKey": "k-1", "recipient": "ABCDEFGH", "points": 1, "message": "Enjoy"},
    ),
    (
        "reverseTransfer",
        Role.ADMIN,
        {"idempotencyKey": "k-1", "transferId": "UG9pbnRzVHJhbnNmZXI6MQ==", "reason": "Fraud"},
    ),
]
NEW_WEBHOOK = """mutation { createWebhookSubscription(input: {url: "https://hooks.example/in",
  eventTypes: ["points.earned"]}) { subscription { id } } }"""
PING_WEBHOOK = """mutation($id: ID!) { sendTestWebhook(input: {subscriptionId: $id})
  { delivery { id } } }"""
# Filled in with a real reward and member: an unknown id would be refused before other fields.
NEW_REWARD = """mutation { createReward(input: {name: "Pool", kind: DISCOUNT_CODE, pointsCost: 1,
  discount: {type: FREE_SHIPPING}, codeSource: POOL}) { reward { id } } }"""


def leaf_fields(input_type: GraphQLInputObjectType, at: Path = ()) -> Iterator[tuple[Path, str]]:
    """(path, scalar name) of every String, ID and Decimal field, list items at index 0."""
    for name, field in input_type.fields.items():
        path, kind = (*at, name), field.type
        while isinstance(kind, GraphQLNonNull):
            kind = kind.of_type
        if isinstance(kind, GraphQLList):
            path = (*path, "0")
        named = get_named_type(kind)
        if isinstance(named, GraphQLInputObjectType):
            yield from leaf_fields(named, path)
        elif named.name in (*TEXT, DECIMAL):
            yield path, named.name


def input_types() -> dict[str, GraphQLInputObjectType]:
    mutations = schema._schema.mutation_type
    assert mutations is not None
    found = {}
    for name, field in mutations.fields.items():
        input_type = get_named_type(field.args["input"].type)
        assert isinstance(input_type, GraphQLInputObjectType)
        found[name] = input_type
    return found


def mutation_fields() -> dict[str, list[tuple[Path, str]]]:
    return {name: list(leaf_fields(kind)) for name, kind in input_types().items()}


def container(value: Any, path: Path) -> Any:
    """What holds the field at `path` in `value`, or None if the input has no such place."""
    for part in path[:-1]:
        if isinstance(value, list):
            value = value[int(part)] if int(part) < len(value) else None
        elif isinstance(value, dict):
            value = value.get(part)
        if value is None:
            return None
    return value


def cases(mutation: str, valid: dict[str, Any]) -> Iterator[tuple[Path, str, Any]]:
    """Each field the valid input can hold, with each bad value for its kind."""
    for path, kind in mutation_fields()[mutation]:
        holder = container(valid, path)
        if holder is None:
            continue
        if kind == DECIMAL:
            yield from ((path, bad, bad) for bad in BAD_DECIMALS)
            continue
        # A list of strings holds its item at an index (tierGate.0), an object by name.
        usable = (
            holder[int(path[-1])] if isinstance(holder, list) else holder.get(path[-1])
        ) or "x"
        for label, bad in BAD_TEXT.items():
            yield path, label, f"{usable}{bad}"
        yield path, "overlong", OVERLONG


def test_every_string_and_decimal_field_of_every_mutation_is_covered() -> None:
    covered = {(m, path) for m, _, valid in VALID for path, _, _ in cases(m, valid)}
    every = {(m, path) for m, fields in mutation_fields().items() for path, _ in fields}
    assert every - covered == set()


def with_value(valid: dict[str, Any], path: Path, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(valid)
    holder = container(changed, path)
    holder[int(path[-1]) if isinstance(holder, list) else path[-1]] = value
    return changed


async def snapshot() -> dict[str, str]:
    """A digest of every table's rows."""
    connection = connections.get("default")
    tables = await connection.execute_query_dict(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
    )
    digests = {}
    for row in tables:
        table = row["tablename"]
        [found] = await connection.execute_query_dict(
            f"SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) AS d FROM \"{table}\" t"  # noqa: S608 - names from pg_tables
        )
        digests[table] = found["d"]
    return digests


async def post_raw(
    http: httpx.AsyncClient, query: str, variables: dict[str, Any], bearer: str
) -> dict[str, Any]:
    """JSON with ASCII escapes, as a client sends a lone surrogate ("\\ud800")."""
    response = await http.post(
        "/graphql",
        content=json.dumps({"query": query, "variables": variables}),
        headers={"Authorization": f"Bearer {bearer}", "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize(
    ("mutation", "role", "valid"),
    VALID,
    ids=[f"{m}-{next(iter(v.get('source', {'': 0})))}" for m, _, v in VALID],
)
async def test_bad_strings_and_decimals_are_refused_at_their_field_and_change_nothing(
    gql: GraphQLClient, ann: str, mutation: str, role: Role, valid: dict[str, Any]
) -> None:
    await award_order(gql, ann, "o-1", "10.00")
    if mutation == "updateMember" or (valid.get("id") == "" and "request" in mutation):
        data = await gql.ok(
            '{ memberByExternalId(externalId: "ann") { id } }', bearer=token(Role.ADMIN)
        )
        valid = {**valid, "id": data["memberByExternalId"]["id"]}
    if mutation in (
        "updateReward",
        "importRewardCodes",
        "redeemReward",
        "updateConsents",
        "updatePreferences",
        "configureReferrals",
    ):
        admin = token(Role.ADMIN)
        reward = (await gql.ok(NEW_REWARD, bearer=admin))["createReward"]["reward"]["id"]
        data = await gql.ok('{ memberByExternalId(externalId: "ann") { id } }', bearer=admin)
        ids = {
            "id": reward,
            "rewardId": reward,
            "referrerRewardId": reward,
            "refereeRewardId": reward,
            "memberId": data["memberByExternalId"]["id"],
        }
        valid = {k: ids[k] if v == "" and k in ids else v for k, v in valid.items()}
    if "Webhook" in mutation and mutation != "createWebhookSubscription":
        admin = token(Role.ADMIN)
        created = await gql.ok(NEW_WEBHOOK, bearer=admin)
        subscription = created["createWebhookSubscription"]["subscription"]["id"]
        ping = await gql.ok(PING_WEBHOOK, {"id": subscription}, bearer=admin)
        ids = {
            "subscriptionId": subscription,
            "deliveryId": ping["sendTestWebhook"]["delivery"]["id"],
        }
        valid = {k: ids[k] if v == "" and k in ids else v for k, v in valid.items()}
    if mutation in ("rotatePartnerClientSecret", "revokePartnerClient"):
        registered = await register_client(gql, "crm")
        valid = {**valid, "clientId": registered["client"]["id"]}
    bearer = await partner(gql, "fuzz") if role is Role.PARTNER else token(role)
    query = (
        f"mutation($input: {input_types()[mutation].name}!) {{ {mutation}(input: $input) "
        "{ userErrors { field code } } }"
    )
    before = await snapshot()
    unrefused = []
    for path, label, bad in cases(mutation, valid):
        body = await post_raw(gql.http, query, {"input": with_value(valid, path, bad)}, bearer)
        codes = [error.get("extensions", {}).get("code") for error in body.get("errors", [])]
        fields = [
            e["field"] for e in (body.get("data") or {}).get(mutation, {}).get("userErrors", [])
        ]
        if "BAD_USER_INPUT" not in codes and ["input", *path] not in fields:
            unrefused.append((path, label, body))
        assert await snapshot() == before, (path, label, body)
    assert unrefused == []


@pytest.mark.parametrize("bad", BAD_TEXT.values())
async def test_query_arguments_with_bad_text_find_nothing(
    gql: GraphQLClient, ann: str, bad: str
) -> None:
    admin = token(Role.ADMIN)
    data = await gql.ok('{ memberByExternalId(externalId: "ann") { id } }', bearer=admin)
    ann_id = data["memberByExternalId"]["id"]
    lookups = {
        "query($v: ID!) { node(id: $v) { id } }": f"{ann_id}{bad}",  # base64 skips a NUL
        "query($v: ID!) { member(id: $v) { id } }": f"{ann_id}{bad}",
        "query($v: String!) { memberByExternalId(externalId: $v) { id } }": f"ann{bad}",
    }
    for query, value in lookups.items():
        body = await post_raw(gql.http, query, {"v": value}, admin)
        assert "errors" not in body, (query, body)
        assert body["data"] == {query.split("{ ")[1].split("(")[0]: None}, (query, body)
    for query in (
        "query($v: String) { members(first: 1, after: $v) { edges { cursor } } }",
        "query($v: String, $id: ID!) { member(id: $id) { ledger(after: $v) { edges { cursor } } } }",
    ):
        variables = {"v": f"ZW50cnk6MQ=={bad}", "id": ann_id}  # entry:1, then the bad text
        body = await post_raw(gql.http, query, variables, admin)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
