"""Survey rules, pure: what a survey may ask, how a member's answers are checked, and how NPS is
read from scores.

A survey has 1..10 questions, each with a stable key (what answers and results name it by) and a
kind: NPS (0-10, "how likely are you to recommend us"), RATING (1-5), CHOICE (one of 2..10
options) or TEXT (up to 500 characters, optional unless the admin requires it). A survey changes
only while it is a DRAFT; it is then OPEN to answers, then CLOSED. Answers are checked against
the questions all at once: every problem is reported, and nothing is stored unless all are fine.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum

from domain.validation import (
    ErrorCode,
    InvalidInput,
    Problem,
    ProblemCollector,
    clean_text,
    is_plain,
)

NAME_MAX = 80
QUESTIONS_MAX = 10
QUESTION_KEY_MAX = 32
PROMPT_MAX = 200
OPTIONS_MIN = 2
OPTIONS_MAX = 10
OPTION_MAX = 80
TEXT_MAX = 500
_KEY = re.compile(r"[a-z][a-z0-9_]{0,31}", re.ASCII)
# Line breaks (and tabs) are welcome in a text answer; every other unfit character is not.
_TEXT_BREAKS = re.compile(r"\r\n|[\n\r\t]")
ANSWERS_MAX = 2 * QUESTIONS_MAX  # more is no honest answer: refused unread
_TEXT_PROBLEM = f"A text answer is up to {TEXT_MAX} printable characters (line breaks allowed)."
# Bounds of a score by kind; a CHOICE or TEXT question has none.
SCORE_RANGES = {"NPS": (0, 10), "RATING": (1, 5)}
PROMOTER_FROM = 9  # NPS 9-10 promote; 7-8 are passive; 0-6 detract
PASSIVE_FROM = 7


class QuestionKind(StrEnum):
    NPS = "NPS"
    RATING = "RATING"
    CHOICE = "CHOICE"
    TEXT = "TEXT"


class SurveyStatus(StrEnum):
    DRAFT = "DRAFT"  # being written: may change, takes no answers
    OPEN = "OPEN"  # takes answers; no longer changes, so every answer meets the same questions
    CLOSED = "CLOSED"  # takes no more answers; results stay


class NpsBucket(StrEnum):
    PROMOTER = "PROMOTER"
    PASSIVE = "PASSIVE"
    DETRACTOR = "DETRACTOR"


@dataclass(frozen=True, slots=True)
class Question:
    key: str
    kind: QuestionKind
    prompt: str
    required: bool = True
    options: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Answer:
    """A member's answer to one question: a score (NPS, RATING), a choice, or a text."""

    question_key: str
    score: int | None = None
    choice: str | None = None
    text: str | None = None


def check_survey(name: str, questions: list[Question]) -> tuple[str, tuple[Question, ...]]:
    """The survey's name and questions as stored (trimmed), or every problem at once."""
    problems = ProblemCollector()
    clean_name = _check_name(name, problems)
    cleaned = _check_questions(questions, problems)
    problems.raise_if_any()
    assert clean_name is not None
    return clean_name, cleaned


def check_changes(name: str | None, questions: list[Question] | None) -> None:
    """What an update gives (None: unchanged), checked before the survey is read."""
    problems = ProblemCollector()
    if name is not None:
        _check_name(name, problems)
    if questions is not None:
        _check_questions(questions, problems)
    problems.raise_if_any()


def _check_name(name: str, problems: ProblemCollector) -> str | None:
    bad = ErrorCode.INVALID_SURVEY
    return problems.one_line_text("name", name, max_length=NAME_MAX, label="name", code=bad)


def _check_questions(questions: list[Question], problems: ProblemCollector) -> tuple[Question, ...]:
    if not 1 <= len(questions) <= QUESTIONS_MAX:
        problems.add(
            "questions", f"A survey has 1 to {QUESTIONS_MAX} questions.", ErrorCode.INVALID_SURVEY
        )
    cleaned: list[Question] = []
    seen: set[str] = set()
    for index, question in enumerate(questions[:QUESTIONS_MAX]):
        at = ProblemCollector(("questions", str(index)))
        cleaned.append(_check_question(question, at, seen))
        try:
            at.raise_if_any()
        except InvalidInput as found:
            for problem in found.problems:
                problems.add(problem.field, problem.message, problem.code)
    return tuple(cleaned)


