"""GraphQL types of surveys: the survey with its questions, results and text answers (admins),
a member's response (the member itself and admins), and a member's surveys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader

from api.auth import Role
from api.context import Context
from api.errors import ClientError, TopLevelCode
from api.feedback.enums import QuestionKind, SurveyStatus
from api.feedback.results_types import SurveyResults
from api.permissions import IsAdmin
from api.relay import AFTER, FIRST, decode_cursor, decode_global_id, keyset_connection, page_size
from domain import surveys as rules
from loyalty.feedback import reads, results
from loyalty.feedback.catalog import questions_of
from loyalty.feedback.models import Survey as SurveyModel
from loyalty.feedback.models import SurveyAnswer as AnswerModel
from loyalty.feedback.models import SurveyResponse as ResponseModel

TEXT_CURSOR = "survey-text"


@strawberry.type(description="One question of a survey. Members, admins.")
class SurveyQuestion:
    key: str = strawberry.field(description="Its stable key: answers and results name it.")
    kind: QuestionKind = strawberry.field(description="What it asks for.")
    prompt: str = strawberry.field(description="What the member reads, up to 200 characters.")
    required: bool = strawberry.field(description="Whether an answer must give it.")
    options: list[str] = strawberry.field(description="A CHOICE's options; empty otherwise.")


def _answers_loader(context: Context) -> DataLoader[int, list[AnswerModel]]:
    """Answers by response: one query for every response of a request."""

    async def load(keys: list[int]) -> list[list[AnswerModel]]:
        found = await reads.answers_of(keys)
        return [found[key] for key in keys]

    loader: DataLoader[int, list[AnswerModel]] = context.loader("feedback.answers", load)
    return loader


def _survey_loader(context: Context) -> DataLoader[int, SurveyModel | None]:
    """Surveys of the caller's program by key: one query for every response of a request."""

    async def load(keys: list[int]) -> list[SurveyModel | None]:
        program = await context.require_program()
        found = await reads.surveys_by_id(program.id, keys)
        return [found.get(key) for key in keys]

    loader: DataLoader[int, SurveyModel | None] = context.loader("feedback.survey", load)
    return loader


def _results_loader(
    context: Context,
) -> DataLoader[tuple[int | None, SurveyModel], SurveyResults | None]:
    """Results by (segment, survey): two statements per segment asked of, for a page of surveys."""

    async def load(keys: list[tuple[int | None, SurveyModel]]) -> list[SurveyResults | None]:
        by_segment: dict[int | None, list[SurveyModel]] = {}
        for segment, survey in keys:
            by_segment.setdefault(segment, []).append(survey)
        counted: dict[int | None, dict[int, SurveyResults] | None] = {}
        for segment, surveys in by_segment.items():
            found = await results.surveys_results(
                surveys, segment_id=segment, now=context.clock.now()
            )
            counted[segment] = (
                {key: SurveyResults.of(one) for key, one in found.items()}
                if found is not None
                else None
            )
        return [(counted[segment] or {}).get(survey.id) for segment, survey in keys]

    loader: DataLoader[tuple[int | None, SurveyModel], SurveyResults | None] = context.loader(
        "feedback.results", load
    )
    return loader


@strawberry.type(description="One answer of a response. The member itself, admins.")
class SurveyAnswer:
    question_key: str = strawberry.field(description="The question answered.")
    score: int | None = strawberry.field(description="An NPS or RATING score.")
    choice: str | None = strawberry.field(description="A CHOICE's option.")
    text: str | None = strawberry.field(
        description="A TEXT answer; null once its member was erased."
    )


@strawberry.type(
    description="A member's one response to a survey. The member itself and admins only."
)
class SurveyResponse(relay.Node):
    response_id: relay.NodeID[int]
    survey_key: strawberry.Private[int]
    member_key: strawberry.Private[int]
    submitted_at: datetime = strawberry.field(description="When it was submitted.")

    @strawberry.field(description="The member who answered (Member global id).")
    def member_id(self) -> strawberry.ID:
        return strawberry.ID(str(relay.GlobalID("Member", str(self.member_key))))

    @strawberry.field(description="The survey answered.")
    async def survey(self, info: strawberry.Info[Context, Any]) -> Survey:
        found = await _survey_loader(info.context).load(self.survey_key)
        assert found is not None  # a response keeps its survey (RESTRICT)
        return Survey.from_model(found)

    @strawberry.field(description="Its answers, in the survey's question order.")
    async def answers(self, info: strawberry.Info[Context, Any]) -> list[SurveyAnswer]:
        found = await _answers_loader(info.context).load(self.response_id)
        return [
            SurveyAnswer(question_key=a.question_key, score=a.score, choice=a.choice, text=a.text)
            for a in found
        ]

    @classmethod
    def from_model(cls, response: ResponseModel) -> SurveyResponse:
        return cls(
            response_id=response.id,
            survey_key=response.survey_id,
            member_key=response.member_id,
            submitted_at=response.submitted_at,
        )


@strawberry.type(description="A text answer of a survey, for its admins to read.")
class SurveyTextAnswer(relay.Node):
    answer_id: relay.NodeID[int]
    question_key: str = strawberry.field(description="The TEXT question answered.")
    text: str = strawberry.field(description="The member's words.")
    submitted_at: datetime = strawberry.field(description="When its response was submitted.")

    @classmethod
    def of(cls, found: reads.TextAnswer) -> SurveyTextAnswer:
        return cls(
            answer_id=found.id,
            question_key=found.question_key,
            text=found.text,
            submitted_at=found.submitted_at,
        )


