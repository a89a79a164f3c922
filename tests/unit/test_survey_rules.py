"""Survey rules without a database: NPS buckets and score, answers checked against questions,
and the digest that tells a retry from a second, different submission."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain import surveys as rules
from domain.validation import ErrorCode, InvalidInput

pytestmark = pytest.mark.unit

QUESTIONS = (
    rules.Question("nps", rules.QuestionKind.NPS, "Recommend us?"),
    rules.Question("pick", rules.QuestionKind.CHOICE, "Pick", options=("A", "B")),
    rules.Question("note", rules.QuestionKind.TEXT, "Note", required=False),
)


@pytest.mark.parametrize(
    ("score", "bucket"),
    [(0, "DETRACTOR"), (6, "DETRACTOR"), (7, "PASSIVE"), (8, "PASSIVE"), (9, "PROMOTER"),
     (10, "PROMOTER")],
)  # fmt: skip
def test_nps_buckets_split_at_seven_and_nine(score: int, bucket: str) -> None:
    assert rules.bucket(score) == bucket


@pytest.mark.parametrize(
    ("counts", "score"),
    [
        ((3, 2, 2), Decimal("14.3")),  # 100 / 7 = 14.2857...
        ((1, 0, 0), Decimal("100.0")),
        ((0, 0, 4), Decimal("-100.0")),
        ((1, 6, 1), Decimal("0.0")),
        ((1, 7, 0), Decimal("12.5")),  # exact halves stay: 12.5
        ((0, 0, 0), None),
    ],
)
def test_net_promoter_score_is_percent_promoters_minus_detractors(
    counts: tuple[int, int, int], score: Decimal | None
) -> None:
    assert rules.net_promoter_score(*counts) == score


def test_answers_come_back_trimmed_in_question_order_and_empty_texts_left_out() -> None:
    given = [
        rules.Answer("pick", choice="B"),
        rules.Answer("note", text="   "),
        rules.Answer("nps", score=10),
    ]
    assert rules.check_answers(QUESTIONS, given) == (
        rules.Answer("nps", score=10),
        rules.Answer("pick", choice="B"),
    )
    assert rules.nps_bucket(QUESTIONS, rules.check_answers(QUESTIONS, given)) == "PROMOTER"


def test_every_problem_of_the_answers_is_reported_at_once() -> None:
    with pytest.raises(InvalidInput) as refused:
        rules.check_answers(
            QUESTIONS, [rules.Answer("pick", choice="C"), rules.Answer("note", score=3)]
        )
    assert [(p.field, p.code) for p in refused.value.problems] == [
        (("answers", "0", "choice"), ErrorCode.INVALID_ANSWERS),
        (("answers", "1", "score"), ErrorCode.INVALID_ANSWERS),
        (("answers",), ErrorCode.INVALID_ANSWERS),  # nps is required
    ]


def test_the_digest_matches_the_same_answers_only() -> None:
    one = rules.check_answers(
        QUESTIONS, [rules.Answer("nps", score=9), rules.Answer("pick", choice="A")]
    )
    again = rules.check_answers(
        QUESTIONS, [rules.Answer("pick", choice="A"), rules.Answer("nps", score=9)]
    )
    other = rules.check_answers(
        QUESTIONS, [rules.Answer("nps", score=8), rules.Answer("pick", choice="A")]
    )
    assert rules.digest(one) == rules.digest(again) != rules.digest(other)


def test_only_a_draft_changes_and_statuses_move_forward_only() -> None:
    assert rules.changed_status(rules.SurveyStatus.DRAFT, rules.SurveyStatus.OPEN) == "OPEN"
    assert rules.changed_status(rules.SurveyStatus.OPEN, rules.SurveyStatus.CLOSED) == "CLOSED"
    for status, to in (("DRAFT", "CLOSED"), ("CLOSED", "OPEN"), ("OPEN", "OPEN")):
        with pytest.raises(InvalidInput):
            rules.changed_status(rules.SurveyStatus(status), rules.SurveyStatus(to))
    with pytest.raises(InvalidInput):
        rules.editable(rules.SurveyStatus.OPEN)
