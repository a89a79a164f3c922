"""An outside auditor's probes of surveys and feedback, kept as regression tests: other
programs' tokens and ids, member and storefront tokens, hostile inputs, the cost of pages of
surveys and of members with their surveys, and concurrent creations and submissions."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from strawberry import relay
from tortoise import connections

from api.auth import Role
from tests.conftest import token
from tests.e2e.conftest import GraphQLClient, enroll, provision
from tests.e2e.feedback_helpers import (
    CLOSE,
    CREATE,
    OPEN,
    QUESTIONS,
    SUBMIT,
    UPDATE,
    answers,
    open_survey,
    submit,
)
from tests.e2e.points_helpers import ADMIN, STORE, member_token
from tests.e2e.test_query_counts import _queries

pytestmark = pytest.mark.e2e

OTHER = token(Role.ADMIN, "globex")
NODE = """query($id: ID!) { node(id: $id) { id
  ... on Survey { name }
  ... on SurveyResponse { answers { text } }
  ... on SurveyTextAnswer { text } } }"""
TEXTS = """query($id: ID!, $key: String) { survey(id: $id) {
  textAnswers(first: 10, questionKey: $key) { edges { node { id text } } } } }"""
MEMBER_SURVEYS = """query($id: ID!) { node(id: $id) { ... on Member { surveys { answered
  survey { name } response { id answers { text } } } } } }"""


async def _counts() -> tuple[int, int, int]:
    [row] = await connections.get("default").execute_query_dict(
        "SELECT (SELECT count(*) FROM survey) AS s, (SELECT count(*) FROM survey_response) AS r,"
        " (SELECT count(*) FROM survey_answer) AS a"
    )
    return int(row["s"]), int(row["r"]), int(row["a"])


async def _answered(gql: GraphQLClient) -> tuple[str, str, str]:
    """acme with ann, who answered an open survey with a text: the survey, the response and
    the text answer's global ids."""
    await provision(gql)
    await enroll(gql, "ann")
    survey = await open_survey(gql)
    payload = await submit(gql, "ann", survey, answers(text="Mine only"))
    assert payload["userErrors"] == [], payload
    response = payload["response"]["id"]
    texts = await gql.ok(TEXTS, {"id": survey}, bearer=ADMIN)
    [edge] = texts["survey"]["textAnswers"]["edges"]
    return survey, response, edge["node"]["id"]


async def test_another_program_reads_and_changes_none_of_a_programs_surveys(
    gql: GraphQLClient,
) -> None:
    survey, response, text = await _answered(gql)
    await provision(gql, "globex")
    await enroll(gql, "ann", program="globex")
    for bearer in (OTHER, member_token("ann", "globex")):
        for key in (survey, response, text):
            assert (await gql.ok(NODE, {"id": key}, bearer=bearer))["node"] is None, key
        assert (await gql.ok("query($id: ID!) { survey(id: $id) { id } }", {"id": survey},
                             bearer=bearer))["survey"] is None  # fmt: skip
    for mutation in (OPEN, CLOSE):
        data = await gql.ok(mutation, {"input": {"id": survey}}, bearer=OTHER)
        [payload] = data.values()
        assert [e["code"] for e in payload["userErrors"]] == ["SURVEY_NOT_FOUND"]
    data = await gql.ok(UPDATE, {"input": {"id": survey, "name": "Mine now"}}, bearer=OTHER)
    assert [e["code"] for e in data["updateSurvey"]["userErrors"]] == ["SURVEY_NOT_FOUND"]
    probe = await submit(gql, "ann", survey, answers(), key="x", program="globex")
    assert [e["code"] for e in probe["userErrors"]] == ["SURVEY_NOT_FOUND"]
    member = (await gql.ok("{ me { id } }", bearer=member_token("ann")))["me"]["id"]
    assert (await gql.ok(MEMBER_SURVEYS, {"id": member}, bearer=OTHER))["node"] is None
    still = await gql.ok("query($id: ID!) { survey(id: $id) { name status } }", {"id": survey},
                         bearer=ADMIN)  # fmt: skip
    assert still["survey"] == {"name": "Q3", "status": "OPEN"}
    assert await _counts() == (1, 1, 4)


