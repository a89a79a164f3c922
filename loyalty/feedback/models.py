"""Tortoise models of the survey tables (created by Alembic revision 0029).

Responses and answers are written with SQL by loyalty/feedback/ (one response per member and
survey under its unique key); these classes describe the schema to the ORM and the drift test.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from domain.surveys import OPTION_MAX, QUESTION_KEY_MAX, TEXT_MAX
from loyalty.models import TORTOISE_APP, member_fk, program_fk


def _survey() -> Any:
    return fields.ForeignKeyField(
        f"{TORTOISE_APP}.Survey", related_name=False, on_delete=fields.RESTRICT
    )


class Survey(Model):
    """A program's survey: its questions (JSON, validated in domain/surveys.py) and status."""

    id = fields.BigIntField(primary_key=True)
    program = program_fk()
    program_id: int
    name = fields.CharField(max_length=80)
    questions: Any = fields.JSONField()
    status = fields.CharField(max_length=8)
    opened_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "survey"
        unique_together = (("program", "name"),)
        indexes = (Index(fields=("program_id", "id")),)


class SurveyResponse(Model):
    """One member's answers to one survey (at most one per member and survey)."""

    id = fields.BigIntField(primary_key=True)
    program = program_fk()
    program_id: int
    survey = _survey()
    survey_id: int
    member = member_fk()
    member_id: int
    answers_digest = fields.CharField(max_length=64)
    submitted_at = fields.DatetimeField()

    class Meta:
        table = "survey_response"
        unique_together = (("survey", "member"),)
        indexes = (Index(fields=("member_id", "id")),)


class SurveyAnswer(Model):
    """One answer of a response: a score, a chosen option or a text (erased with its member)."""

    id = fields.BigIntField(primary_key=True)
    survey = _survey()
    survey_id: int
    response: fields.ForeignKeyRelation[SurveyResponse] = fields.ForeignKeyField(
        f"{TORTOISE_APP}.SurveyResponse", related_name=False, on_delete=fields.RESTRICT
    )
    response_id: int
    question_key = fields.CharField(max_length=QUESTION_KEY_MAX)
    score = fields.SmallIntField(null=True)
    choice = fields.CharField(max_length=OPTION_MAX, null=True)
    text = fields.CharField(max_length=TEXT_MAX, null=True)

    class Meta:
        table = "survey_answer"
        unique_together = (("response", "question_key"),)
        indexes = (Index(fields=("survey_id", "question_key")),)
