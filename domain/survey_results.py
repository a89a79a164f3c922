"""A survey's results, pure: per question the answers, the average score and how often each
score or option was chosen (every score of the range and every option, zeros included), and the
NPS of the survey's first NPS question. The counts come from SQL (loyalty/feedback/results.py);
here they are put in the questions' order and rounded once."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from domain.surveys import SCORE_RANGES, Question, QuestionKind, net_promoter_score

AVERAGE_PLACES = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Nps:
    score: Decimal | None  # -100 to 100, one decimal; None without answers
    promoters: int
    passives: int
    detractors: int


@dataclass(frozen=True, slots=True)
class QuestionCounts:
    """What SQL counted for one question: answers, the exact average score, the NPS buckets,
    and the answers by score and by choice."""

    answers: int
    average: Decimal | None
    promoters: int
    passives: int
    detractors: int
    by_score: dict[int, int]
    by_choice: dict[str, int]


@dataclass(frozen=True, slots=True)
class QuestionResult:
    key: str
    kind: QuestionKind
    answers: int
    average: Decimal | None  # NPS and RATING, two decimals
    distribution: tuple[tuple[int, int], ...]  # (score, answers) over the whole range
    choices: tuple[tuple[str, int], ...]  # (option, answers) for every option


@dataclass(frozen=True, slots=True)
class SurveyResults:
    responses: int
    nps: Nps | None  # None when the survey has no NPS question
    questions: tuple[QuestionResult, ...]


def results(
    questions: tuple[Question, ...], responses: int, counted: dict[str, QuestionCounts]
) -> SurveyResults:
    empty = QuestionCounts(0, None, 0, 0, 0, {}, {})
    shown = []
    nps = None
    for question in questions:
        counts = counted.get(question.key, empty)
        scored = question.kind.value in SCORE_RANGES
        distribution: tuple[tuple[int, int], ...] = ()
        if scored:
            low, high = SCORE_RANGES[question.kind.value]
            distribution = tuple((s, counts.by_score.get(s, 0)) for s in range(low, high + 1))
        average = None
        if scored and counts.average is not None:
            average = counts.average.quantize(AVERAGE_PLACES, rounding=ROUND_HALF_EVEN)
        shown.append(
            QuestionResult(
                key=question.key,
                kind=question.kind,
                answers=counts.answers,
                average=average,
                distribution=distribution,
                choices=tuple((o, counts.by_choice.get(o, 0)) for o in question.options),
            )
        )
        if question.kind is QuestionKind.NPS and nps is None:
            nps = Nps(
                net_promoter_score(counts.promoters, counts.passives, counts.detractors),
                counts.promoters,
                counts.passives,
                counts.detractors,
            )
    return SurveyResults(responses, nps, tuple(shown))
