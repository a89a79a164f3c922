"""Surveys and submitFeedback: results (NPS, averages, choices) counted right on a hand-built
set, invalid answers refused with typed errors and nothing stored, once per member and survey
(also under concurrent submissions), other programs kept out, results for admins only."""

from __future__ import annotations

import asyncio

import pytest
from tortoise import connections

from api.auth import Role
from tests.conftest import token
from tests.e2e.conftest import GraphQLClient, enroll, provision
from tests.e2e.feedback_helpers import (
    COUNTS,
    SUBMIT,
    TEXTS,
    answers,
    open_survey,
    results,
    submit,
)
from tests.e2e.gift_helpers import events_of
from tests.e2e.points_helpers import ADMIN, member_token

pytestmark = pytest.mark.e2e

# Seven members' answers: NPS 3 promoters, 2 passives, 2 detractors -> (3 - 2) / 7 = 14.3;
# delivery ratings 24 / 7 = 3.43.
HAND_BUILT = [
    (10, 5, "Friends", "Great"),
    (9, 4, "Friends", None),
    (9, 4, "Search", "Fast\nand friendly"),
    (8, 3, "Search", None),
    (7, 5, "Friends", None),
    (6, 2, "Search", "Slow"),
    (3, 1, "Friends", None),
]


async def _counts() -> tuple[int, int]:
    [row] = await connections.get("default").execute_query_dict(COUNTS)
    return row["responses"], row["answers"]


async def test_results_count_nps_averages_choices_and_texts_of_a_hand_built_set(
    gql: GraphQLClient,
) -> None:
    await provision(gql)
    survey = await open_survey(gql)
    for number, (nps, rating, choice, text) in enumerate(HAND_BUILT):
        await enroll(gql, f"m{number}")
        done = await submit(gql, f"m{number}", survey, answers(nps, rating, choice, text))
        assert done["userErrors"] == [], done
    found = await results(gql, survey)
    assert found["responses"] == 7
    assert found["nps"] == {"score": "14.3", "promoters": 3, "passives": 2, "detractors": 2}
    nps, delivery, channel, comment = found["questions"]
    assert (nps["key"], nps["answers"], nps["average"]) == ("nps", 7, "7.43")
    assert [d["answers"] for d in nps["distribution"]] == [0, 0, 0, 1, 0, 0, 1, 1, 1, 2, 1]
    assert (delivery["average"], delivery["choices"]) == ("3.43", [])
    assert [(d["score"], d["answers"]) for d in delivery["distribution"]] == [
        (1, 1), (2, 1), (3, 1), (4, 2), (5, 2),
    ]  # fmt: skip
    assert channel["choices"] == [
        {"option": "Friends", "answers": 4},
        {"option": "Search", "answers": 3},
        {"option": "Ads", "answers": 0},
    ]
    assert (channel["average"], channel["distribution"]) == (None, [])
    assert (comment["kind"], comment["answers"], comment["average"]) == ("TEXT", 3, None)
    first = await gql.ok(TEXTS, {"id": survey}, bearer=ADMIN)
    page = first["survey"]["textAnswers"]
    assert [e["node"]["text"] for e in page["edges"]] == ["Great", "Fast\nand friendly"]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await gql.ok(TEXTS, {"id": survey, "after": page["pageInfo"]["endCursor"]}, bearer=ADMIN)
    assert [e["node"]["text"] for e in rest["survey"]["textAnswers"]["edges"]] == ["Slow"]
    events = await events_of(gql, "feedback.submitted")
    assert [e["payload"]["npsBucket"] for e in events] == [
        "PROMOTER", "PROMOTER", "PROMOTER", "PASSIVE", "PASSIVE", "DETRACTOR", "DETRACTOR",
    ]  # fmt: skip
    assert set(events[0]["payload"]) == {"surveyId", "responseId", "answered", "npsBucket"}


async def test_a_survey_without_answers_has_empty_results(gql: GraphQLClient) -> None:
    await provision(gql)
    survey = await open_survey(gql)
    found = await results(gql, survey)
    assert found["responses"] == 0
    assert found["nps"] == {"score": None, "promoters": 0, "passives": 0, "detractors": 0}
    assert [q["answers"] for q in found["questions"]] == [0, 0, 0, 0]


_OK = answers(text="ok")  # nps, delivery, channel, comment: all fine


def _with(index: int, answer: dict[str, object]) -> list[dict[str, object]]:
    """The fine answers with the one at `index` replaced (or `answer` added at the end)."""
    changed = list(_OK)
    if index < len(changed):
        changed[index] = answer
    else:
        changed.append(answer)
    return changed