def _check_question(question: Question, problems: ProblemCollector, seen: set[str]) -> Question:
    bad = ErrorCode.INVALID_SURVEY
    if _KEY.fullmatch(question.key) is None:
        problems.add("key", f"key is 1-{QUESTION_KEY_MAX} of a-z 0-9 _, from a letter.", bad)
    elif question.key in seen:
        problems.add("key", f"The key {question.key!r} is used twice.", bad)
    seen.add(question.key)
    prompt = problems.one_line_text(
        "prompt", question.prompt, max_length=PROMPT_MAX, label="prompt", code=bad
    )
    options: list[str] = []
    if question.kind is QuestionKind.CHOICE:
        if not OPTIONS_MIN <= len(question.options) <= OPTIONS_MAX:
            problems.add("options", f"A CHOICE has {OPTIONS_MIN} to {OPTIONS_MAX} options.", bad)
        for number, option in enumerate(question.options[:OPTIONS_MAX]):
            text = clean_text(option, max_length=OPTION_MAX)
            if text is None:
                problems.add(
                    ("options", str(number)), f"An option is 1-{OPTION_MAX} characters.", bad
                )
            elif text in options:
                problems.add(("options", str(number)), f"The option {text!r} is twice.", bad)
            elif text is not None:
                options.append(text)
    elif question.options:
        problems.add("options", "Only a CHOICE question has options.", bad)
    return Question(question.key, question.kind, prompt or "", question.required, tuple(options))


def is_question_key(text: str) -> bool:
    """Whether `text` is spelled as a question key (so it may name a question at all)."""
    return _KEY.fullmatch(text) is not None


def check_answer_texts(answers: list[Answer]) -> None:
    """What can be judged of answers before their survey is read: how many, and that every
    key, choice and text is bounded plain text."""
    problems = ProblemCollector()
    bad = ErrorCode.INVALID_ANSWERS
    if len(answers) > ANSWERS_MAX:
        problems.add("answers", f"A survey has at most {QUESTIONS_MAX} questions to answer.", bad)
    for index, answer in enumerate(answers[:ANSWERS_MAX]):
        at = ("answers", str(index))
        if _KEY.fullmatch(answer.question_key) is None:
            problems.add((*at, "questionKey"), "No question of the survey has this key.", bad)
        if answer.choice is not None and clean_text(answer.choice, max_length=OPTION_MAX) is None:
            problems.add((*at, "choice"), "The choice is none of the question's options.", bad)
        if answer.text is not None and not _fitting_text(answer.text):
            problems.add((*at, "text"), _TEXT_PROBLEM, bad)
    problems.raise_if_any()


def _fitting_text(text: str) -> bool:
    trimmed = text.strip()
    return len(trimmed) <= TEXT_MAX and is_plain(_TEXT_BREAKS.sub(" ", trimmed))


def check_answers(questions: tuple[Question, ...], answers: list[Answer]) -> tuple[Answer, ...]:
    """The answers as stored, in the questions' order (a TEXT trimmed, an empty optional text
    left out), or every problem at once: an unknown or repeated key, a missing required answer,
    an answer of the wrong kind or out of bounds."""
    problems = ProblemCollector()
    bad = ErrorCode.INVALID_ANSWERS
    by_key = {question.key: question for question in questions}
    given: dict[str, Answer] = {}
    for index, answer in enumerate(answers[:ANSWERS_MAX]):
        at = ("answers", str(index))
        if answer.question_key not in by_key:
            problems.add((*at, "questionKey"), "No question of the survey has this key.", bad)
        elif answer.question_key in given:
            problems.add((*at, "questionKey"), "This question is answered twice.", bad)
        else:
            checked = _check_answer(by_key[answer.question_key], answer, at, problems)
            given[answer.question_key] = checked
    if len(answers) > ANSWERS_MAX:
        problems.add("answers", f"A survey has at most {QUESTIONS_MAX} questions to answer.", bad)
    for question in questions:
        found = given.get(question.key)
        if question.required and (found is None or _empty(found)):
            problems.add("answers", f"The question {question.key!r} needs an answer.", bad)
    problems.raise_if_any()
    return tuple(given[q.key] for q in questions if q.key in given and not _empty(given[q.key]))


