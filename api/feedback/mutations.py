"""Mutations of surveys: createSurvey, updateSurvey, openSurvey and closeSurvey (admins), and
submitFeedback (a member for itself)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import strawberry

from api.context import Context
from api.errors import INPUT, UserError, user_errors
from api.feedback.nodes import visible_response
from api.feedback.types import Survey, SurveyResponse
from api.permissions import IsAdmin, IsMember
from api.relay import decode_global_id
from backbone.idempotency import check_key
from domain import surveys as rules
from domain.validation import ErrorCode, InvalidInput, Problem, actor
from loyalty.feedback import commands
from loyalty.feedback.models import Survey as SurveyModel


@strawberry.input(description="One question of a survey.")
class SurveyQuestionInput:
    key: str = strawberry.field(
        description=f"Its stable key: 1-{rules.QUESTION_KEY_MAX} of a-z 0-9 _, from a letter, "
        "unique in the survey."
    )
    kind: rules.QuestionKind = strawberry.field(description="What it asks for.")
    prompt: str = strawberry.field(description=f"1-{rules.PROMPT_MAX} characters on one line.")
    required: bool | None = strawberry.field(
        default=None, description="Whether an answer must give it; default: yes, but not a TEXT."
    )
    options: list[str] = strawberry.field(
        default_factory=list,
        description=f"A CHOICE's {rules.OPTIONS_MIN}-{rules.OPTIONS_MAX} distinct options, "
        f"1-{rules.OPTION_MAX} characters each; none for other kinds.",
    )


@strawberry.input(description="A new survey; a DRAFT until openSurvey.")
class CreateSurveyInput:
    name: str = strawberry.field(
        description=f"1-{rules.NAME_MAX} characters on one line, unique in the program."
    )
    questions: list[SurveyQuestionInput] = strawberry.field(
        description=f"1-{rules.QUESTIONS_MAX} questions, in the order they are asked."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Retries with it create the survey once and answer with it (1-200 "
        "printable characters); without one, a retry is SURVEY_NAME_TAKEN.",
    )


@strawberry.input(description="Changes to a DRAFT survey; fields left out stay as they are.")
class UpdateSurveyInput:
    id: strawberry.ID = strawberry.field(description="The survey's global id.")
    name: str | None = strawberry.field(default=None, description="A new name.")
    questions: list[SurveyQuestionInput] | None = strawberry.field(
        default=None, description="New questions, replacing all of them."
    )


@strawberry.input(description="The survey to open or close.")
class SurveyStatusInput:
    id: strawberry.ID = strawberry.field(description="The survey's global id.")


@strawberry.input(description="An answer to one question: a score, a choice or a text.")
class SurveyAnswerInput:
    question_key: str = strawberry.field(description="The question's key.")
    score: int | None = strawberry.field(
        default=None, description="For NPS (0-10) and RATING (1-5)."
    )
    choice: str | None = strawberry.field(default=None, description="For CHOICE: one option.")
    text: str | None = strawberry.field(
        default=None, description=f"For TEXT: up to {rules.TEXT_MAX} characters."
    )


@strawberry.input(description="A member's answers to a survey.")
class SubmitFeedbackInput:
    survey_id: strawberry.ID = strawberry.field(description="The survey's global id.")
    answers: list[SurveyAnswerInput] = strawberry.field(
        description="One answer per question answered; every required question needs one."
    )
    idempotency_key: str = strawberry.field(description="Retries with it answer once.")


@strawberry.type(description="Result of createSurvey, updateSurvey, openSurvey, closeSurvey.")
class SurveyPayload:
    survey: Survey | None = strawberry.field(description="The survey; null if refused.")
    user_errors: list[UserError] = strawberry.field(description="Why; nothing changed.")


@strawberry.type(description="Result of submitFeedback.")
class SubmitFeedbackPayload:
    response: SurveyResponse | None = strawberry.field(
        description="The member's response; null if refused."
    )
    user_errors: list[UserError] = strawberry.field(description="Why; nothing was stored.")


def _survey_key(value: str, field: str) -> int:
    key = decode_global_id(value, "Survey")
    if key is None:
        raise InvalidInput(Problem((field,), "Not a Survey id.", ErrorCode.INVALID_ID))
    return key


def _questions(given: list[SurveyQuestionInput]) -> tuple[rules.Question, ...]:
    return tuple(
        rules.Question(
            key=q.key,
            kind=q.kind,
            prompt=q.prompt,
            required=q.required
            if q.required is not None
            else q.kind is not rules.QuestionKind.TEXT,
            options=tuple(q.options),
        )
        for q in given
    )


@strawberry.type
class FeedbackMutations:
    @strawberry.mutation(
        description="Create a survey of 1-10 questions (NPS, RATING, CHOICE, TEXT), as a DRAFT; "
        "once per idempotency key when one is given.",
        permission_classes=[IsAdmin],
    )
    async def create_survey(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[CreateSurveyInput, strawberry.argument(description=INPUT)],
    ) -> SurveyPayload:
        async def run(program_id: int) -> SurveyModel:
            principal = info.context.require_principal()
            command = commands.CreateSurvey(
                program_id=program_id,
                name=input.name,
                questions=_questions(input.questions),
                actor=actor(principal.role.value, principal.subject),
                idempotency_key=input.idempotency_key,
            )
            return await info.context.bus.handle(command)

        return await _survey(info, run)

    @strawberry.mutation(
        description="Change a DRAFT survey's name or questions (the questions replaced whole).",
        permission_classes=[IsAdmin],
    )
    async def update_survey(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[UpdateSurveyInput, strawberry.argument(description=INPUT)],
    ) -> SurveyPayload:
        async def run(program_id: int) -> SurveyModel:
            questions = _questions(input.questions) if input.questions is not None else None
            rules.check_changes(input.name, list(questions) if questions is not None else None)
            command = commands.UpdateSurvey(
                program_id=program_id,
                survey_id=_survey_key(input.id, "id"),
                name=input.name,
                questions=questions,
            )
            return await info.context.bus.handle(command)

        return await _survey(info, run)

    @strawberry.mutation(
        description="Open a DRAFT survey to answers; its questions no longer change.",
        permission_classes=[IsAdmin],
    )
    async def open_survey(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[SurveyStatusInput, strawberry.argument(description=INPUT)],
    ) -> SurveyPayload:
        return await _change(info, input, rules.SurveyStatus.OPEN)

    @strawberry.mutation(
        description="Close an OPEN survey: it takes no more answers; results stay.",
        permission_classes=[IsAdmin],
    )
    async def close_survey(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[SurveyStatusInput, strawberry.argument(description=INPUT)],
    ) -> SurveyPayload:
        return await _change(info, input, rules.SurveyStatus.CLOSED)

    @strawberry.mutation(
        description="Answer an open survey of the program as the member of the token, once per "
        "survey: a retry (the same key, or the same answers) answers with the same response; "
        "other answers a second time are refused (ALREADY_ANSWERED).",
        permission_classes=[IsMember],
    )
    async def submit_feedback(
        self,
        info: strawberry.Info[Context, Any],
        input: Annotated[SubmitFeedbackInput, strawberry.argument(description=INPUT)],
    ) -> SubmitFeedbackPayload:
        try:
            survey_id = _survey_key(input.survey_id, "surveyId")
            check_key(input.idempotency_key)
            given = [rules.Answer(a.question_key, a.score, a.choice, a.text) for a in input.answers]
            rules.check_answer_texts(given)
            me = await info.context.me()
            if me is None:
                raise InvalidInput(
                    Problem((), "No such member in this program.", ErrorCode.MEMBER_NOT_FOUND)
                )
            principal = info.context.require_principal()
            key = await info.context.bus.handle(
                commands.SubmitFeedback(
                    program_id=me.program_id,
                    member_id=me.id,
                    actor=actor(principal.role.value, principal.subject),
                    survey_id=survey_id,
                    answers=tuple(given),
                    idempotency_key=input.idempotency_key,
                )
            )
        except InvalidInput as refused:
            return SubmitFeedbackPayload(response=None, user_errors=user_errors(refused))
        return SubmitFeedbackPayload(response=await visible_response(info, key), user_errors=[])


async def _change(
    info: strawberry.Info[Context, Any], input: SurveyStatusInput, to: rules.SurveyStatus
) -> SurveyPayload:
    async def run(program_id: int) -> SurveyModel:
        command = commands.ChangeSurveyStatus(
            program_id=program_id, survey_id=_survey_key(input.id, "id"), to=to
        )
        return await info.context.bus.handle(command)

    return await _survey(info, run)


async def _survey(
    info: strawberry.Info[Context, Any], run: Callable[[int], Awaitable[SurveyModel]]
) -> SurveyPayload:
    """The payload of a survey mutation: its survey, or why the input was refused."""
    try:
        survey = await run((await info.context.require_program()).id)
    except InvalidInput as refused:
        return SurveyPayload(survey=None, user_errors=user_errors(refused))
    return SurveyPayload(survey=Survey.from_model(survey), user_errors=[])
