"""The admins' surveys: created as drafts, changed while they are drafts, opened, closed.

Questions are stored as JSON in the survey row; a survey stops changing once it is OPEN, so
every response meets the same questions and results can be read per question key.
"""

from __future__ import annotations

import json
from typing import Any

from tortoise.exceptions import IntegrityError

from backbone import idempotency
from backbone.uow import UnitOfWork
from domain import surveys as rules
from domain.validation import ErrorCode, InvalidInput, Problem
from loyalty.feedback.commands import ChangeSurveyStatus, CreateSurvey, UpdateSurvey
from loyalty.feedback.models import Survey

_CREATE = """
INSERT INTO survey (program_id, name, questions, status, created_at, updated_at)
VALUES ($1, $2, $3::jsonb, 'DRAFT', $4, $4)
ON CONFLICT (program_id, name) DO NOTHING RETURNING id
"""
_NAME_TAKEN = "SELECT 1 FROM survey WHERE program_id = $1 AND name = $2 AND id <> $3"


def questions_json(questions: tuple[rules.Question, ...]) -> str:
    return json.dumps(
        [
            {
                "key": q.key,
                "kind": q.kind.value,
                "prompt": q.prompt,
                "required": q.required,
                "options": list(q.options),
            }
            for q in questions
        ]
    )


def questions_of(stored: Any) -> tuple[rules.Question, ...]:
    """The questions of a survey row (JSON text or already decoded)."""
    plain = json.loads(stored) if isinstance(stored, str) else stored
    return tuple(
        rules.Question(
            key=q["key"],
            kind=rules.QuestionKind(q["kind"]),
            prompt=q["prompt"],
            required=q["required"],
            options=tuple(q["options"]),
        )
        for q in plain
    )


def not_found(field: str = "id") -> InvalidInput:
    return InvalidInput(
        Problem((field,), "No such survey in the program.", ErrorCode.SURVEY_NOT_FOUND)
    )


def _name_taken() -> InvalidInput:
    return InvalidInput(
        Problem(
            ("name",), "Another survey of the program has this name.", ErrorCode.SURVEY_NAME_TAKEN
        )
    )


async def create_survey(command: CreateSurvey, uow: UnitOfWork) -> Survey:
    """A new DRAFT; under an idempotency key, created once: a retry (or a concurrent twin)
    answers with the survey the key created."""
    name, questions = rules.check_survey(command.name, list(command.questions))
    claim = None
    if command.idempotency_key is not None:
        claim = idempotency.claim_for(
            command, program_id=command.program_id, client=command.actor,
            key=command.idempotency_key, leave_out=("actor",),
        )  # fmt: skip
    async with uow:
        if claim is not None and (replay := await uow.claim(claim)) is not None:
            return await Survey.get(id=replay["surveyId"], using_db=uow.connection)
        rows = await uow.connection.execute_query_dict(
            _CREATE, [command.program_id, name, questions_json(questions), uow.now()]
        )
        if not rows:
            raise _name_taken()
        if claim is not None:
            await uow.remember({"surveyId": rows[0]["id"]})
        return await Survey.get(id=rows[0]["id"], using_db=uow.connection)


async def _locked(uow: UnitOfWork, program_id: int, survey_id: int) -> Survey:
    survey = (
        await Survey.select_for_update(no_key=True)
        .using_db(uow.connection)
        .get_or_none(id=survey_id, program_id=program_id)
    )
    if survey is None:
        raise not_found()
    return survey


async def update_survey(command: UpdateSurvey, uow: UnitOfWork) -> Survey:
    try:
        return await _update(command, uow)
    except IntegrityError as clash:  # a concurrent rename took the name first
        if "survey_program_name" in str(clash):
            raise _name_taken() from clash
        raise


async def _update(command: UpdateSurvey, uow: UnitOfWork) -> Survey:
    async with uow:
        survey = await _locked(uow, command.program_id, command.survey_id)
        rules.editable(rules.SurveyStatus(survey.status))
        name, questions = rules.check_survey(
            command.name if command.name is not None else survey.name,
            list(
                command.questions
                if command.questions is not None
                else questions_of(survey.questions)
            ),
        )
        if name != survey.name and await uow.connection.execute_query_dict(
            _NAME_TAKEN, [command.program_id, name, survey.id]
        ):
            raise _name_taken()
        survey.name = name
        survey.questions = json.loads(questions_json(questions))
        survey.updated_at = uow.now()
        await survey.save(
            using_db=uow.connection, update_fields=["name", "questions", "updated_at"]
        )
    return survey


async def change_status(command: ChangeSurveyStatus, uow: UnitOfWork) -> Survey:
    async with uow:
        survey = await _locked(uow, command.program_id, command.survey_id)
        status = rules.changed_status(rules.SurveyStatus(survey.status), command.to)
        now = uow.now()
        survey.status = status.value
        if status is rules.SurveyStatus.OPEN:
            survey.opened_at = now
        else:
            survey.closed_at = now
        survey.updated_at = now
        await survey.save(
            using_db=uow.connection,
            update_fields=["status", "opened_at", "closed_at", "updated_at"],
        )
    return survey
