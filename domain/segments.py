"""Rules of admin-defined segments: which member facts a rule may read, how it compares them, and
the bounds of every value, so that nothing an admin types reaches SQL unchecked.

Rules are `all` (every condition holds) and `any` (one holds, when there are any); none at all
is every active member. A condition compares a whitelisted field with a number or with tier
keys / locale tags; a fact a member lacks (no order, no score) satisfies no condition on it. A
segment is `behavioural` when a condition reads behaviour (activity, RFM, predictions): such a
segment only ever holds members who consent to `profiling`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from domain.tier_config import TIER_KEY_RULE, is_tier_key
from domain.validation import (
    ErrorCode,
    ProblemCollector,
    canonical_locale,
    is_bounded_decimal,
)

NAME_MAX = 80
DESCRIPTION_MAX = 500
MAX_CONDITIONS = 20
MAX_TEXTS = 20
WITHIN_DAYS_MAX = 365
_DAYS_MAX = 36_500
_POINTS_MAX = 2**31 - 1
_RULES = ErrorCode.INVALID_SEGMENT_RULES


class SegmentField(StrEnum):
    """The member facts a condition may read (segment_sql.py maps each to one SQL expression)."""

    LOCALE = "LOCALE"
    ENROLLED_DAYS = "ENROLLED_DAYS"
    TIER = "TIER"
    POINTS_AVAILABLE = "POINTS_AVAILABLE"
    POINTS_EXPIRING = "POINTS_EXPIRING"
    DAYS_SINCE_LAST_ORDER = "DAYS_SINCE_LAST_ORDER"
    ORDER_COUNT = "ORDER_COUNT"
    COMMUNITY_POSTS = "COMMUNITY_POSTS"
    RECENCY_SCORE = "RECENCY_SCORE"
    FREQUENCY_SCORE = "FREQUENCY_SCORE"
    MONETARY_SCORE = "MONETARY_SCORE"
    CHURN_PROBABILITY = "CHURN_PROBABILITY"
    DAYS_TO_EXPECTED_ORDER = "DAYS_TO_EXPECTED_ORDER"


class SegmentOperator(StrEnum):
    EQ = "EQ"
    NE = "NE"
    LT = "LT"
    LTE = "LTE"
    GT = "GT"
    GTE = "GTE"
    IN = "IN"


@dataclass(frozen=True, slots=True)
class _Number:
    """A numeric field's range and decimals; `windowed` fields count over `withinDays`."""

    low: Decimal
    high: Decimal
    scale: int = 0
    behavioural: bool = False
    windowed: bool = False


def _ints(low: int, high: int, **kwargs: Any) -> _Number:  # whole numbers from low to high
    return _Number(Decimal(low), Decimal(high), **kwargs)


NUMBERS: dict[SegmentField, _Number] = {
    SegmentField.ENROLLED_DAYS: _ints(0, _DAYS_MAX),
    SegmentField.POINTS_AVAILABLE: _ints(0, _POINTS_MAX),
    SegmentField.POINTS_EXPIRING: _ints(0, _POINTS_MAX, windowed=True),
    SegmentField.DAYS_SINCE_LAST_ORDER: _ints(0, _DAYS_MAX, behavioural=True),
    SegmentField.ORDER_COUNT: _ints(0, 1_000_000, behavioural=True),
    SegmentField.COMMUNITY_POSTS: _ints(0, 1_000_000, behavioural=True, windowed=True),
    SegmentField.RECENCY_SCORE: _ints(1, 5, behavioural=True),
    SegmentField.FREQUENCY_SCORE: _ints(1, 5, behavioural=True),
    SegmentField.MONETARY_SCORE: _ints(1, 5, behavioural=True),
    SegmentField.CHURN_PROBABILITY: _Number(Decimal(0), Decimal(1), scale=4, behavioural=True),
    SegmentField.DAYS_TO_EXPECTED_ORDER: _ints(-_DAYS_MAX, _DAYS_MAX, behavioural=True),
}
TEXTS = frozenset({SegmentField.LOCALE, SegmentField.TIER})
_NUMBER_OPERATORS = frozenset(SegmentOperator) - {SegmentOperator.IN}
_TEXT_OPERATORS = frozenset({SegmentOperator.EQ, SegmentOperator.NE, SegmentOperator.IN})


@dataclass(frozen=True, slots=True)
class Condition:
    """One validated comparison: `number` for numeric fields, `texts` (one unless IN) for text
    fields, `within_days` for the windowed ones (points expiring, community posts)."""

    field: SegmentField
    operator: SegmentOperator
    number: Decimal | None = None
    texts: tuple[str, ...] = ()
    within_days: int | None = None

    @property
    def behavioural(self) -> bool:
        spec = NUMBERS.get(self.field)
        return spec is not None and spec.behavioural


@dataclass(frozen=True, slots=True)
class Rules:
    all: tuple[Condition, ...] = ()
    any: tuple[Condition, ...] = ()

    @property
    def behavioural(self) -> bool:
        """Derived, never chosen: true when any condition reads behaviour."""
        return any(condition.behavioural for condition in (*self.all, *self.any))


@dataclass(frozen=True, slots=True)
class ConditionInput:
    """A condition as a client sent it, before validation."""

    field: SegmentField
    operator: SegmentOperator
    number: Decimal | None = None
    texts: tuple[str, ...] | None = None
    within_days: int | None = None


@dataclass(frozen=True, slots=True)
class SegmentDetails:
    """A validated segment: what the writes store."""

    name: str
    description: str | None
    rules: Rules
    member_visible: bool


