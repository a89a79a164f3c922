"""An outside auditor's probes of campaigns, their offers and experiment results, kept as
regression tests: other programs' tokens and ids, member tokens, hostile inputs, the cost of a
page of campaigns with their results, and concurrent creations and awards."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from strawberry import relay
from tortoise import connections

from api.auth import Role
from backbone.bus import MessageBus
from domain.clock import FixedClock
from domain.ledger import MAX_POINTS
from tests.conftest import START, token
from tests.e2e.campaign_helpers import (
    CANCEL,
    CREATE,
    ONE,
    SCHEDULE,
    UPDATE,
    campaign_input,
    created,
    deliver,
    deliveries,
    running,
)
from tests.e2e.conftest import GraphQLClient, enroll, provision
from tests.e2e.feedback_helpers import CREATE as CREATE_SURVEY
from tests.e2e.feedback_helpers import QUESTIONS
from tests.e2e.offer_helpers import campaign, delivered
from tests.e2e.points_helpers import (
    ADMIN,
    assert_ledger_audits_clean,
    award_manual,
    award_order,
    balance,
    member_token,
)
from tests.e2e.rewards_helpers import create_reward
from tests.e2e.test_query_counts import _queries

pytestmark = pytest.mark.e2e

OTHER = token(Role.ADMIN, "globex")
NODE = "query($id: ID!) { node(id: $id) { id ... on Campaign { name status } } }"
LIST = "{ campaigns(first: 100) { edges { node { id name } } } }"


async def _count(table: str) -> int:
    [row] = await connections.get("default").execute_query_dict(
        f"SELECT count(*) AS n FROM {table}"  # noqa: S608 - a test's own table names
    )
    return int(row["n"])


async def _two_programs(gql: GraphQLClient) -> None:
    await provision(gql)
    await provision(gql, "globex")


async def test_another_programs_admin_neither_reads_nor_changes_a_campaign(
    gql: GraphQLClient,
) -> None:
    await _two_programs(gql)
    mine = await created(gql, name="Acme spring")
    assert (await gql.ok(ONE, {"id": mine["id"]}, bearer=OTHER))["campaign"] is None
    assert (await gql.ok(NODE, {"id": mine["id"]}, bearer=OTHER))["node"] is None
    assert (await gql.ok(LIST, bearer=OTHER))["campaigns"]["edges"] == []
    for mutation in (SCHEDULE, CANCEL):
        data = await gql.ok(mutation, {"input": {"id": mine["id"]}}, bearer=OTHER)
        [payload] = data.values()
        assert payload["campaign"] is None
        assert [e["code"] for e in payload["userErrors"]] == ["CAMPAIGN_NOT_FOUND"]
    update = {**campaign_input(name="Hijacked"), "id": mine["id"]}
    data = await gql.ok(UPDATE, {"input": update}, bearer=OTHER)
    assert [e["code"] for e in data["updateCampaign"]["userErrors"]] == ["CAMPAIGN_NOT_FOUND"]
    still = (await gql.ok(ONE, {"id": mine["id"]}, bearer=ADMIN))["campaign"]
    assert (still["name"], still["status"]) == ("Acme spring", "DRAFT")


async def test_a_campaign_cannot_name_another_programs_segment_survey_or_reward(
    gql: GraphQLClient,
) -> None:
    await _two_programs(gql)
    survey = await gql.ok(
        CREATE_SURVEY, {"input": {"name": "Acme Q", "questions": QUESTIONS}}, bearer=ADMIN
    )
    survey_id = survey["createSurvey"]["survey"]["id"]
    reward = await create_reward(gql)
    reward_id = reward["id"] if "id" in reward else reward["reward"]["id"]
    segment = await gql.ok(
        """mutation($input: CreateSegmentInput!) { createSegment(input: $input) {
          segment { id } userErrors { code } } }""",
        {"input": {"name": "All", "rules": {"all": [
            {"field": "ORDER_COUNT", "operator": "GTE", "number": "0"}]}}},
        bearer=ADMIN,
    )  # fmt: skip
    segment_id = segment["createSegment"]["segment"]["id"]
    fields = campaign_input(
        name="Theirs", segmentId=segment_id, surveyId=survey_id,
        offer={"kind": "REWARD_DISCOUNT", "rewardId": reward_id, "discountPercent": 10},
    )  # fmt: skip
    data = await gql.ok(CREATE, {"input": {**fields, "idempotencyKey": "k1"}}, bearer=OTHER)
    codes = {(tuple(e["field"]), e["code"]) for e in data["createCampaign"]["userErrors"]}
    assert codes == {
        (("input", "segmentId"), "SEGMENT_NOT_FOUND"),
        (("input", "surveyId"), "SURVEY_NOT_FOUND"),
        (("input", "offer", "rewardId"), "REWARD_NOT_FOUND"),
    }, data
    assert await _count("campaign") == 0


async def test_member_and_storefront_tokens_reach_no_campaign(
    gql: GraphQLClient,
) -> None:
    await provision(gql)
    await enroll(gql, "ann")
    mine = await created(gql, name="Acme spring")
    for bearer in (member_token("ann"), token(Role.STOREFRONT)):
        body = await gql.post(ONE, {"id": mine["id"]}, bearer=bearer)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
        assert (body["data"] or {}).get("campaign") is None
        assert (await gql.ok(NODE, {"id": mine["id"]}, bearer=bearer))["node"] is None
        body = await gql.post(LIST, bearer=bearer)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
        body = await gql.post(
            CREATE, {"input": {**campaign_input(name="x"), "idempotencyKey": "m"}}, bearer=bearer
        )
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
    assert await _count("campaign") == 1


BAD_IDS = [
    "",
    "x",
    "\x00",
    "Q2FtcGFpZ246MQ==\x00",
    str(relay.GlobalID("Campaign", "-1")),
    str(relay.GlobalID("Campaign", "0")),
    str(relay.GlobalID("Campaign", "99999999999999999999999")),
    str(relay.GlobalID("Campaign", "1e3")),
    str(relay.GlobalID("Survey", "1")),
    "A" * 20_000,
]


@pytest.mark.parametrize("bad", BAD_IDS)
async def test_malformed_campaign_ids_are_typed_errors(gql: GraphQLClient, bad: str) -> None:
    await provision(gql)
    await created(gql, name="Acme spring")
    assert (await gql.ok(ONE, {"id": bad}, bearer=ADMIN))["campaign"] is None
    for mutation in (SCHEDULE, CANCEL):
        data = await gql.ok(mutation, {"input": {"id": bad}}, bearer=ADMIN)
        [payload] = data.values()
        assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
            (["input", "id"], "INVALID_ID")
        ], payload
    offer = {"kind": "REWARD_DISCOUNT", "rewardId": bad, "discountPercent": 10}
    fields = campaign_input(name="With bad ids", segmentId=bad, offer=offer)
    data = await gql.ok(CREATE, {"input": {**fields, "idempotencyKey": "k"}}, bearer=ADMIN)
    codes = {(tuple(e["field"]), e["code"]) for e in data["createCampaign"]["userErrors"]}
    assert codes == {
        (("input", "segmentId"), "INVALID_ID"),
        (("input", "offer", "rewardId"), "INVALID_ID"),
    }
    assert await _count("campaign") == 1


HOSTILE: list[tuple[dict[str, Any], tuple[str, ...]]] = [
    ({"name": "a\x00b"}, ("input", "name")),
    ({"name": "x" * 20_000}, ("input", "name")),
    ({"name": "   "}, ("input", "name")),
    ({"name": "a\u202eb"}, ("input", "name")),
    ({"message": {"channel": "EMAIL", "templateKey": "a\x00"}}, ("input", "message", "templateKey")),
    ({"message": {"channel": "EMAIL", "templateKey": "t" * 10_000}},
     ("input", "message", "templateKey")),
    ({"startsAt": "2026-06-15T12:00:00", "endsAt": "2026-06-20T12:00:00+00:00"},
     ("input", "startsAt")),
    ({"startsAt": "2026-06-15T12:00:00"}, ("input", "startsAt")),
    ({"endsAt": "2026-06-14T12:00:00+00:00"}, ("input", "endsAt")),
    ({"startsAt": "0001-01-01T00:00:00+14:00"}, ("input", "startsAt")),
    ({"endsAt": "9999-12-31T23:59:59-14:00"}, ("input", "endsAt")),
    ({"offer": {"kind": "POINTS_MULTIPLIER", "multiplier": "2",
                "endsAt": "9999-12-31T23:59:59-10:00"}}, ("input", "offer", "endsAt")),
    ({"offer": {"kind": "POINTS_MULTIPLIER", "multiplier": "-2"}}, ("input", "offer", "multiplier")),
    ({"offer": {"kind": "POINTS_MULTIPLIER", "multiplier": "2.555"}},
     ("input", "offer", "multiplier")),
    ({"offer": {"kind": "POINTS_MULTIPLIER", "multiplier": "2",
                "startsAt": "2026-06-16T00:00:00"}}, ("input", "offer", "startsAt")),
    ({"offer": {"kind": "GIFT", "points": -5}}, ("input", "offer", "points")),
    ({"offer": {"kind": "GIFT", "points": 2_000_000}}, ("input", "offer", "points")),
    ({"offer": {"kind": "REWARD_DISCOUNT", "rewardId": "nope", "discountPercent": 101}},
     ("input", "offer", "rewardId")),
    ({"trigger": "AT_RISK", "atRiskThreshold": 1.5}, ("input", "atRiskThreshold")),
    ({"trigger": "AT_RISK", "atRiskThreshold": -0.0001}, ("input", "atRiskThreshold")),
    ({"trigger": "REORDER_DUE", "reorderLeadDays": -1}, ("input", "reorderLeadDays")),
    ({"conversionWindowDays": 0}, ("input", "conversionWindowDays")),
    ({"conversionWindowDays": 2_000_000_000}, ("input", "conversionWindowDays")),
    ({"holdoutPercent": -1}, ("input", "holdoutPercent")),
    ({"holdoutPercent": 2_000_000_000}, ("input", "holdoutPercent")),
    ({"arms": [{"key": "a\x00", "weight": 1}, {"key": "b", "weight": 1}]}, ("input", "arms", "0", "key")),
    ({"arms": [{"key": "a", "weight": -1}, {"key": "b", "weight": 1}]}, ("input", "arms", "0", "weight")),
    ({"arms": [{"key": "a", "weight": 1}, {"key": "a", "weight": 1}]}, ("input", "arms", "1", "key")),
]  # fmt: skip


@pytest.mark.parametrize(("fields", "at"), HOSTILE)
async def test_hostile_campaign_inputs_are_user_errors_at_their_field_and_write_nothing(
    gql: GraphQLClient, fields: dict[str, Any], at: tuple[str, ...]
) -> None:
    await provision(gql)
    draft = await created(gql, name="Existing")
    variables = {**campaign_input(**fields), "idempotencyKey": uuid.uuid4().hex}
    body = await gql.post(CREATE, {"input": variables}, bearer=ADMIN)
    assert "errors" not in body, body
    payload = body["data"]["createCampaign"]
    assert payload["campaign"] is None
    assert at in {tuple(e["field"]) for e in payload["userErrors"]}, payload
    update = {**campaign_input(**fields), "id": draft["id"]}
    body = await gql.post(UPDATE, {"input": update}, bearer=ADMIN)
    assert "errors" not in body, body
    assert at in {tuple(e["field"]) for e in body["data"]["updateCampaign"]["userErrors"]}
    assert await _count("campaign") == 1
    still = (await gql.ok(ONE, {"id": draft["id"]}, bearer=ADMIN))["campaign"]
    assert still["name"] == "Existing"


@pytest.mark.parametrize("multiplier", ["NaN", "Infinity", "1e400", 2.5, True, "0x10", ""])
async def test_unreadable_multipliers_are_bad_user_input_and_write_nothing(
    gql: GraphQLClient, multiplier: object
) -> None:
    await provision(gql)
    offer = {"kind": "POINTS_MULTIPLIER", "multiplier": multiplier}
    variables = {**campaign_input(offer=offer), "idempotencyKey": "k"}
    body = await gql.post(CREATE, {"input": variables}, bearer=ADMIN)
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", body
    assert "multiplier" in error["message"]
    assert await _count("campaign") == 0


async def test_hostile_idempotency_keys_are_user_errors(gql: GraphQLClient) -> None:
    await provision(gql)
    for bad in ("", "k\x00", "k" * 10_000, "\ud800"[:0] + "a\u200bb"):
        variables = {**campaign_input(), "idempotencyKey": bad}
        body = await gql.post(CREATE, {"input": variables}, bearer=ADMIN)
        assert "errors" not in body, body
        fields = [e["field"] for e in body["data"]["createCampaign"]["userErrors"]]
        assert ["input", "idempotencyKey"] in fields, (bad[:10], body)
    assert await _count("campaign") == 0


async def test_concurrent_creates_under_one_key_create_one_campaign(gql: GraphQLClient) -> None:
    await provision(gql)
    variables = {**campaign_input(name="Once"), "idempotencyKey": "same-key"}
    bodies = await asyncio.gather(
        *(gql.post(CREATE, {"input": variables}, bearer=ADMIN) for _ in range(6))
    )
    for body in bodies:
        assert "errors" not in body, body
        assert body["data"]["createCampaign"]["userErrors"] == [], body
    assert len({body["data"]["createCampaign"]["campaign"]["id"] for body in bodies}) == 1
    assert await _count("campaign") == 1


async def test_concurrent_creates_of_one_name_under_other_keys_create_one(
    gql: GraphQLClient,
) -> None:
    await provision(gql)
    bodies = await asyncio.gather(
        *(
            gql.post(
                CREATE,
                {"input": {**campaign_input(name="Same"), "idempotencyKey": f"k{n}"}},
                bearer=ADMIN,
            )
            for n in range(6)
        )
    )
    codes = []
    for body in bodies:
        assert "errors" not in body, body
        codes += [e["code"] for e in body["data"]["createCampaign"]["userErrors"]]
    assert codes == ["CAMPAIGN_NAME_TAKEN"] * 5
    assert await _count("campaign") == 1


async def test_concurrent_awards_under_a_multiplier_earn_it_once_per_order(
    gql: GraphQLClient, clock: FixedClock
) -> None:
    await provision(gql)
    await enroll(gql, "ann")
    offer = await campaign("triple", "POINTS_MULTIPLIER", START, multiplier="3")
    await delivered(offer.id, "ann", "OFFERED", START)
    same = await asyncio.gather(
        *(award_order(gql, "ann", "o-1", "10.00", idem="one-key") for _ in range(4))
    )
    others = await asyncio.gather(
        *(award_order(gql, "ann", "o-1", "10.00", idem=f"k{n}") for n in range(4))
    )
    earned = [p for p in same if p["userErrors"] == []]
    assert len(earned) == 4
    assert {p["entry"]["points"] for p in earned} == {30}
    assert len({p["entry"]["id"] for p in earned}) == 1
    assert all([e["code"] for e in p["userErrors"]] == ["ALREADY_AWARDED"] for p in others)
    distinct = await asyncio.gather(
        *(award_order(gql, "ann", f"o-{n}", "10.00") for n in range(2, 6))
    )
    assert all(p["userErrors"] == [] and p["entry"]["points"] == 30 for p in distinct)
    assert (await balance(gql, "ann"))["available"] == 30 * 5
    await assert_ledger_audits_clean()


RESULTS_PAGE = """{ campaigns(first: 100) { edges { node { name
  offer { kind multiplier } experiment { holdoutPercent arms { key } }
  results { arms { arm membersExposed conversions pointsIssued revenue { amount }
    vsHoldout { significance } } } } } } }"""


async def test_a_page_of_campaigns_with_results_costs_the_same_for_one_or_five(
    gql: GraphQLClient,
) -> None:
    await provision(gql)
    await enroll(gql, "ann")
    arms = [{"key": "a", "weight": 1}, {"key": "b", "weight": 1}]
    first = await campaign("C0", "GIFT", START, points=5, holdout=10, arms=arms)
    await delivered(first.id, "ann", "OFFERED", START, arm="a")
    one = await _queries(gql, RESULTS_PAGE, ADMIN)
    for n in range(1, 5):
        more = await campaign(f"C{n}", "GIFT", START, points=5, holdout=10, arms=arms)
        await delivered(more.id, "ann", "OFFERED", START, arm="b")
    page = (await gql.ok(RESULTS_PAGE, bearer=ADMIN))["campaigns"]["edges"]
    assert len(page) == 5
    exposed = [sum(a["membersExposed"] for a in e["node"]["results"]["arms"]) for e in page]
    assert exposed == [1] * 5
    assert await _queries(gql, RESULTS_PAGE, ADMIN) == one


async def test_concurrent_renames_to_one_name_keep_names_unique(gql: GraphQLClient) -> None:
    await provision(gql)
    drafts = [await created(gql, name=f"D{n}") for n in range(4)]
    bodies = await asyncio.gather(
        *(
            gql.post(UPDATE, {"input": {**campaign_input(name="Same"), "id": d["id"]}},
                     bearer=ADMIN)
            for d in drafts
        )
    )  # fmt: skip
    codes = []
    for body in bodies:
        assert "errors" not in body, body
        codes += [e["code"] for e in body["data"]["updateCampaign"]["userErrors"]]
    assert codes == ["CAMPAIGN_NAME_TAKEN"] * 3
    names = [e["node"]["name"] for e in (await gql.ok(LIST, bearer=ADMIN))["campaigns"]["edges"]]
    assert names.count("Same") == 1


async def test_a_gift_the_ledger_cannot_hold_never_stalls_the_campaign(
    gql: GraphQLClient, bus: MessageBus
) -> None:
    await provision(gql)
    for name in ("ann", "bob", "cy"):
        await enroll(gql, name)
    chunk = 10_000_000  # the most one manual award gives
    for _ in range(MAX_POINTS // chunk):
        assert (await award_manual(gql, "bob", chunk))["userErrors"] == []
    full = MAX_POINTS // chunk * chunk
    assert full + 500 <= MAX_POINTS
    assert (await award_manual(gql, "bob", MAX_POINTS - full - 10))["userErrors"] == []
    full = MAX_POINTS - 10
    await running(gql, name="gift", message=None, offer={"kind": "GIFT", "points": 500})
    await deliver(bus)
    await asyncio.gather(deliver(bus), deliver(bus))
    assert (await balance(gql, "ann"))["available"] == 500
    assert (await balance(gql, "cy"))["available"] == 500
    assert (await balance(gql, "bob"))["available"] == full  # nothing beyond a 32-bit Int
    statuses = sorted((row["external_id"], row["status"]) for row in await deliveries())
    assert statuses == [("ann", "OFFERED"), ("bob", "OFFERED"), ("cy", "OFFERED")]
    [account] = await connections.get("default").execute_query_dict(
        "SELECT given_points, gifts FROM campaign_gift_account"
    )
    assert (account["given_points"], account["gifts"]) == (1000, 2)
    await assert_ledger_audits_clean()