async def test_a_segment_of_another_program_counts_nothing(gql: GraphQLClient) -> None:
    survey, _, _ = await _answered(gql)
    await provision(gql, "globex")
    created = await gql.ok(
        """mutation($input: CreateSegmentInput!) { createSegment(input: $input) {
          segment { id } userErrors { code } } }""",
        {"input": {"name": "All", "rules": {"all": [
            {"field": "ORDER_COUNT", "operator": "GTE", "number": "0"}]}}},
        bearer=OTHER,
    )  # fmt: skip
    theirs = created["createSegment"]["segment"]["id"]
    found = await gql.ok(
        "query($id: ID!, $s: ID) { survey(id: $id) { results(segmentId: $s) { responses } } }",
        {"id": survey, "s": theirs},
        bearer=ADMIN,
    )
    assert found["survey"]["results"] is None


async def test_members_and_storefronts_reach_no_one_elses_answers(gql: GraphQLClient) -> None:
    survey, response, text = await _answered(gql)
    await enroll(gql, "bob")
    bob = member_token("bob")
    assert (await gql.ok(NODE, {"id": response}, bearer=bob))["node"] is None
    assert (await gql.ok(NODE, {"id": text}, bearer=bob))["node"] is None
    assert (await gql.ok(NODE, {"id": text}, bearer=member_token("ann")))["node"] is None
    for bearer in (bob, STORE):
        body = await gql.post(TEXTS, {"id": survey}, bearer=bearer)
        assert "Mine only" not in str(body)
        body = await gql.post("{ surveys { edges { node { id } } } }", bearer=bearer)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
    # A storefront reads members, but a member's responses are for itself and admins.
    ann = (await gql.ok("{ me { id } }", bearer=member_token("ann")))["me"]["id"]
    seen = await gql.ok(MEMBER_SURVEYS, {"id": ann}, bearer=STORE)
    assert "Mine only" not in str(seen), seen
    assert response not in str(seen), seen
    own = await gql.ok(MEMBER_SURVEYS, {"id": ann}, bearer=member_token("ann"))
    assert own["node"]["surveys"][0]["response"]["answers"][-1]["text"] == "Mine only"
    admin = await gql.ok(MEMBER_SURVEYS, {"id": ann}, bearer=ADMIN)
    assert admin["node"]["surveys"][0]["response"]["id"] == response


BAD_IDS = [
    "",
    "\x00",
    "U3VydmV5OjE=\x00",
    str(relay.GlobalID("Survey", "-1")),
    str(relay.GlobalID("Survey", "99999999999999999999999")),
    str(relay.GlobalID("Campaign", "1")),
    "A" * 20_000,
]


@pytest.mark.parametrize("bad", BAD_IDS)
async def test_malformed_survey_ids_are_typed_errors(gql: GraphQLClient, bad: str) -> None:
    await provision(gql)
    await enroll(gql, "ann")
    await open_survey(gql)
    assert (await gql.ok("query($id: ID!) { survey(id: $id) { id } }", {"id": bad},
                         bearer=ADMIN))["survey"] is None  # fmt: skip
    for mutation in (OPEN, CLOSE):
        [payload] = (await gql.ok(mutation, {"input": {"id": bad}}, bearer=ADMIN)).values()
        assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
            (["input", "id"], "INVALID_ID")
        ]
    probe = await submit(gql, "ann", bad, answers(), key="k")
    assert [(e["field"], e["code"]) for e in probe["userErrors"]] == [
        (["input", "surveyId"], "INVALID_ID")
    ]
    assert await _counts() == (1, 0, 0)


