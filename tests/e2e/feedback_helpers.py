"""Helpers of the feedback tests: surveys, submissions and results over GraphQL."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import GraphQLClient
from tests.e2e.points_helpers import ADMIN, member_token

SURVEY = "id name status questions { key kind prompt required options } openedAt closedAt"
CREATE = f"""mutation($input: CreateSurveyInput!) {{
  createSurvey(input: $input) {{ survey {{ {SURVEY} }} userErrors {{ field message code }} }}
}}"""
UPDATE = f"""mutation($input: UpdateSurveyInput!) {{
  updateSurvey(input: $input) {{ survey {{ {SURVEY} }} userErrors {{ field message code }} }}
}}"""
OPEN = f"""mutation($input: SurveyStatusInput!) {{
  openSurvey(input: $input) {{ survey {{ {SURVEY} }} userErrors {{ field message code }} }}
}}"""
CLOSE = f"""mutation($input: SurveyStatusInput!) {{
  closeSurvey(input: $input) {{ survey {{ {SURVEY} }} userErrors {{ field message code }} }}
}}"""
SUBMIT = """mutation($input: SubmitFeedbackInput!) {
  submitFeedback(input: $input) {
    response { id submittedAt answers { questionKey score choice text } }
    userErrors { field message code }
  }
}"""
RESULTS = """query($id: ID!, $segment: ID) { survey(id: $id) { results(segmentId: $segment) {
  responses nps { score promoters passives detractors }
  questions { key kind answers average distribution { score answers }
    choices { option answers } } } } }"""
TEXTS = """query($id: ID!, $after: String, $key: String) { survey(id: $id) {
  textAnswers(first: 2, after: $after, questionKey: $key) {
    edges { node { id questionKey text } } pageInfo { hasNextPage endCursor } } } }"""
COUNTS = """SELECT (SELECT count(*) FROM survey_response) AS responses,
  (SELECT count(*) FROM survey_answer) AS answers"""

QUESTIONS = [
    {"key": "nps", "kind": "NPS", "prompt": "How likely are you to recommend us?"},
    {"key": "delivery", "kind": "RATING", "prompt": "How was the delivery?"},
    {
        "key": "channel",
        "kind": "CHOICE",
        "prompt": "Where did you hear of us?",
        "options": ["Friends", "Search", "Ads"],
    },
    {"key": "comment", "kind": "TEXT", "prompt": "Anything else?"},
]


async def open_survey(
    gql: GraphQLClient, name: str = "Q3", questions: list[dict[str, Any]] | None = None
) -> str:
    """A new survey, opened: its global id."""
    created = await gql.ok(
        CREATE, {"input": {"name": name, "questions": questions or QUESTIONS}}, bearer=ADMIN
    )
    assert created["createSurvey"]["userErrors"] == [], created
    survey_id: str = created["createSurvey"]["survey"]["id"]
    opened = await gql.ok(OPEN, {"input": {"id": survey_id}}, bearer=ADMIN)
    assert opened["openSurvey"]["userErrors"] == [], opened
    return survey_id


def answers(
    nps: int = 9, rating: int = 4, choice: str = "Search", text: str | None = None
) -> list[dict[str, Any]]:
    given: list[dict[str, Any]] = [
        {"questionKey": "nps", "score": nps},
        {"questionKey": "delivery", "score": rating},
        {"questionKey": "channel", "choice": choice},
    ]
    if text is not None:
        given.append({"questionKey": "comment", "text": text})
    return given


async def submit(
    gql: GraphQLClient,
    who: str,
    survey_id: str,
    given: list[dict[str, Any]],
    key: str | None = None,
    program: str = "acme",
) -> dict[str, Any]:
    data = await gql.ok(
        SUBMIT,
        {"input": {"surveyId": survey_id, "answers": given, "idempotencyKey": key or who}},
        bearer=member_token(who, program),
    )
    payload: dict[str, Any] = data["submitFeedback"]
    return payload


async def results(gql: GraphQLClient, survey_id: str, segment: str | None = None) -> dict[str, Any]:
    data = await gql.ok(RESULTS, {"id": survey_id, "segment": segment}, bearer=ADMIN)
    found: dict[str, Any] = data["survey"]["results"]
    return found