def validate_segment(
    *,
    name: str,
    description: str | None,
    all_conditions: Sequence[ConditionInput],
    any_conditions: Sequence[ConditionInput],
    member_visible: bool,
) -> SegmentDetails:
    """The segment an admin described, or InvalidInput with every problem found."""
    problems = ProblemCollector()
    clean_name = problems.one_line_text(
        "name", name, max_length=NAME_MAX, label="A segment name", code=ErrorCode.INVALID_NAME
    )
    clean_description = None
    if description is not None and description.strip():
        clean_description = problems.one_line_text(
            "description", description, max_length=DESCRIPTION_MAX, label="A description",
            code=ErrorCode.INVALID_DESCRIPTION,
        )  # fmt: skip
    if len(all_conditions) + len(any_conditions) > MAX_CONDITIONS:
        problems.add("rules", f"A segment has at most {MAX_CONDITIONS} conditions.", _RULES)
    rules = Rules(
        tuple(_conditions(problems, "all", all_conditions)),
        tuple(_conditions(problems, "any", any_conditions)),
    )
    problems.raise_if_any()
    assert clean_name is not None
    return SegmentDetails(clean_name, clean_description, rules, member_visible)


def _conditions(
    problems: ProblemCollector, group: str, raw: Sequence[ConditionInput]
) -> list[Condition]:
    return [
        condition
        for index, item in enumerate(raw[:MAX_CONDITIONS])
        if (condition := _condition(problems, ("rules", group, str(index)), item)) is not None
    ]


def _holds(problems: ProblemCollector, holds: bool, at: tuple[str, ...], message: str) -> bool:
    if not holds:
        problems.add(at, message, _RULES)
    return holds


def _condition(
    problems: ProblemCollector, at: tuple[str, ...], raw: ConditionInput
) -> Condition | None:
    if raw.field in TEXTS:
        return _text_condition(problems, at, raw)
    spec, number, days = NUMBERS[raw.field], raw.number, raw.within_days
    in_range = number is not None and (
        is_bounded_decimal(number, integer_digits=12, scale=spec.scale)
        and spec.low <= number <= spec.high
    )
    window = f"withinDays 1-{WITHIN_DAYS_MAX}" if spec.windowed else "no withinDays"
    checks = [  # every check runs: a client fixes everything in one round trip
        _holds(
            problems,
            raw.operator in _NUMBER_OPERATORS,
            (*at, "operator"),
            f"{raw.field} compares with EQ, NE, LT, LTE, GT or GTE.",
        ),
        _holds(problems, raw.texts is None, (*at, "texts"), f"{raw.field} takes a number."),
        _holds(
            problems,
            in_range,
            (*at, "number"),
            f"{raw.field} takes a number from {spec.low} to {spec.high}"
            f" with at most {spec.scale} decimals.",
        ),
        _holds(
            problems,
            (days is not None and 1 <= days <= WITHIN_DAYS_MAX) if spec.windowed else days is None,
            (*at, "withinDays"),
            f"{raw.field} takes {window}.",
        ),
    ]
    return (
        Condition(raw.field, raw.operator, number=number, within_days=days) if all(checks) else None
    )


def _text_condition(
    problems: ProblemCollector, at: tuple[str, ...], raw: ConditionInput
) -> Condition | None:
    texts = raw.texts or ()
    many = raw.operator is SegmentOperator.IN
    wanted = f"1-{MAX_TEXTS}" if many else "exactly 1"
    counted = bool(texts) and len(texts) <= MAX_TEXTS and (many or len(texts) == 1)
    cleaned = [_text(raw.field, text) for text in texts] if counted else []
    rule = TIER_KEY_RULE if raw.field is SegmentField.TIER else "a locale tag such as pt-BR"
    checks = [
        _holds(
            problems,
            raw.operator in _TEXT_OPERATORS,
            (*at, "operator"),
            f"{raw.field} compares with EQ, NE or IN.",
        ),
        _holds(
            problems,
            raw.number is None and raw.within_days is None,
            (*at, "number"),
            f"{raw.field} compares with texts only.",
        ),
        _holds(problems, counted, (*at, "texts"), f"{raw.operator} takes {wanted} texts."),
        # Each bad text is reported at its own index, so a client can point at the one to fix.
        *[
            _holds(
                problems, text is not None, (*at, "texts", str(i)), f"{raw.field} texts are {rule}."
            )
            for i, text in enumerate(cleaned)
        ],
    ]
    if not all(checks):
        return None
    unique = tuple(dict.fromkeys(text for text in cleaned if text is not None))
    return Condition(raw.field, raw.operator, texts=unique)


def _text(field: SegmentField, text: str) -> str | None:
    if field is SegmentField.TIER:
        return text if is_tier_key(text) else None
    return canonical_locale(text)


def rules_to_json(rules: Rules) -> dict[str, Any]:
    """The stored form (segment.rules): what `rules_from_json` reads back."""
    return {"all": [_to_json(c) for c in rules.all], "any": [_to_json(c) for c in rules.any]}


def rules_from_json(stored: dict[str, Any]) -> Rules:
    """Rules as stored by `rules_to_json` (written only after validation)."""
    return Rules(
        tuple(_from_json(c) for c in stored.get("all", ())),
        tuple(_from_json(c) for c in stored.get("any", ())),
    )


def _to_json(condition: Condition) -> dict[str, Any]:
    item: dict[str, Any] = {"field": condition.field.value, "operator": condition.operator.value}
    if condition.number is not None:
        item["number"] = str(condition.number)
    if condition.texts:
        item["texts"] = list(condition.texts)
    if condition.within_days is not None:
        item["withinDays"] = condition.within_days
    return item


def _from_json(item: dict[str, Any]) -> Condition:
    number = item.get("number")
    return Condition(
        SegmentField(item["field"]),
        SegmentOperator(item["operator"]),
        number=Decimal(number) if number is not None else None,
        texts=tuple(item.get("texts", ())),
        within_days=item.get("withinDays"),
    )