HOSTILE_SURVEYS: list[tuple[dict[str, Any], tuple[str, ...]]] = [
    ({"name": "a\x00b"}, ("input", "name")),
    ({"name": "n" * 20_000}, ("input", "name")),
    ({"questions": [{"key": "q\x00", "kind": "NPS", "prompt": "Why?"}]},
     ("input", "questions", "0", "key")),
    ({"questions": [{"key": "q", "kind": "NPS", "prompt": "W\x00hy?"}]},
     ("input", "questions", "0", "prompt")),
    ({"questions": [{"key": "q", "kind": "NPS", "prompt": "p" * 20_000}]},
     ("input", "questions", "0", "prompt")),
    ({"questions": [{"key": "q", "kind": "CHOICE", "prompt": "Which?",
                     "options": ["a\x00", "b"]}]}, ("input", "questions", "0", "options", "0")),
    ({"questions": [{"key": "q", "kind": "CHOICE", "prompt": "Which?", "options": ["a", "a"]}]},
     ("input", "questions", "0", "options", "1")),
    ({"questions": []}, ("input", "questions")),
    ({"questions": [{"key": f"q{n}", "kind": "NPS", "prompt": "?"} for n in range(11)]},
     ("input", "questions")),
    ({"questions": [{"key": "q", "kind": "NPS", "prompt": "?"}] * 2},
     ("input", "questions", "1", "key")),
]  # fmt: skip


@pytest.mark.parametrize(("fields", "at"), HOSTILE_SURVEYS)
async def test_hostile_surveys_are_user_errors_at_their_field_and_write_nothing(
    gql: GraphQLClient, fields: dict[str, Any], at: tuple[str, ...]
) -> None:
    await provision(gql)
    created = await gql.ok(
        CREATE, {"input": {"name": "Draft", "questions": QUESTIONS}}, bearer=ADMIN
    )
    draft = created["createSurvey"]["survey"]["id"]
    given = {"name": "New", "questions": QUESTIONS, **fields}
    body = await gql.post(CREATE, {"input": given}, bearer=ADMIN)
    assert "errors" not in body, body
    assert body["data"]["createSurvey"]["survey"] is None
    assert at in {tuple(e["field"]) for e in body["data"]["createSurvey"]["userErrors"]}, body
    body = await gql.post(UPDATE, {"input": {"id": draft, **fields}}, bearer=ADMIN)
    assert "errors" not in body, body
    assert at in {tuple(e["field"]) for e in body["data"]["updateSurvey"]["userErrors"]}, body
    assert await _counts() == (1, 0, 0)


HOSTILE_ANSWERS: list[tuple[dict[str, Any], tuple[str, ...]]] = [
    ({"questionKey": "nps", "score": -1}, ("input", "answers", "0", "score")),
    ({"questionKey": "nps", "score": 11}, ("input", "answers", "0", "score")),
    ({"questionKey": "nps", "score": 2_147_483_647}, ("input", "answers", "0", "score")),
    ({"questionKey": "nps", "choice": "Friends"}, ("input", "answers", "0", "choice")),
    ({"questionKey": "nps\x00", "score": 5}, ("input", "answers", "0", "questionKey")),
    ({"questionKey": "k" * 20_000, "score": 5}, ("input", "answers", "0", "questionKey")),
    ({"questionKey": "channel", "choice": "Friends\x00"}, ("input", "answers", "0", "choice")),
    ({"questionKey": "channel", "choice": "c" * 20_000}, ("input", "answers", "0", "choice")),
    ({"questionKey": "comment", "text": "a\x00b"}, ("input", "answers", "0", "text")),
    ({"questionKey": "comment", "text": "t" * 20_000}, ("input", "answers", "0", "text")),
    ({"questionKey": "comment", "text": "a\u202eb"}, ("input", "answers", "0", "text")),
]