@strawberry.type(description="A page of text answers, oldest first. Admins.")
class SurveyTextAnswerConnection(relay.Connection[SurveyTextAnswer]):
    """Keyset-paginated by answer id."""


@strawberry.type(
    description="A survey of short questions (NPS, ratings, choices, texts). Admins read every "
    "survey; members the open and closed ones of their program; storefronts and partners none."
)
class Survey(relay.Node):
    survey_id: relay.NodeID[int]
    name: str = strawberry.field(description="The survey's name, 1-80 characters.")
    status: SurveyStatus = strawberry.field(description="Where it stands.")
    questions: list[SurveyQuestion] = strawberry.field(description="Its 1-10 questions.")
    opened_at: datetime | None = strawberry.field(description="When it opened; null: a draft.")
    closed_at: datetime | None = strawberry.field(description="When it closed; null: not yet.")
    created_at: datetime = strawberry.field(description="When it was created.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    model: strawberry.Private[SurveyModel]

    @strawberry.field(
        description="Its results, counted now: of every respondent, or of the members of a "
        "segment now (a behavioural segment counts only members consenting to profiling); "
        "null when the segment is not the program's or is archived. Admins only.",
        permission_classes=[IsAdmin],
    )
    async def results(
        self,
        info: strawberry.Info[Context, Any],
        segment_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only responses of this segment's members."),
        ] = None,
    ) -> SurveyResults | None:
        segment = None
        if segment_id is not None:
            segment = decode_global_id(segment_id, "Segment")
            if segment is None:
                raise ClientError("`segmentId` is not a Segment id.", TopLevelCode.BAD_USER_INPUT)
        return await _results_loader(info.context).load((segment, self.model))

    @strawberry.field(
        description="The text answers, oldest first, without who wrote them (erased members' "
        "are gone). Admins only.",
        permission_classes=[IsAdmin],
    )
    async def text_answers(
        self,
        first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
        after: Annotated[str | None, strawberry.argument(description=AFTER)] = None,
        question_key: Annotated[
            str | None, strawberry.argument(description="Only answers to this question.")
        ] = None,
    ) -> SurveyTextAnswerConnection:
        limit = page_size(first, "textAnswers")
        after_id = decode_cursor(after, TEXT_CURSOR)
        if question_key is not None and not rules.is_question_key(question_key):
            raise ClientError("`questionKey` is no question key.", TopLevelCode.BAD_USER_INPUT)
        rows = await reads.text_answers_page(
            self.survey_id, after_id=after_id, question_key=question_key, limit=limit + 1
        )
        return keyset_connection(
            SurveyTextAnswerConnection, rows, limit, TEXT_CURSOR, SurveyTextAnswer.of, after=after
        )

    @strawberry.field(
        description="The caller's own response; null unless a member token that answered."
    )
    async def my_response(self, info: strawberry.Info[Context, Any]) -> SurveyResponse | None:
        if info.context.require_principal().role is not Role.MEMBER:
            return None
        me = await info.context.me()
        if me is None:
            return None
        found = await reads.responses_of(me.id, [self.survey_id])
        response = found.get(self.survey_id)
        return SurveyResponse.from_model(response) if response is not None else None

    @classmethod
    def from_model(cls, survey: SurveyModel) -> Survey:
        return cls(
            survey_id=survey.id,
            name=survey.name,
            status=SurveyStatus(survey.status),
            questions=[
                SurveyQuestion(
                    key=q.key,
                    kind=q.kind,
                    prompt=q.prompt,
                    required=q.required,
                    options=list(q.options),
                )
                for q in questions_of(survey.questions)
            ],
            opened_at=survey.opened_at,
            closed_at=survey.closed_at,
            created_at=survey.created_at,
            updated_at=survey.updated_at,
            model=survey,
        )


@strawberry.type(description="A page of surveys, oldest first. Admins.")
class SurveyConnection(relay.Connection[Survey]):
    """Keyset-paginated by survey id."""


@strawberry.type(description="A survey for a member, and whether it answered. The member, admins.")
class MemberSurvey:
    survey: Survey = strawberry.field(description="The survey.")
    answered: bool = strawberry.field(description="Whether the member has answered it.")
    response: SurveyResponse | None = strawberry.field(
        description="The member's response; null until it answers."
    )


def _member_surveys_loader(context: Context) -> DataLoader[int, list[reads.MemberSurvey]]:
    """Members' surveys and responses by member: three statements for a page of members."""

    async def load(keys: list[int]) -> list[list[reads.MemberSurvey]]:
        program = await context.require_program()
        found = await reads.members_surveys(program.id, keys)
        return [found[key] for key in keys]

    loader: DataLoader[int, list[reads.MemberSurvey]] = context.loader("feedback.member", load)
    return loader


async def member_surveys(
    info: strawberry.Info[Context, Any], member_key: int
) -> list[MemberSurvey]:
    """Open surveys a campaign sent the member, and the surveys it answered, newest first: for
    the member itself (the only member a member token sees) and admins; empty for others, as
    responses are the member's and its admins' only."""
    if info.context.require_principal().role not in (Role.MEMBER, Role.ADMIN):
        return []
    found = await _member_surveys_loader(info.context).load(member_key)
    return [
        MemberSurvey(
            survey=Survey.from_model(one.survey),
            answered=one.response is not None,
            response=SurveyResponse.from_model(one.response) if one.response is not None else None,
        )
        for one in found
    ]
