"""Segment rules: validation and bounds (domain/segments.py), the derived behavioural flag, the
stored form, and the compiled SQL carrying every value as a placeholder."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from domain.segments import (
    MAX_CONDITIONS,
    ConditionInput,
    SegmentField,
    SegmentOperator,
    rules_from_json,
    rules_to_json,
    validate_segment,
)
from domain.validation import ErrorCode, InvalidInput
from loyalty.insights.segment_sql import compile_rules

pytestmark = pytest.mark.unit

F, OP = SegmentField, SegmentOperator
NOW = datetime(2026, 6, 15, tzinfo=UTC)


def _valid(*all: ConditionInput, any: tuple[ConditionInput, ...] = ()) -> object:
    return validate_segment(
        name="Gold at risk",
        description=None,
        all_conditions=all,
        any_conditions=any,
        member_visible=False,
    )


def _problems(*all: ConditionInput) -> list[tuple[tuple[str, ...], ErrorCode]]:
    with pytest.raises(InvalidInput) as refused:
        _valid(*all)
    return [(p.field, p.code) for p in refused.value.problems]


def test_gold_members_at_risk_is_behavioural_and_round_trips() -> None:
    details = validate_segment(
        name="  Gold at risk ",
        description="Gold members likely to churn",
        all_conditions=[
            ConditionInput(F.TIER, OP.EQ, texts=("gold",)),
            ConditionInput(F.CHURN_PROBABILITY, OP.GTE, number=Decimal("0.6")),
        ],
        any_conditions=[],
        member_visible=True,
    )
    assert details.name == "Gold at risk"
    assert details.rules.behavioural
    assert rules_from_json(rules_to_json(details.rules)) == details.rules


def test_tier_points_and_member_fields_alone_are_not_behavioural() -> None:
    details = _valid(
        ConditionInput(F.TIER, OP.IN, texts=("gold", "silver", "gold")),
        ConditionInput(F.POINTS_EXPIRING, OP.GT, number=Decimal(0), within_days=30),
        ConditionInput(F.LOCALE, OP.EQ, texts=("pt-br",)),
    )
    assert not details.rules.behavioural  # type: ignore[attr-defined]
    tier, _, locale = details.rules.all  # type: ignore[attr-defined]
    assert tier.texts == ("gold", "silver")  # duplicates dropped
    assert locale.texts == ("pt-BR",)  # canonical case


@pytest.mark.parametrize(
    ("condition", "field"),
    [
        (ConditionInput(F.RECENCY_SCORE, OP.GTE, number=Decimal(6)), "number"),
        (ConditionInput(F.RECENCY_SCORE, OP.GTE, number=Decimal("2.5")), "number"),
        (ConditionInput(F.CHURN_PROBABILITY, OP.GTE, number=Decimal("1.01")), "number"),
        (ConditionInput(F.CHURN_PROBABILITY, OP.GTE, number=Decimal("0.12345")), "number"),
        (ConditionInput(F.CHURN_PROBABILITY, OP.GTE), "number"),
        (ConditionInput(F.DAYS_SINCE_LAST_ORDER, OP.IN, number=Decimal(9)), "operator"),
        (ConditionInput(F.POINTS_EXPIRING, OP.GT, number=Decimal(0)), "withinDays"),
        (
            ConditionInput(F.POINTS_EXPIRING, OP.GT, number=Decimal(0), within_days=366),
            "withinDays",
        ),
        (ConditionInput(F.ORDER_COUNT, OP.GT, number=Decimal(0), within_days=3), "withinDays"),
        (ConditionInput(F.TIER, OP.LT, texts=("gold",)), "operator"),
        (ConditionInput(F.TIER, OP.EQ, texts=("Gold'; DROP TABLE member; --",)), "texts.0"),
        (ConditionInput(F.TIER, OP.EQ, texts=("gold", "silver")), "texts"),
        (ConditionInput(F.TIER, OP.IN, texts=tuple(f"t{i}" for i in range(21))), "texts"),
        (ConditionInput(F.LOCALE, OP.EQ, texts=("not a locale",)), "texts.0"),
        (ConditionInput(F.LOCALE, OP.EQ, number=Decimal(1), texts=("en",)), "number"),
    ],
)
def test_out_of_range_or_mistyped_conditions_are_refused(
    condition: ConditionInput, field: str
) -> None:
    # A bad text is reported at its own index ("texts.0"), a bad count at the list.
    at = ("rules", "all", "0", *field.split("."))
    assert _problems(condition) == [(at, ErrorCode.INVALID_SEGMENT_RULES)]


def test_too_many_conditions_and_a_bad_name_are_all_reported() -> None:
    many = [ConditionInput(F.ORDER_COUNT, OP.GT, number=Decimal(i)) for i in range(MAX_CONDITIONS)]
    with pytest.raises(InvalidInput) as refused:
        validate_segment(
            name="\n",
            description="x" * 501,
            all_conditions=many,
            any_conditions=many[:1],
            member_visible=False,
        )
    codes = {(p.field, p.code) for p in refused.value.problems}
    assert codes == {
        (("name",), ErrorCode.INVALID_NAME),
        (("description",), ErrorCode.INVALID_DESCRIPTION),
        (("rules",), ErrorCode.INVALID_SEGMENT_RULES),
    }


def test_compiled_sql_carries_every_value_as_a_placeholder() -> None:
    details = _valid(
        ConditionInput(F.TIER, OP.EQ, texts=("gold",)),
        ConditionInput(F.DAYS_SINCE_LAST_ORDER, OP.GTE, number=Decimal(90)),
        any=(
            ConditionInput(F.POINTS_EXPIRING, OP.GT, number=Decimal(0), within_days=30),
            ConditionInput(F.LOCALE, OP.IN, texts=("en", "pt-BR")),
        ),
    )
    sql, params = compile_rules(
        details.rules,  # type: ignore[attr-defined]
        program_id=7,
        now=NOW,
        first_placeholder=3,
    )
    assert params[:2] == [7, NOW]
    for value in ("gold", "pt-BR", "90"):
        assert value not in sql
    assert "$3::bigint" in sql
    assert f"${2 + len(params)}" in sql
    assert f"${3 + len(params)}" not in sql
    assert params[-2:] == ["profiling", "CONSENT"]  # behavioural: consent judged in SQL
