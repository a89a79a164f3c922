"""What clients ask of the feedback area, one command each (handlers in this package)."""

from __future__ import annotations

from dataclasses import dataclass

from backbone.bus import Command
from domain.surveys import Answer, Question, SurveyStatus
from loyalty.feedback.models import Survey


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateSurvey(Command[Survey]):
    """A new survey, a DRAFT until it is opened; under an idempotency key, created once."""

    program_id: int
    name: str
    questions: tuple[Question, ...]
    actor: str = ""
    idempotency_key: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateSurvey(Command[Survey]):
    """A DRAFT's new name and/or questions (None keeps them): replaced whole."""

    program_id: int
    survey_id: int
    name: str | None = None
    questions: tuple[Question, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeSurveyStatus(Command[Survey]):
    """Open a DRAFT, or close an OPEN survey."""

    program_id: int
    survey_id: int
    to: SurveyStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmitFeedback(Command[int]):
    """A member's answers to a survey; returns its response's key. Retried (same key, or the
    same answers again), the same response; other answers a second time are refused."""

    program_id: int
    member_id: int
    actor: str
    survey_id: int
    answers: tuple[Answer, ...]
    idempotency_key: str