def _check_answer(
    question: Question, answer: Answer, at: tuple[str, ...], problems: ProblemCollector
) -> Answer:
    bad = ErrorCode.INVALID_ANSWERS
    kind = question.kind
    fields = {"score": answer.score, "choice": answer.choice, "text": answer.text}
    wanted = {"NPS": "score", "RATING": "score", "CHOICE": "choice", "TEXT": "text"}[kind]
    for name, value in fields.items():
        if value is not None and name != wanted:
            problems.add((*at, name), f"A {kind} question is answered with a {wanted}.", bad)
    if kind in SCORE_RANGES and answer.score is not None:
        low, high = SCORE_RANGES[kind]
        if not low <= answer.score <= high:
            problems.add((*at, "score"), f"A {kind} score is {low} to {high}.", bad)
    if kind is QuestionKind.CHOICE and answer.choice not in (None, *question.options):
        problems.add((*at, "choice"), "The choice is none of the question's options.", bad)
    text = None
    if kind is QuestionKind.TEXT and answer.text is not None:
        text = answer.text.strip() or None
        if text is not None and not _fitting_text(text):
            problems.add((*at, "text"), _TEXT_PROBLEM, bad)
    score = answer.score if wanted == "score" else None
    choice = answer.choice if wanted == "choice" else None
    return Answer(question.key, score, choice, text)


def _empty(answer: Answer) -> bool:
    return answer.score is None and answer.choice is None and answer.text is None


def digest(answers: tuple[Answer, ...]) -> str:
    """A stable digest of checked answers: the same answers sent again match it."""
    plain = [[a.question_key, a.score, a.choice, a.text] for a in answers]
    return hashlib.sha256(json.dumps(plain, separators=(",", ":")).encode()).hexdigest()


def changed_status(status: SurveyStatus, to: SurveyStatus) -> SurveyStatus:
    """A DRAFT opens, an OPEN survey closes; nothing else."""
    if (status, to) in (
        (SurveyStatus.DRAFT, SurveyStatus.OPEN),
        (SurveyStatus.OPEN, SurveyStatus.CLOSED),
    ):
        return to
    raise InvalidInput(
        Problem(("id",), f"A {status} survey cannot become {to}.", ErrorCode.INVALID_SURVEY_STATE)
    )


def editable(status: SurveyStatus) -> None:
    if status is not SurveyStatus.DRAFT:
        raise InvalidInput(
            Problem(("id",), "Only a DRAFT survey can change.", ErrorCode.INVALID_SURVEY_STATE)
        )


def bucket(score: int) -> NpsBucket:
    if score >= PROMOTER_FROM:
        return NpsBucket.PROMOTER
    return NpsBucket.PASSIVE if score >= PASSIVE_FROM else NpsBucket.DETRACTOR


def nps_bucket(questions: tuple[Question, ...], answers: tuple[Answer, ...]) -> NpsBucket | None:
    """The bucket of the survey's first NPS answer (what `feedback.submitted` carries)."""
    nps_keys = [q.key for q in questions if q.kind is QuestionKind.NPS]
    for answer in answers:
        if nps_keys and answer.question_key == nps_keys[0] and answer.score is not None:
            return bucket(answer.score)
    return None


def net_promoter_score(promoters: int, passives: int, detractors: int) -> Decimal | None:
    """Percent promoters minus percent detractors, -100 to 100 with one decimal (rounded once,
    half to even); None without answers."""
    total = promoters + passives + detractors
    if total == 0:
        return None
    exact = Decimal(100 * (promoters - detractors)) / Decimal(total)
    return exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)
