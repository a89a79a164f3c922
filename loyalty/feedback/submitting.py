"""submitFeedback: a member's answers to an open survey of its program, once per member and
survey.

The response's unique (survey, member) key decides a race: of two submissions at once, the
second waits for the first to commit and then finds its response. The same answers again (a
retry under another key) answer with that response; other answers are refused
(ALREADY_ANSWERED). The survey row is read FOR SHARE, so a close waits for the submissions in
flight and none lands after it. Answers are checked before anything is written: a refused
submission leaves no row behind (its idempotency claim rolls back with it).
"""

from __future__ import annotations

from backbone import idempotency
from backbone.uow import UnitOfWork
from domain import surveys as rules
from domain.events import FeedbackSubmitted
from domain.members import MemberStatus
from domain.validation import ErrorCode, InvalidInput, Problem
from loyalty.feedback.catalog import not_found, questions_of
from loyalty.feedback.commands import SubmitFeedback

_MEMBER = "SELECT status FROM member WHERE id = $1 AND program_id = $2"
_SURVEY = """
SELECT status, questions FROM survey WHERE id = $1 AND program_id = $2 FOR SHARE
"""
_RESPOND = """
INSERT INTO survey_response (program_id, survey_id, member_id, answers_digest, submitted_at)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (survey_id, member_id) DO NOTHING RETURNING id
"""
_ANSWERED = "SELECT id, answers_digest FROM survey_response WHERE survey_id = $1 AND member_id = $2"
_ANSWERS = """
INSERT INTO survey_answer (survey_id, response_id, question_key, score, choice, text)
SELECT $1, $2, a.key, a.score, a.choice, a.text
FROM unnest($3::varchar[], $4::smallint[], $5::varchar[], $6::varchar[])
  AS a(key, score, choice, text)
"""


async def submit_feedback(command: SubmitFeedback, uow: UnitOfWork) -> int:
    claim = idempotency.claim_for(
        command,
        program_id=command.program_id,
        client=command.actor,
        key=command.idempotency_key,
        leave_out=("actor",),
    )
    async with uow:
        replay = await uow.claim(claim)
        if replay is not None:
            replayed: int = replay["responseId"]
            return replayed
        connection = uow.connection
        member = await connection.execute_query_dict(
            _MEMBER, [command.member_id, command.program_id]
        )
        if not member or member[0]["status"] != MemberStatus.ACTIVE:
            raise InvalidInput(
                Problem((), "The member is not active.", ErrorCode.MEMBER_NOT_ACTIVE)
            )
        survey = await connection.execute_query_dict(
            _SURVEY, [command.survey_id, command.program_id]
        )
        if not survey:
            raise not_found("surveyId")
        if survey[0]["status"] == rules.SurveyStatus.DRAFT:
            # A draft is invisible to members (`survey(id)` answers null): no other answer here.
            raise not_found("surveyId")
        if survey[0]["status"] != rules.SurveyStatus.OPEN:
            raise InvalidInput(
                Problem(("surveyId",), "The survey is not open.", ErrorCode.SURVEY_NOT_OPEN)
            )
        questions = questions_of(survey[0]["questions"])
        answers = rules.check_answers(questions, list(command.answers))
        digest = rules.digest(answers)
        response_id = await _respond(command, uow, digest)
        if response_id is None:
            response_id = await _same_answers(command, uow, digest)
        else:
            await connection.execute_query(
                _ANSWERS,
                [
                    command.survey_id, response_id, [a.question_key for a in answers],
                    [a.score for a in answers], [a.choice for a in answers],
                    [a.text for a in answers],
                ],
            )  # fmt: skip
            bucket = rules.nps_bucket(questions, answers)
            uow.record(
                FeedbackSubmitted(
                    program_id=command.program_id,
                    member_id=command.member_id,
                    survey_id=command.survey_id,
                    response_id=response_id,
                    answered=len(answers),
                    nps_bucket=bucket.value if bucket is not None else None,
                )
            )
        await uow.remember({"responseId": response_id})
    return response_id


async def _respond(command: SubmitFeedback, uow: UnitOfWork, digest: str) -> int | None:
    """The new response's key, or None when the member had answered already."""
    rows = await uow.connection.execute_query_dict(
        _RESPOND,
        [command.program_id, command.survey_id, command.member_id, digest, uow.now()],
    )
    return rows[0]["id"] if rows else None


async def _same_answers(command: SubmitFeedback, uow: UnitOfWork, digest: str) -> int:
    """The member's earlier response if it gave these very answers; else ALREADY_ANSWERED."""
    [found] = await uow.connection.execute_query_dict(
        _ANSWERED, [command.survey_id, command.member_id]
    )
    if found["answers_digest"] != digest:
        raise InvalidInput(
            Problem(
                ("surveyId",),
                "You have already answered this survey.",
                ErrorCode.ALREADY_ANSWERED,
            )
        )
    same: int = found["id"]
    return same
