"""The GraphQL enums of surveys, described before any type of this area names them (a type that
named the plain enum first would publish it undescribed, under its Python name)."""

from __future__ import annotations

from api.enums import described_enum
from domain.surveys import QuestionKind, SurveyStatus

__all__ = ["QuestionKind", "SurveyStatus"]

described_enum(
    QuestionKind,
    name="SurveyQuestionKind",
    description="What a survey question asks for.",
    values={
        "NPS": "How likely the member is to recommend: a score from 0 to 10.",
        "RATING": "A score from 1 to 5.",
        "CHOICE": "One of the question's 2-10 options.",
        "TEXT": "The member's own words, up to 500 characters (line breaks allowed).",
    },
)
described_enum(
    SurveyStatus,
    name="SurveyStatus",
    description="Where a survey stands.",
    values={
        "DRAFT": "Being written: may change; takes no answers.",
        "OPEN": "Takes answers; its questions no longer change.",
        "CLOSED": "Takes no more answers; its results stay.",
    },
)
