"""Surveys and feedback: an admin's survey of short questions, and each member's one response.

`survey` is a program's survey: a name, its questions (a JSON list of key, kind, prompt,
required and, for a choice, its options: validated in domain/surveys.py before it is stored) and
a status (DRAFT while it may change, OPEN while members answer it, CLOSED). `survey_response` is
one member's answers to one survey: the unique (survey, member) makes a member answer once,
however many requests race; `answers_digest` tells a retry of the same answers from a second,
different submission. `survey_answer` is one answer per response and question, with the score
(NPS 0-10, RATING 1-5), the chosen option or the text, so results are aggregates in SQL. Text is
the member's own words: it is exported with the member and erased with them.

`campaign.survey_id` (0024) now references `survey`: a campaign sends an existing survey.

Revision ID: 0029
Revises: 0028
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

STATUSES = "('DRAFT', 'OPEN', 'CLOSED')"
KEY_MAX = 32  # domain/surveys.py QUESTION_KEY_MAX
OPTION_MAX = 80  # domain/surveys.py OPTION_MAX
TEXT_MAX = 500  # domain/surveys.py TEXT_MAX


def _fk(table: str) -> sa.ForeignKey:
    return sa.ForeignKey(f"{table}.id", ondelete="RESTRICT")


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True)


def _at(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.TIMESTAMP(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "survey",
        _id(),
        sa.Column("program_id", sa.BigInteger, _fk("program"), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("questions", JSONB, nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        _at("opened_at", nullable=True),
        _at("closed_at", nullable=True),
        _at("created_at"),
        _at("updated_at"),
        sa.UniqueConstraint("program_id", "name", name="survey_program_name"),
        sa.CheckConstraint(f"status IN {STATUSES}", name="survey_status"),
    )
    op.create_index("survey_program_id_id", "survey", ["program_id", "id"])
    op.create_table(
        "survey_response",
        _id(),
        sa.Column("program_id", sa.BigInteger, _fk("program"), nullable=False),
        sa.Column("survey_id", sa.BigInteger, _fk("survey"), nullable=False),
        sa.Column("member_id", sa.BigInteger, _fk("member"), nullable=False),
        sa.Column("answers_digest", sa.String(64), nullable=False),
        _at("submitted_at"),
        sa.UniqueConstraint("survey_id", "member_id", name="survey_response_once"),
    )
    op.create_index("survey_response_member", "survey_response", ["member_id", "id"])
    op.create_table(
        "survey_answer",
        _id(),
        sa.Column("survey_id", sa.BigInteger, _fk("survey"), nullable=False),
        sa.Column("response_id", sa.BigInteger, _fk("survey_response"), nullable=False),
        sa.Column("question_key", sa.String(KEY_MAX), nullable=False),
        sa.Column("score", sa.SmallInteger, nullable=True),
        sa.Column("choice", sa.String(OPTION_MAX), nullable=True),
        sa.Column("text", sa.String(TEXT_MAX), nullable=True),
        sa.UniqueConstraint("response_id", "question_key", name="survey_answer_once"),
        sa.CheckConstraint("score IS NULL OR score BETWEEN 0 AND 10", name="survey_answer_score"),
        # One kind of answer per row; none once an erased member's text is gone.
        sa.CheckConstraint("num_nonnulls(score, choice, text) <= 1", name="survey_answer_one"),
    )
    op.create_index("survey_answer_question", "survey_answer", ["survey_id", "question_key"])
    op.create_foreign_key(
        "campaign_survey_id_fkey", "campaign", "survey", ["survey_id"], ["id"], ondelete="RESTRICT"
    )


def downgrade() -> None:
    op.drop_constraint("campaign_survey_id_fkey", "campaign", type_="foreignkey")
    for table in ("survey_answer", "survey_response", "survey"):
        op.drop_table(table)
