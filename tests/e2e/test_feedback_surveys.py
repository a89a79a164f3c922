"""The admins' surveys: validated whole, changed only as drafts, opened, closed; draft and
closed surveys take no answers."""

from __future__ import annotations

import pytest
from tortoise import connections

from tests.e2e.conftest import GraphQLClient, enroll, provision
from tests.e2e.feedback_helpers import (
    CLOSE,
    COUNTS,
    CREATE,
    QUESTIONS,
    UPDATE,
    answers,
    open_survey,
    submit,
)
from tests.e2e.points_helpers import ADMIN

pytestmark = pytest.mark.e2e


async def _counts() -> tuple[int, int]:
    [row] = await connections.get("default").execute_query_dict(COUNTS)
    return row["responses"], row["answers"]


async def test_draft_and_closed_surveys_take_no_answers_and_open_ones_do_not_change(
    gql: GraphQLClient,
) -> None:
    await provision(gql)
    await enroll(gql, "ann")
    created = await gql.ok(
        CREATE, {"input": {"name": "Draft", "questions": QUESTIONS[:1]}}, bearer=ADMIN
    )
    draft = created["createSurvey"]["survey"]
    assert (draft["status"], draft["openedAt"]) == ("DRAFT", None)
    assert draft["questions"][0]["required"] is True
    refused = await submit(gql, "ann", draft["id"], answers()[:1])
    assert [e["code"] for e in refused["userErrors"]] == [
        "SURVEY_NOT_FOUND"
    ]  # a draft is not shown to members
    emptied = await gql.ok(UPDATE, {"input": {"id": draft["id"], "questions": []}}, bearer=ADMIN)
    assert [e["field"] for e in emptied["updateSurvey"]["userErrors"]] == [["input", "questions"]]
    rating = {"key": "stars", "kind": "RATING", "prompt": "Stars?", "required": False}
    updated = await gql.ok(
        UPDATE, {"input": {"id": draft["id"], "name": "Stars", "questions": [rating]}}, bearer=ADMIN
    )
    changed_draft = updated["updateSurvey"]["survey"]
    assert (changed_draft["name"], changed_draft["questions"]) == (
        "Stars", [{**rating, "options": []}],
    )  # fmt: skip
    survey = await open_survey(gql, "Open")
    changed = await gql.ok(UPDATE, {"input": {"id": survey, "name": "New"}}, bearer=ADMIN)
    assert [e["code"] for e in changed["updateSurvey"]["userErrors"]] == ["INVALID_SURVEY_STATE"]
    closed = await gql.ok(CLOSE, {"input": {"id": survey}}, bearer=ADMIN)
    assert closed["closeSurvey"]["survey"]["status"] == "CLOSED"
    late = await submit(gql, "ann", survey, answers())
    assert late["userErrors"] == [
        {
            "field": ["input", "surveyId"],
            "message": "The survey is not open.",
            "code": "SURVEY_NOT_OPEN",
        }
    ]
    again = await gql.ok(CLOSE, {"input": {"id": survey}}, bearer=ADMIN)
    assert [e["code"] for e in again["closeSurvey"]["userErrors"]] == ["INVALID_SURVEY_STATE"]
    assert await _counts() == (0, 0)


async def test_a_bad_survey_is_refused_with_every_problem(gql: GraphQLClient) -> None:
    await provision(gql)
    questions = [
        {"key": "Bad Key", "kind": "NPS", "prompt": "?"},
        {"key": "pick", "kind": "CHOICE", "prompt": "Pick", "options": ["One"]},
        {"key": "pick", "kind": "RATING", "prompt": "Again", "options": ["x", "y"]},
        {"key": "blank", "kind": "TEXT", "prompt": "   "},
    ]
    refused = await gql.ok(CREATE, {"input": {"name": "", "questions": questions}}, bearer=ADMIN)
    assert refused["createSurvey"]["survey"] is None
    assert [e["field"] for e in refused["createSurvey"]["userErrors"]] == [
        ["input", "name"],
        ["input", "questions", "0", "key"],
        ["input", "questions", "1", "options"],
        ["input", "questions", "2", "key"],
        ["input", "questions", "2", "options"],
        ["input", "questions", "3", "prompt"],
    ]
    assert {e["code"] for e in refused["createSurvey"]["userErrors"]} == {"INVALID_SURVEY"}
    many = [{"key": f"q{n}", "kind": "RATING", "prompt": "?"} for n in range(11)]
    too_many = await gql.ok(CREATE, {"input": {"name": "Big", "questions": many}}, bearer=ADMIN)
    assert [e["field"] for e in too_many["createSurvey"]["userErrors"]] == [["input", "questions"]]
    await open_survey(gql, "Taken")
    taken = await gql.ok(CREATE, {"input": {"name": "Taken", "questions": QUESTIONS}}, bearer=ADMIN)
    assert [e["code"] for e in taken["createSurvey"]["userErrors"]] == ["SURVEY_NAME_TAKEN"]