@pytest.mark.parametrize(
    ("sent", "fields"),
    [
        (_with(4, {"questionKey": "nope", "score": 1}), [["answers", "4", "questionKey"]]),
        (_with(4, {"questionKey": "nps", "score": 5}), [["answers", "4", "questionKey"]]),
        (_with(0, {"questionKey": "nps", "score": 11}), [["answers", "0", "score"]]),
        (_with(0, {"questionKey": "nps", "score": -1}), [["answers", "0", "score"]]),
        (_with(1, {"questionKey": "delivery", "score": 0}), [["answers", "1", "score"]]),
        (_with(2, {"questionKey": "channel", "choice": "TV"}), [["answers", "2", "choice"]]),
        (
            _with(2, {"questionKey": "channel", "score": 1}),
            [["answers", "2", "score"], ["answers"]],
        ),
        (_with(3, {"questionKey": "comment", "text": "x" * 501}), [["answers", "3", "text"]]),
        (_with(3, {"questionKey": "comment", "text": "a\u202eb"}), [["answers", "3", "text"]]),
        (_OK[1:], [["answers"]]),
    ],
)
async def test_invalid_answers_are_typed_errors_and_store_nothing(
    gql: GraphQLClient, sent: list[dict[str, object]], fields: list[list[str]]
) -> None:
    await provision(gql)
    await enroll(gql, "ann")
    survey = await open_survey(gql)
    refused = await submit(gql, "ann", survey, sent)
    assert refused["response"] is None
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
        (["input", *field], "INVALID_ANSWERS") for field in fields
    ]
    assert await _counts() == (0, 0)
    assert await events_of(gql, "feedback.submitted") == []
    assert (await submit(gql, "ann", survey, _OK))["userErrors"] == []  # the key was not kept


async def test_required_answers_are_all_reported_at_once(gql: GraphQLClient) -> None:
    await provision(gql)
    await enroll(gql, "ann")
    survey = await open_survey(gql)
    refused = await submit(gql, "ann", survey, [{"questionKey": "comment", "text": "Hi"}])
    assert [e["message"] for e in refused["userErrors"]] == [
        "The question 'nps' needs an answer.",
        "The question 'delivery' needs an answer.",
        "The question 'channel' needs an answer.",
    ]
    assert await _counts() == (0, 0)


async def test_a_member_answers_once_a_retry_answers_the_same(gql: GraphQLClient) -> None:
    await provision(gql)
    await enroll(gql, "ann")
    survey = await open_survey(gql)
    first = await submit(gql, "ann", survey, answers(text="  Lovely  "), key="k1")
    assert first["userErrors"] == []
    assert first["response"]["answers"][-1] == {
        "questionKey": "comment", "score": None, "choice": None, "text": "Lovely",
    }  # fmt: skip
    retried = await submit(gql, "ann", survey, answers(text="  Lovely  "), key="k1")
    again = await submit(gql, "ann", survey, answers(text="Lovely"), key="k2")
    assert retried["response"]["id"] == again["response"]["id"] == first["response"]["id"]
    other = await submit(gql, "ann", survey, answers(nps=2), key="k3")
    assert other["userErrors"] == [
        {
            "field": ["input", "surveyId"],
            "message": "You have already answered this survey.",
            "code": "ALREADY_ANSWERED",
        }
    ]
    reused = await submit(gql, "ann", survey, answers(nps=2), key="k1")
    assert [e["code"] for e in reused["userErrors"]] == ["IDEMPOTENCY_KEY_REUSED"]
    assert await _counts() == (1, 4)
    assert len(await events_of(gql, "feedback.submitted")) == 1


async def test_concurrent_submissions_store_one_response(gql: GraphQLClient) -> None:
    await provision(gql)
    await enroll(gql, "ann")
    await enroll(gql, "bob")
    survey = await open_survey(gql)
    different = await asyncio.gather(
        *(submit(gql, "ann", survey, answers(nps=n), key=f"a{n}") for n in range(8))
    )
    stored = [p for p in different if p["userErrors"] == []]
    assert len(stored) == 1
    assert {p["userErrors"][0]["code"] for p in different if p["userErrors"]} == {
        "ALREADY_ANSWERED"
    }
    same = await asyncio.gather(
        *(submit(gql, "bob", survey, answers(), key=f"b{n}") for n in range(8))
    )
    assert all(p["userErrors"] == [] for p in same)
    assert len({p["response"]["id"] for p in same}) == 1
    assert await _counts() == (2, 6)
    assert len(await events_of(gql, "feedback.submitted")) == 2


async def test_other_programs_neither_answer_nor_read_a_survey(gql: GraphQLClient) -> None:
    await provision(gql)
    await provision(gql, "beta")
    await enroll(gql, "ann")
    await enroll(gql, "ann", program="beta")
    survey = await open_survey(gql)
    probe = await submit(gql, "ann", survey, answers(), program="beta")
    assert [e["code"] for e in probe["userErrors"]] == ["SURVEY_NOT_FOUND"]
    beta_admin = token(Role.ADMIN, "beta")
    read = await gql.ok(
        "query($id: ID!) { survey(id: $id) { id } node(id: $id) { id } }",
        {"id": survey},
        bearer=beta_admin,
    )
    assert read == {"survey": None, "node": None}
    listed = await gql.ok("{ surveys { edges { node { id } } } }", bearer=beta_admin)
    assert listed["surveys"]["edges"] == []
    assert await _counts() == (0, 0)


async def test_results_and_text_answers_are_for_admins_only(gql: GraphQLClient) -> None:
    await provision(gql)
    await enroll(gql, "ann")
    survey = await open_survey(gql)
    await submit(gql, "ann", survey, answers(text="Mine"))
    body = await gql.post(
        "query($id: ID!) { survey(id: $id) { results { responses } } }",
        {"id": survey},
        bearer=member_token("ann"),
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    mine = await gql.ok(
        "query($id: ID!) { survey(id: $id) { status myResponse { answers { text } } } }",
        {"id": survey},
        bearer=member_token("ann"),
    )
    assert mine["survey"]["myResponse"]["answers"][-1]["text"] == "Mine"
    body = await gql.post(SUBMIT, {"input": {"surveyId": survey, "answers": [],
                                             "idempotencyKey": "x"}}, bearer=ADMIN)  # fmt: skip
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
