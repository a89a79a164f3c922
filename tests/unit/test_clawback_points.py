"""How many points a return takes back: in proportion to value, cumulatively, rounding what the
member keeps of the order by the program's rule."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.earning import clawback_points
from domain.points_config import Rounding

pytestmark = pytest.mark.unit

D = Decimal
DOWN, HALF_UP, UP = Rounding.DOWN, Rounding.HALF_UP, Rounding.UP


def claw(
    earned: int,
    total: str,
    before: str,
    returning: str,
    clawed: int = 0,
    rounding: Rounding = HALF_UP,
) -> int:
    return clawback_points(
        earned=earned,
        order_total=D(total),
        returned_before=D(before),
        returning=D(returning),
        clawed_before=clawed,
        rounding=rounding,
    )


def test_clawback_is_proportional_and_cumulative() -> None:
    first = claw(10, "3", "0", "1")
    second = claw(10, "3", "1", "1", first)
    third = claw(10, "3", "2", "1", first + second)
    assert (first, second, third) == (3, 4, 3)
    assert claw(100, "200", "0", "50") == 25


@pytest.mark.parametrize(
    ("rounding", "thirds", "half"),
    [(DOWN, (4, 3, 3), 2), (HALF_UP, (3, 4, 3), 1), (UP, (3, 3, 4), 1)],
)
def test_clawback_rounds_what_the_member_keeps_by_the_program_rule(
    rounding: Rounding, thirds: tuple[int, int, int], half: int
) -> None:
    # 10 points on 3.00 returned a third at a time: the member keeps 6.67, then 3.33, then 0.
    first = claw(10, "3", "0", "1", rounding=rounding)
    second = claw(10, "3", "1", "1", first, rounding=rounding)
    third = claw(10, "3", "2", "1", first + second, rounding=rounding)
    assert (first, second, third) == thirds
    assert claw(3, "2", "0", "1", rounding=rounding) == half  # the member keeps 1.5 of 3


def test_clawback_never_gives_points_back_when_the_rule_changed() -> None:
    first = claw(10, "3", "0", "1", rounding=DOWN)  # keeps 6 of 6.67
    assert first == 4
    assert claw(10, "3", "1", "0.01", first, rounding=UP) == 0  # UP would keep 7 of 6.63


def test_clawback_of_a_zero_total_order_takes_everything_on_any_return() -> None:
    assert claw(7, "0", "0", "0") == 0
    assert claw(7, "0", "0", "0.01", 2) == 5


@given(
    st.integers(0, 10**7),
    st.lists(st.integers(1, 10**6), min_size=1, max_size=8),
    st.sampled_from(list(Rounding)),
)
@settings(max_examples=300, deadline=None, database=None)
def test_partial_returns_give_back_exactly_what_was_earned(
    earned: int, cents: list[int], rounding: Rounding
) -> None:
    parts = [str(D(part) / 100) for part in cents]
    total, returned, clawed = str(sum(D(part) / 100 for part in cents)), D(0), 0
    for part in parts:
        points = claw(earned, total, str(returned), part, clawed, rounding)
        assert 0 <= points <= earned - clawed
        returned, clawed = returned + D(part), clawed + points
    assert clawed == earned
