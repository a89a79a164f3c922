"""Arm assignment: a pure function of campaign and member, split by weight, holdout first."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from domain.experiments import (
    DEFAULT_ARM,
    HOLDOUT,
    Arm,
    assign,
    position,
    validate_arms,
)
from domain.validation import ErrorCode, InvalidInput, ProblemCollector

ARMS = (Arm("a", 1), Arm("b", 3))


def test_the_same_member_always_gets_the_same_arm() -> None:
    first = [assign(7, member, ARMS, 10) for member in range(2000)]
    again = [assign(7, member, ARMS, 10) for member in range(2000)]
    assert first == again


def test_arms_follow_their_weights_within_four_sigma() -> None:
    members = 20_000
    counts = Counter(assign(3, member, ARMS, 20) for member in range(members))
    for key, share in ((HOLDOUT, 0.2), ("a", 0.8 * 0.25), ("b", 0.8 * 0.75)):
        sigma = math.sqrt(members * share * (1 - share))
        assert abs(counts[key] - members * share) < 4 * sigma, (key, counts)


def test_positions_of_one_member_are_independent_across_campaigns() -> None:
    # Held out of one campaign says nothing of the next: about 10% of the first campaign's
    # holdout is also in the second's.
    held = {m for m in range(20_000) if assign(1, m, ARMS, 10) == HOLDOUT}
    both = sum(1 for m in held if assign(2, m, ARMS, 10) == HOLDOUT)
    assert abs(both / len(held) - 0.10) < 0.03
    assert 0 <= position(1, 1) < 1


def test_no_arms_is_the_default_arm_and_a_zero_holdout_holds_no_one() -> None:
    assert {assign(5, member, (), 0) for member in range(500)} == {DEFAULT_ARM}


@pytest.mark.parametrize(
    ("arms", "holdout", "field"),
    [
        ((Arm("a", 1),), 0, ("arms",)),
        ((Arm("a", 1), Arm("a", 2)), 0, ("arms", "1", "key")),
        ((Arm("holdout", 1), Arm("b", 1)), 0, ("arms", "0", "key")),
        ((Arm("A b", 1), Arm("b", 1)), 0, ("arms", "0", "key")),
        ((Arm("a", 0), Arm("b", 1)), 0, ("arms", "0", "weight")),
        ((Arm("a", 1), Arm("b", 1001)), 0, ("arms", "1", "weight")),
        ((), 51, ("holdoutPercent",)),
        (tuple(Arm(f"a{i}", 1) for i in range(11)), 0, ("arms",)),
    ],
)
def test_invalid_experiments_are_refused_at_their_field(
    arms: tuple[Arm, ...], holdout: int, field: tuple[str, ...]
) -> None:
    problems = ProblemCollector()
    validate_arms(problems, arms, holdout, code=ErrorCode.INVALID_ID)
    with pytest.raises(InvalidInput) as failure:
        problems.raise_if_any()
    assert [problem.field for problem in failure.value.problems] == [field]
