"""Reads of the feedback area: the program's surveys, a member's surveys and responses, the
text answers an admin pages through, and a member's responses in its export."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise import connections

from domain.surveys import SurveyStatus
from loyalty.export_parts import _rows
from loyalty.feedback.models import Survey, SurveyAnswer, SurveyResponse

MEMBER_SURVEYS_MAX = 100
# Open surveys a campaign delivered to each member (a SENT delivery of a campaign sending the
# survey), and every survey the member answered, newest first, at most $3 per member.
_MEMBER_SURVEYS = """
SELECT m.member_id, s.id FROM unnest($2::bigint[]) AS m(member_id) CROSS JOIN LATERAL (
  SELECT s.id FROM survey s
  WHERE s.program_id = $1 AND (
    (s.status = 'OPEN' AND s.id IN (
      SELECT c.survey_id FROM campaign_delivery d JOIN campaign c ON c.id = d.campaign_id
      WHERE d.member_id = m.member_id AND d.status = 'SENT' AND c.survey_id IS NOT NULL))
    OR s.id IN (SELECT r.survey_id FROM survey_response r WHERE r.member_id = m.member_id))
  ORDER BY s.id DESC LIMIT $3
) s
"""
_TEXT_ANSWERS = """
SELECT a.id, a.question_key, a.text, r.submitted_at FROM survey_answer a
JOIN survey_response r ON r.id = a.response_id
WHERE a.survey_id = $1 AND a.text IS NOT NULL AND a.id > $2
  AND ($3::varchar IS NULL OR a.question_key = $3)
ORDER BY a.id LIMIT $4
"""
_TEXT_ANSWER = """
SELECT a.id, a.question_key, a.text, r.submitted_at FROM survey_answer a
JOIN survey_response r ON r.id = a.response_id
WHERE a.id = $1 AND r.program_id = $2 AND a.text IS NOT NULL
"""
_OF_MEMBER = """
SELECT r.id AS response_id, s.id AS survey_id, s.name AS survey_name, r.submitted_at,
  coalesce(jsonb_agg(jsonb_build_object('questionKey', a.question_key, 'score', a.score,
    'choice', a.choice, 'text', a.text) ORDER BY a.id) FILTER (WHERE a.id IS NOT NULL),
    '[]'::jsonb) AS answers
FROM survey_response r JOIN survey s ON s.id = r.survey_id
LEFT JOIN survey_answer a ON a.response_id = r.id
WHERE r.program_id = $1 AND r.member_id = $2
GROUP BY r.id, s.id ORDER BY r.id
"""


@dataclass(frozen=True, slots=True)
class TextAnswer:
    id: int
    question_key: str
    text: str
    submitted_at: datetime


async def surveys_page(
    program_id: int, *, after_id: int | None, status: SurveyStatus | None, limit: int
) -> list[Survey]:
    query = Survey.filter(program_id=program_id, id__gt=after_id or 0)
    if status is not None:
        query = query.filter(status=status.value)
    return await query.order_by("id").limit(limit)


async def find_survey(program_id: int, survey_id: int) -> Survey | None:
    return await Survey.get_or_none(id=survey_id, program_id=program_id)


async def surveys_by_id(program_id: int, survey_ids: list[int]) -> dict[int, Survey]:
    found = await Survey.filter(program_id=program_id, id__in=survey_ids)
    return {survey.id: survey for survey in found}


@dataclass(frozen=True, slots=True)
class MemberSurvey:
    survey: Survey
    response: SurveyResponse | None


async def members_surveys(program_id: int, member_ids: list[int]) -> dict[int, list[MemberSurvey]]:
    """Each member's surveys (those sent to it and still open, and those it answered, newest
    first) with its response to each: three statements for any number of members."""
    rows = await connections.get("default").execute_query_dict(
        _MEMBER_SURVEYS, [program_id, member_ids, MEMBER_SURVEYS_MAX]
    )
    surveys = await surveys_by_id(program_id, list({row["id"] for row in rows}))
    responses = {
        (response.member_id, response.survey_id): response
        for response in await SurveyResponse.filter(
            program_id=program_id, member_id__in=member_ids, survey_id__in=list(surveys)
        )
    }
    found: dict[int, list[MemberSurvey]] = {key: [] for key in member_ids}
    for row in rows:
        member, survey = row["member_id"], row["id"]
        found[member].append(MemberSurvey(surveys[survey], responses.get((member, survey))))
    return found


async def responses_of(member_id: int, survey_ids: list[int]) -> dict[int, SurveyResponse]:
    """The member's responses to these surveys, by survey."""
    found = await SurveyResponse.filter(member_id=member_id, survey_id__in=survey_ids)
    return {response.survey_id: response for response in found}


async def find_response(program_id: int, response_id: int) -> SurveyResponse | None:
    return await SurveyResponse.get_or_none(id=response_id, program_id=program_id)


async def answers_of(response_ids: list[int]) -> dict[int, list[SurveyAnswer]]:
    """Each response's answers, in the order they were stored (the survey's question order)."""
    by_response: dict[int, list[SurveyAnswer]] = {key: [] for key in response_ids}
    for answer in await SurveyAnswer.filter(response_id__in=response_ids).order_by("id"):
        by_response[answer.response_id].append(answer)
    return by_response


async def text_answers_page(
    survey_id: int, *, after_id: int | None, question_key: str | None, limit: int
) -> list[TextAnswer]:
    rows = await connections.get("default").execute_query_dict(
        _TEXT_ANSWERS, [survey_id, after_id or 0, question_key, limit]
    )
    return [_text(row) for row in rows]


async def find_text_answer(program_id: int, answer_id: int) -> TextAnswer | None:
    rows = await connections.get("default").execute_query_dict(
        _TEXT_ANSWER, [answer_id, program_id]
    )
    return _text(rows[0]) if rows else None


def _text(row: dict[str, Any]) -> TextAnswer:
    return TextAnswer(row["id"], row["question_key"], row["text"], row["submitted_at"])


async def export_part(connection: Any, program_id: int, member_id: int) -> dict[str, Any]:
    """The member's survey responses with every answer it gave, its texts included."""
    responses = await _rows(connection, _OF_MEMBER, program_id, member_id)
    for response in responses:
        if isinstance(response["answers"], str):  # jsonb comes back as its text
            response["answers"] = json.loads(response["answers"])
    return {"surveyResponses": responses}