@pytest.mark.parametrize(("answer", "at"), HOSTILE_ANSWERS)
async def test_hostile_answers_are_user_errors_and_store_nothing(
    gql: GraphQLClient, answer: dict[str, Any], at: tuple[str, ...]
) -> None:
    await provision(gql)
    await enroll(gql, "ann")
    survey = await open_survey(gql)
    rest = [a for a in answers() if a["questionKey"] != answer["questionKey"]]
    body = await gql.post(
        SUBMIT,
        {"input": {"surveyId": survey, "answers": [answer, *rest], "idempotencyKey": "k"}},
        bearer=member_token("ann"),
    )
    assert "errors" not in body, body
    payload = body["data"]["submitFeedback"]
    assert payload["response"] is None
    assert at in {tuple(e["field"]) for e in payload["userErrors"]}, payload
    assert await _counts() == (1, 0, 0)
    # Nothing was claimed either: the same key with good answers is a first submission.
    assert (await submit(gql, "ann", survey, answers(), key="k"))["userErrors"] == []


@pytest.mark.parametrize("key", ["\x00", "k" * 20_000, "comment\x00", "' OR 1=1 --"])
async def test_hostile_text_answer_filters_never_fail(gql: GraphQLClient, key: str) -> None:
    survey, _, _ = await _answered(gql)
    body = await gql.post(TEXTS, {"id": survey, "key": key}, bearer=ADMIN)
    if "errors" in body:
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
    else:
        assert body["data"]["survey"]["textAnswers"]["edges"] == []
    body = await gql.post(
        "query($id: ID!, $s: ID) { survey(id: $id) { results(segmentId: $s) { responses } } }",
        {"id": survey, "s": key},
        bearer=ADMIN,
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body


async def test_concurrent_creates_of_one_survey_create_one(gql: GraphQLClient) -> None:
    await provision(gql)
    bodies = await asyncio.gather(
        *(
            gql.post(CREATE, {"input": {"name": "Once", "questions": QUESTIONS}}, bearer=ADMIN)
            for _ in range(6)
        )
    )
    codes = []
    for body in bodies:
        assert "errors" not in body, body
        codes += [e["code"] for e in body["data"]["createSurvey"]["userErrors"]]
    assert codes == ["SURVEY_NAME_TAKEN"] * 5
    assert await _counts() == (1, 0, 0)


async def test_concurrent_submissions_under_one_key_record_once(gql: GraphQLClient) -> None:
    await provision(gql)
    await enroll(gql, "ann")
    survey = await open_survey(gql)
    given = answers(text="Once")
    payloads = await asyncio.gather(
        *(submit(gql, "ann", survey, given, key="one-key") for _ in range(8))
    )
    assert all(p["userErrors"] == [] for p in payloads), payloads
    assert len({p["response"]["id"] for p in payloads}) == 1
    other = await asyncio.gather(
        *(submit(gql, "ann", survey, answers(nps=n), key="one-key") for n in range(3))
    )
    assert all([e["code"] for e in p["userErrors"]] == ["IDEMPOTENCY_KEY_REUSED"] for p in other), (
        other
    )
    assert await _counts() == (1, 1, 4)


SURVEYS_PAGE = """{ surveys(first: 100) { edges { node { name questions { key }
  results { responses nps { score } questions { key answers average } } } } } }"""
MEMBERS_PAGE = """{ members(first: 10) { edges { node { externalId surveys { answered
  survey { name } response { answers { questionKey score } } } } } } }"""


async def test_a_page_of_surveys_with_results_costs_the_same_for_one_or_five(
    gql: GraphQLClient,
) -> None:
    await provision(gql)
    await enroll(gql, "ann")
    await submit(gql, "ann", await open_survey(gql, "S0"), answers(), key="k0")
    one = await _queries(gql, SURVEYS_PAGE, ADMIN)
    for n in range(1, 5):
        await submit(gql, "ann", await open_survey(gql, f"S{n}"), answers(nps=n), key=f"k{n}")
    page = (await gql.ok(SURVEYS_PAGE, bearer=ADMIN))["surveys"]["edges"]
    assert [e["node"]["results"]["responses"] for e in page] == [1] * 5
    assert page[4]["node"]["results"]["questions"][0]["average"] == "4.00"
    assert await _queries(gql, SURVEYS_PAGE, ADMIN) == one


async def test_a_page_of_members_with_their_surveys_costs_the_same_for_one_or_five(
    gql: GraphQLClient,
) -> None:
    await provision(gql)
    survey = await open_survey(gql, "S0")
    await enroll(gql, "m0")
    await submit(gql, "m0", survey, answers(nps=0))
    one = await _queries(gql, MEMBERS_PAGE, ADMIN)
    for n in range(1, 5):
        await enroll(gql, f"m{n}")
        await submit(gql, f"m{n}", survey, answers(nps=n))
    page = (await gql.ok(MEMBERS_PAGE, bearer=ADMIN))["members"]["edges"]
    scores = [e["node"]["surveys"][0]["response"]["answers"][0]["score"] for e in page]
    assert scores == [0, 1, 2, 3, 4]
    assert await _queries(gql, MEMBERS_PAGE, ADMIN) == one


async def test_concurrent_renames_to_one_name_keep_names_unique(gql: GraphQLClient) -> None:
    await provision(gql)
    drafts = []
    for n in range(4):
        created = await gql.ok(
            CREATE, {"input": {"name": f"D{n}", "questions": QUESTIONS}}, bearer=ADMIN
        )
        drafts.append(created["createSurvey"]["survey"]["id"])
    bodies = await asyncio.gather(
        *(gql.post(UPDATE, {"input": {"id": d, "name": "Same"}}, bearer=ADMIN) for d in drafts)
    )
    codes = []
    for body in bodies:
        assert "errors" not in body, body
        codes += [e["code"] for e in body["data"]["updateSurvey"]["userErrors"]]
    assert codes == ["SURVEY_NAME_TAKEN"] * 3
    listed = await gql.ok("{ surveys { edges { node { name } } } }", bearer=ADMIN)
    assert sorted(e["node"]["name"] for e in listed["surveys"]["edges"]).count("Same") == 1


async def test_concurrent_creates_under_one_key_answer_the_one_survey(gql: GraphQLClient) -> None:
    await provision(gql)
    given = {"name": "Once", "questions": QUESTIONS, "idempotencyKey": "survey-key"}
    bodies = await asyncio.gather(
        *(gql.post(CREATE, {"input": given}, bearer=ADMIN) for _ in range(6))
    )
    for body in bodies:
        assert "errors" not in body, body
        assert body["data"]["createSurvey"]["userErrors"] == [], body
    assert len({body["data"]["createSurvey"]["survey"]["id"] for body in bodies}) == 1
    reused = await gql.ok(CREATE, {"input": {**given, "name": "Other"}}, bearer=ADMIN)
    assert [e["code"] for e in reused["createSurvey"]["userErrors"]] == ["IDEMPOTENCY_KEY_REUSED"]
    bad = await gql.ok(CREATE, {"input": {**given, "idempotencyKey": "k\x00"}}, bearer=ADMIN)
    assert [e["field"] for e in bad["createSurvey"]["userErrors"]] == [["input", "idempotencyKey"]]
    assert await _counts() == (1, 0, 0)


@pytest.mark.parametrize(
    "page",
    [
        {"first": 0},
        {"first": 101},
        {"first": -2_147_483_648},
        {"after": "\x00"},
        {"after": "x" * 20_000},
        {"after": "ZW50cnk6MQ=="},  # a ledger cursor
    ],
)
async def test_hostile_pages_are_bad_user_input(gql: GraphQLClient, page: dict[str, Any]) -> None:
    survey, _, _ = await _answered(gql)
    for document, variables in (
        ("query($first: Int, $after: String) { surveys(first: $first, after: $after) "
         "{ edges { node { id } } } }", page),
        ("query($first: Int, $after: String) { campaigns(first: $first, after: $after) "
         "{ edges { node { id } } } }", page),
        ("query($id: ID!, $first: Int, $after: String) { survey(id: $id) { "
         "textAnswers(first: $first, after: $after) { edges { node { id } } } } }",
         {"id": survey, **page}),
    ):  # fmt: skip
        body = await gql.post(document, variables, bearer=ADMIN)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
