"""Surveys' results, counted in SQL: responses, and per question the answers, the average
score, the NPS buckets and the answers by score and by option, in one grouping-sets statement
(for a page of surveys at once);
for a segment, over the responses of its members now (loyalty/insights/segments.py, so a
behavioural segment counts only members who consent to profiling)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from tortoise import connections

from domain.survey_results import QuestionCounts, SurveyResults, results
from domain.surveys import PASSIVE_FROM, PROMOTER_FROM
from loyalty.feedback.catalog import questions_of
from loyalty.feedback.models import Survey
from loyalty.insights.segments import segment_query

_RESPONSES = """
SELECT r.survey_id, count(*) AS n FROM survey_response r
WHERE r.survey_id = ANY($1::bigint[]) {segment} GROUP BY r.survey_id
"""
_COUNTS = f"""
SELECT a.survey_id, a.question_key, a.score, a.choice, grouping(a.score, a.choice) AS whole,
  count(*) AS answers, avg(a.score) AS average,
  count(*) FILTER (WHERE a.score >= {PROMOTER_FROM}) AS promoters,
  count(*) FILTER (WHERE a.score >= {PASSIVE_FROM} AND a.score < {PROMOTER_FROM}) AS passives,
  count(*) FILTER (WHERE a.score < {PASSIVE_FROM}) AS detractors
FROM survey_answer a JOIN survey_response r ON r.id = a.response_id
WHERE a.survey_id = ANY($1::bigint[]) AND num_nonnulls(a.score, a.choice, a.text) > 0 {{segment}}
GROUP BY GROUPING SETS ((a.survey_id, a.question_key),
  (a.survey_id, a.question_key, a.score, a.choice))
"""  # noqa: S608 - integer constants of domain/surveys.py


async def survey_results(
    survey: Survey, *, segment_id: int | None, now: datetime
) -> SurveyResults | None:
    """The survey's results, of everyone or of a segment's members; None when the segment is
    not the survey's program's (or is archived)."""
    found = await surveys_results([survey], segment_id=segment_id, now=now)
    return found.get(survey.id) if found is not None else None


async def surveys_results(
    surveys: list[Survey], *, segment_id: int | None, now: datetime
) -> dict[int, SurveyResults] | None:
    """Each survey's results (surveys of one program), by key, in two statements whatever their
    number; None when the segment is not their program's (or is archived)."""
    if not surveys:
        return {}
    connection = connections.get("default")
    params: list[Any] = [[survey.id for survey in surveys]]
    segment = ""
    if segment_id is not None:
        query = await segment_query(
            connection, surveys[0].program_id, segment_id, now=now, first_placeholder=2
        )
        if query is None:
            return None
        segment = f"AND r.member_id IN ({query.sql})"
        params += query.params
    totals = await connection.execute_query_dict(_RESPONSES.format(segment=segment), params)
    responses = {row["survey_id"]: row["n"] for row in totals}
    rows = await connection.execute_query_dict(_COUNTS.format(segment=segment), params)
    by_survey: dict[int, list[dict[str, Any]]] = {survey.id: [] for survey in surveys}
    for row in rows:
        by_survey[row["survey_id"]].append(row)
    return {
        survey.id: results(
            questions_of(survey.questions),
            responses.get(survey.id, 0),
            _counted(by_survey[survey.id]),
        )
        for survey in surveys
    }


def _counted(rows: list[dict[str, Any]]) -> dict[str, QuestionCounts]:
    wholes = {row["question_key"]: row for row in rows if row["whole"]}
    by_score: dict[str, dict[int, int]] = {key: {} for key in wholes}
    by_choice: dict[str, dict[str, int]] = {key: {} for key in wholes}
    for row in rows:
        if row["whole"]:
            continue
        if row["score"] is not None:
            by_score[row["question_key"]][row["score"]] = row["answers"]
        elif row["choice"] is not None:
            by_choice[row["question_key"]][row["choice"]] = row["answers"]
    return {
        key: QuestionCounts(
            answers=row["answers"],
            average=Decimal(row["average"]) if row["average"] is not None else None,
            promoters=row["promoters"],
            passives=row["passives"],
            detractors=row["detractors"],
            by_score=by_score[key],
            by_choice=by_choice[key],
        )
        for key, row in wholes.items()
    }
