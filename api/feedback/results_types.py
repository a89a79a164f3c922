"""GraphQL types of a survey's results (admins only): responses, NPS, and per question the
average score and how often each score or option was chosen."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from api.feedback.enums import QuestionKind
from domain import survey_results


@strawberry.type(description="Net Promoter Score of the survey's first NPS question. Admins.")
class NpsResult:
    score: Decimal | None = strawberry.field(
        description="Percent promoters minus percent detractors, -100 to 100 with one decimal "
        "(half to even); null without answers."
    )
    promoters: int = strawberry.field(description="Answers of 9 or 10.")
    passives: int = strawberry.field(description="Answers of 7 or 8.")
    detractors: int = strawberry.field(description="Answers of 0 to 6.")


@strawberry.type(description="How many answers gave one score. Admins.")
class ScoreCount:
    score: int = strawberry.field(description="The score.")
    answers: int = strawberry.field(description="How many answers gave it.")


@strawberry.type(description="How many answers chose one option. Admins.")
class ChoiceCount:
    option: str = strawberry.field(description="The option.")
    answers: int = strawberry.field(description="How many answers chose it.")


@strawberry.type(description="One question's results. Admins.")
class QuestionResult:
    key: str = strawberry.field(description="The question's key.")
    kind: QuestionKind = strawberry.field(description="The question's kind.")
    answers: int = strawberry.field(
        description="How many responses answered it (an erased member's text no longer counts)."
    )
    average: Decimal | None = strawberry.field(
        description="The average score of an NPS or RATING question, two decimals (half to "
        "even); null for other kinds or without answers."
    )
    distribution: list[ScoreCount] = strawberry.field(
        description="Answers per score over the whole range (0-10, 1-5), zeros included; "
        "empty for CHOICE and TEXT."
    )
    choices: list[ChoiceCount] = strawberry.field(
        description="Answers per option of a CHOICE, in the question's order, zeros included; "
        "empty for other kinds."
    )


@strawberry.type(description="A survey's results, of every respondent or of a segment. Admins.")
class SurveyResults:
    responses: int = strawberry.field(description="How many members answered.")
    nps: NpsResult | None = strawberry.field(
        description="NPS of the first NPS question; null when the survey has none."
    )
    questions: list[QuestionResult] = strawberry.field(
        description="Every question's results, in the survey's order."
    )

    @classmethod
    def of(cls, found: survey_results.SurveyResults) -> SurveyResults:
        nps = found.nps
        return cls(
            responses=found.responses,
            nps=NpsResult(
                score=nps.score,
                promoters=nps.promoters,
                passives=nps.passives,
                detractors=nps.detractors,
            )
            if nps is not None
            else None,
            questions=[
                QuestionResult(
                    key=q.key,
                    kind=q.kind,
                    answers=q.answers,
                    average=q.average,
                    distribution=[ScoreCount(score=s, answers=n) for s, n in q.distribution],
                    choices=[ChoiceCount(option=o, answers=n) for o, n in q.choices],
                )
                for q in found.questions
            ],
        )
