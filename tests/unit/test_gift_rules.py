"""The gift rules of domain/gifts.py: settings, periods, yearly days, the draw, the budget."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from domain import gifts as rules
from domain.validation import InvalidInput

pytestmark = pytest.mark.unit


def _settings(**changes: object) -> rules.GiftSettings:
    base: dict[str, object] = {"kind": rules.GiftKind.WELCOME, "points": 10, "budget_points": 100}
    return rules.GiftSettings(**{**base, **changes})  # type: ignore[arg-type]


def test_a_29_february_birthday_is_kept_on_28_february_in_other_years() -> None:
    leap_day = date(2000, 2, 29)
    assert rules.celebrated_on(leap_day, 2027) == date(2027, 2, 28)
    assert rules.celebrated_on(leap_day, 2028) == date(2028, 2, 29)
    assert rules.days_celebrated(date(2027, 2, 28)) == ["02-28", "02-29"]
    assert rules.days_celebrated(date(2028, 2, 28)) == ["02-28"]
    assert rules.days_celebrated(date(2028, 2, 29)) == ["02-29"]
    assert rules.days_celebrated(date(2027, 3, 1)) == ["03-01"]


def test_budget_periods_start_on_monday_the_first_of_the_month_and_of_the_year() -> None:
    day = date(2026, 6, 18)  # a Thursday
    assert rules.period_start(rules.Period.WEEK, day) == date(2026, 6, 15)
    assert rules.period_start(rules.Period.MONTH, day) == date(2026, 6, 1)
    assert rules.period_start(rules.Period.YEAR, day) == date(2026, 1, 1)


def test_the_budget_account_never_goes_below_zero_and_a_top_up_keeps_what_was_spent() -> None:
    budget = rules.Budget(total=50, remaining=10)
    assert rules.debit(budget, 10) == rules.Budget(50, 0)
    with pytest.raises(InvalidInput):
        rules.debit(budget, 11)
    assert rules.top_up(budget, 70) == rules.Budget(70, 30)
    assert rules.top_up(budget, 20) == rules.Budget(40, 0)  # below what was spent: nothing left


def test_the_draw_is_reproducible_from_the_seed_and_the_trigger_and_near_its_probability() -> None:
    seed = "seed-for-the-unit-test"
    assert rules.draw(seed, "order:1") == rules.draw(seed, "order:1")
    assert rules.draw(seed, "order:1") != rules.draw("another-seed-entirely", "order:1")
    settings = _settings(
        kind=rules.GiftKind.SURPRISE, surprise_rule=rules.SurpriseRule.DRAW,
        draw_probability=Decimal("0.25"), draw_seed=seed,
    )  # fmt: skip
    drawn = sum(
        rules.surprise_due(settings, order_number=1, order_trigger=f"order:{n}")
        for n in range(4000)
    )
    assert 900 < drawn < 1100
    assert settings.needs_personalization


def test_every_nth_order_surprises_the_nth_orders_only() -> None:
    settings = _settings(
        kind=rules.GiftKind.SURPRISE, surprise_rule=rules.SurpriseRule.EVERY_NTH_ORDER,
        every_nth_order=10,
    )  # fmt: skip
    due = [
        n for n in range(1, 31) if rules.surprise_due(settings, order_number=n, order_trigger="")
    ]
    assert due == [10, 20, 30]
    assert rules.reason(rules.GiftKind.SURPRISE, 10) == "A thank-you for your 10th order"
    assert [rules.ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st",
    ]  # fmt: skip


def test_validation_reports_every_problem_and_fills_in_the_defaults() -> None:
    with pytest.raises(InvalidInput) as refused:
        rules.validate(
            _settings(
                points=0, budget_points=-1, member_cap=0, every_nth_order=3,
                trigger_event_type="bad type", draw_seed="short",
            )
        )  # fmt: skip
    fields = {problem.field for problem in refused.value.problems}
    assert fields == {
        ("points",), ("budgetPoints",), ("memberCap",), ("everyNthOrder",),
        ("triggerEventType",), ("drawSeed",),
    }  # fmt: skip
    thanks = rules.validate(_settings(kind=rules.GiftKind.THANK_YOU))
    assert (thanks.trigger_event_type, thanks.trigger_post_kind) == (
        "community.post_approved",
        "REVIEW",
    )
    draw = rules.validate(
        _settings(
            kind=rules.GiftKind.SURPRISE, surprise_rule=rules.SurpriseRule.DRAW,
            draw_probability=Decimal("0.1"),
        )
    )  # fmt: skip
    assert draw.draw_seed is not None
    assert len(draw.draw_seed) >= 16


def test_a_due_gift_is_skipped_for_consent_and_cap_in_that_order() -> None:
    personal = _settings(personalized=True, member_cap=1)
    assert rules.skip_reason(personal, member_active=True, consented=False, given_in_period=1) is (
        rules.SkipReason.NO_CONSENT
    )
    assert rules.skip_reason(personal, member_active=True, consented=True, given_in_period=1) is (
        rules.SkipReason.MEMBER_CAP
    )
    plain = _settings()
    assert rules.skip_reason(plain, member_active=True, consented=False, given_in_period=9) is None
    assert rules.skip_reason(plain, member_active=False, consented=True, given_in_period=0) is (
        rules.SkipReason.NOT_ACTIVE
    )


def test_a_thank_you_thanks_for_its_event_type_and_post_kind_only() -> None:
    reviews = rules.validate(_settings(kind=rules.GiftKind.THANK_YOU))
    approved = "community.post_approved"
    assert rules.thanks_for(reviews, event_type=approved, post_kind="REVIEW")
    assert not rules.thanks_for(reviews, event_type=approved, post_kind="TIP")
    assert not rules.thanks_for(reviews, event_type="community.post_created", post_kind="REVIEW")
    any_kind = rules.validate(
        _settings(kind=rules.GiftKind.THANK_YOU, trigger_event_type="member.updated")
    )
    assert rules.thanks_for(any_kind, event_type="member.updated", post_kind=None)


def test_each_trigger_names_what_made_the_gift_due_once() -> None:
    assert rules.trigger(rules.GiftKind.WELCOME) == "enrolment"
    assert rules.trigger(rules.GiftKind.BIRTHDAY, year=2026) == "birthday:2026"
    assert rules.trigger(rules.GiftKind.ANNIVERSARY, year=2027) == "anniversary:2027"
    assert rules.trigger(rules.GiftKind.SURPRISE, reference="o-1") == "order:o-1"
    assert rules.trigger(rules.GiftKind.THANK_YOU, reference="post:7") == "post:7"
