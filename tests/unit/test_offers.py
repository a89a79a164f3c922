"""Campaign offers as pure rules: the best offer in force, the discount, the multiplier line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from domain.earning import Order, order_points
from domain.offers import Offer, best_offer, discounted_price
from domain.points_config import PointsConfig, Rounding

AT = datetime(2026, 6, 15, tzinfo=UTC)
DAY = timedelta(days=1)


def offer(campaign_id: int, value: str, starts: int | None, ends: int | None, exposed: int = 0):
    return Offer(
        campaign_id,
        Decimal(value),
        None if starts is None else AT + starts * DAY,
        None if ends is None else AT + ends * DAY,
        AT + exposed * DAY,
    )


def test_an_offer_holds_inside_its_window_after_the_exposure_end_excluded() -> None:
    held = offer(1, "2", 1, 5, exposed=2)
    assert [held.applies_at(AT + n * DAY) for n in range(7)] == [
        False, False, True, True, True, False, False,
    ]  # fmt: skip
    assert offer(1, "2", None, None).applies_at(AT + 1000 * DAY)


def test_the_best_offer_in_force_wins_and_ties_go_to_the_earliest_campaign() -> None:
    offers = [offer(1, "1.5", 0, 10), offer(2, "3", 5, 10), offer(3, "3", 0, 10)]
    assert best_offer(offers, AT + DAY) == offers[2]
    assert best_offer(offers, AT + 6 * DAY) == offers[1]
    assert best_offer(offers, AT + 11 * DAY) is None
    assert best_offer([], AT) is None


@pytest.mark.parametrize(
    ("price", "percent", "pays"),
    [(99, 25, 74), (100, 25, 75), (1, 50, 0), (10, 100, 0), (7, 1, 6), (0, 30, 0)],
)
def test_a_discount_is_rounded_once_in_the_members_favour(price: int, percent: int, pays: int):
    discounted = discounted_price(price, percent)
    assert (discounted.price, discounted.discount) == (pays, price - pays)


@pytest.mark.parametrize("percent", [0, -1, 101])
def test_a_discount_outside_1_to_100_is_a_bug(percent: int) -> None:
    with pytest.raises(ValueError, match="percent"):
        discounted_price(10, percent)


def test_the_multiplier_is_its_own_line_on_base_points_rounded_once() -> None:
    config = PointsConfig(rounding=Rounding.DOWN)
    computation = order_points(
        Order("o", Decimal("3.33"), "EUR"), config, offer_multiplier=Decimal("3")
    )
    assert computation.points == 9  # 9.99 rounded once, not 3 + 6.66 rounded twice upwards
    assert [(line.code, line.points) for line in computation.lines] == [
        ("BASE", 3),
        ("CAMPAIGN", 6),
    ]
    with_tier = order_points(
        Order("o", Decimal("10"), "EUR"),
        config,
        tier_multiplier=Decimal("1.5"),
        offer_multiplier=Decimal("2"),
    )
    # The tier multiplies all the order earns, the campaign's extra included: 10 x 2 x 1.5.
    assert [(line.code, line.points) for line in with_tier.lines] == [
        ("BASE", 10), ("CAMPAIGN", 10), ("TIER", 10),
    ]  # fmt: skip
