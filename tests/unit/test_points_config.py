"""A program's points configuration: validation rules and expiry dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.points_config import (
    Bonus,
    Cap,
    CapPeriod,
    Expiry,
    ExpiryMode,
    PointsConfig,
    validate_points_config,
)
from domain.validation import ErrorCode, InvalidInput

pytestmark = pytest.mark.unit

D = Decimal
DAYS, MONTHS, NEVER = ExpiryMode.AFTER_DAYS, ExpiryMode.AFTER_MONTHS, ExpiryMode.NEVER
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Pacific/Auckland", "Asia/Kolkata"]


def fields(config: PointsConfig) -> list[str]:
    """The fields validation refuses ([] when accepted); every problem is INVALID_POINTS_CONFIG."""
    try:
        validate_points_config(config)
    except InvalidInput as error:
        problems = error.problems
    else:
        return []
    assert {problem.code for problem in problems} == {ErrorCode.INVALID_POINTS_CONFIG}
    return [problem.field[0] for problem in problems]


def test_defaults_and_a_full_configuration_are_accepted() -> None:
    assert validate_points_config(PointsConfig()) == PointsConfig()
    config = PointsConfig(
        earn_rate=D("2.5"),
        bonuses=(Bonus(D(2), sku="A"), Bonus(D(3), category="shoes")),
        events={"signup": 50, "first_review": 10, "level2": 5},
        cap=Cap(CapPeriod.MONTH, 1000),
        pending_days=14,
        expiry=Expiry(MONTHS, 12, round_to_month_end=True),
    )
    assert validate_points_config(config) is config


@pytest.mark.parametrize(
    "config",
    [
        PointsConfig(earn_rate=D(0)),
        PointsConfig(earn_rate=D(10_000)),
        PointsConfig(bonuses=(Bonus(D(1), sku="A"), Bonus(D(100), category="c"))),
        PointsConfig(pending_days=365),
        PointsConfig(pending_days=14, expiry=Expiry(DAYS, 15)),
        PointsConfig(pending_days=27, expiry=Expiry(MONTHS, 1)),
        PointsConfig(expiry=Expiry(NEVER, 0)),
        PointsConfig(cap=Cap(CapPeriod.DAY, 1)),
    ],
)
def test_boundaries_are_accepted(config: PointsConfig) -> None:
    assert fields(config) == []


@pytest.mark.parametrize(
    ("config", "field"),
    [
        (PointsConfig(earn_rate=D("-0.01")), "earnRate"),
        (PointsConfig(earn_rate=D("10000.01")), "earnRate"),
        (PointsConfig(earn_rate=D("Infinity")), "earnRate"),
        (PointsConfig(earn_rate=D("sNaN")), "earnRate"),
        (PointsConfig(earn_rate=D("1E-1000000")), "earnRate"),  # in range, but no rate
        (PointsConfig(earn_rate=D("0.0000001")), "earnRate"),
        (PointsConfig(earn_rate=D("1.000000000000000000000000000000001")), "earnRate"),
        (PointsConfig(bonuses=(Bonus(D("1.001"), sku="A"),)), "bonuses"),
        (PointsConfig(bonuses=(Bonus(D("0E-1000000"), sku="A"),)), "bonuses"),
        (PointsConfig(bonuses=(Bonus(D(2), sku="A\x00"),)), "bonuses"),
        (PointsConfig(bonuses=(Bonus(D(2), category="c\ud800"),)), "bonuses"),
        (PointsConfig(bonuses=(Bonus(D(2), sku=" A"),)), "bonuses"),
        (PointsConfig(bonuses=(Bonus(D(2), category="c" * 129),)), "bonuses"),
        (PointsConfig(events={"signup\x00": 5}), "events"),
        (PointsConfig(bonuses=(Bonus(D(2)),)), "bonuses"),  # neither sku nor category
        (PointsConfig(bonuses=(Bonus(D(2), sku="A", category="c"),)), "bonuses"),  # both
        (PointsConfig(bonuses=(Bonus(D("0.99"), sku="A"),)), "bonuses"),
        (PointsConfig(bonuses=(Bonus(D("100.01"), sku="A"),)), "bonuses"),
        (PointsConfig(events={"": 5}), "events"),
        (PointsConfig(events={"Signup": 5}), "events"),
        (PointsConfig(events={"sign-up": 5}), "events"),
        (PointsConfig(events={"sign up": 5}), "events"),
        (PointsConfig(events={"_": 5}), "events"),
        (PointsConfig(events={"signup": 0}), "events"),
        (PointsConfig(events={"signup": -5}), "events"),
        (PointsConfig(cap=Cap(CapPeriod.WEEK, 0)), "cap"),
        (PointsConfig(cap=Cap(CapPeriod.WEEK, 2**31)), "cap"),  # no GraphQL Int could show it
        (PointsConfig(pending_days=-1), "pendingDays"),
        (PointsConfig(pending_days=366), "pendingDays"),
        (PointsConfig(expiry=Expiry(DAYS, 0)), "expiry"),
        (PointsConfig(expiry=Expiry(MONTHS, -1)), "expiry"),
        (PointsConfig(pending_days=14, expiry=Expiry(DAYS, 14)), "expiry"),  # expires pending
        (PointsConfig(pending_days=28, expiry=Expiry(MONTHS, 1)), "expiry"),  # Feb has 28 days
    ],
)
def test_each_rule_refuses(config: PointsConfig, field: str) -> None:
    assert fields(config) == [field]


def test_every_problem_is_reported_at_once() -> None:
    config = PointsConfig(
        earn_rate=D(-1),
        bonuses=(Bonus(D(0)),),
        events={"Bad": 0},
        cap=Cap(CapPeriod.DAY, 0),
        pending_days=400,
        expiry=Expiry(DAYS, 0),
    )
    expected = [
        "earnRate",
        "bonuses",
        "bonuses",
        "events",
        "events",
        "cap",
        "pendingDays",
        "expiry",
    ]
    assert fields(config) == expected


def test_problems_sit_at_their_input_paths() -> None:
    config = PointsConfig(
        bonuses=(Bonus(D(2), sku="A"), Bonus(D(0), sku="B\x00", category="c")),
        events={"signup": 5, "Bad": 0},
    )
    with pytest.raises(InvalidInput) as caught:
        validate_points_config(config)
    assert [problem.field for problem in caught.value.problems] == [
        ("bonuses", "1"),
        ("bonuses", "1", "sku"),
        ("bonuses", "1", "multiplier"),
        ("events", "1", "name"),
        ("events", "1", "points"),
    ]


@pytest.mark.parametrize(
    "config",
    [PointsConfig(earn_rate=D("NaN")), PointsConfig(bonuses=(Bonus(D("NaN"), sku="A"),))],
)
def test_nan_numbers_are_refused(config: PointsConfig) -> None:
    assert fields(config) != []


@pytest.mark.parametrize("expiry", [Expiry(DAYS, 3_000_000), Expiry(MONTHS, 100_000)])
def test_an_accepted_expiry_can_be_computed(expiry: Expiry) -> None:
    if not fields(PointsConfig(expiry=expiry)):
        assert expiry.expires_at(datetime(2026, 1, 1, tzinfo=UTC), "UTC") is not None


def test_multiplier_for_picks_the_highest_matching_bonus() -> None:
    config = PointsConfig(bonuses=(Bonus(D(2), sku="A"), Bonus(D(3), category="c")))
    assert config.multiplier_for("A", "c") == Bonus(D(3), category="c")
    assert config.multiplier_for("A", None) == Bonus(D(2), sku="A")
    assert config.multiplier_for("B", "c") == Bonus(D(3), category="c")
    assert config.multiplier_for("B", None) is None


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expiry", "earned", "expires"),
    [
        (Expiry(DAYS, 30), utc(2024, 1, 15, 10), utc(2024, 2, 15)),  # usable through Feb 14
        (Expiry(DAYS, 1), utc(2024, 2, 29, 23, 59), utc(2024, 3, 2)),
        (Expiry(MONTHS, 1), utc(2024, 1, 31, 12), utc(2024, 3, 1)),  # Jan 31 + 1 month: Feb 29
        (Expiry(MONTHS, 1), utc(2023, 1, 31, 12), utc(2023, 3, 1)),  # ... or Feb 28
        (Expiry(MONTHS, 1), utc(2024, 3, 31, 12), utc(2024, 5, 1)),  # Apr 30
        (Expiry(MONTHS, 12), utc(2024, 2, 29, 12), utc(2025, 3, 1)),  # Feb 28, 2025
        (Expiry(MONTHS, 13), utc(2024, 12, 15), utc(2026, 1, 16)),
        (Expiry(DAYS, 10, round_to_month_end=True), utc(2024, 1, 25), utc(2024, 3, 1)),
        (Expiry(MONTHS, 1, round_to_month_end=True), utc(2024, 1, 10), utc(2024, 3, 1)),
        (Expiry(MONTHS, 1, round_to_month_end=True), utc(2024, 11, 30), utc(2025, 1, 1)),
    ],
)
def test_expiry_dates_in_utc(expiry: Expiry, earned: datetime, expires: datetime) -> None:
    assert expiry.expires_at(earned, "UTC") == expires


def test_never_expires() -> None:
    assert Expiry().expires_at(utc(2024, 1, 1), "Europe/Berlin") is None
    assert Expiry(NEVER, 30).expires_at(utc(2024, 1, 1), "Europe/Berlin") is None


@pytest.mark.parametrize(
    ("expiry", "earned", "zone", "expires"),
    [
        # 23:30 UTC on Jan 31 is already Feb 1 in Berlin: usable through Feb 2 local time.
        (Expiry(DAYS, 1), utc(2024, 1, 31, 23, 30), "Europe/Berlin", utc(2024, 2, 2, 23)),
        # 03:00 UTC on Mar 1 is still Feb 29 in New York; midnight after Mar 29 is EDT (-4).
        (Expiry(MONTHS, 1), utc(2024, 3, 1, 3), "America/New_York", utc(2024, 3, 30, 4)),
        # Auckland is 13 hours ahead in January.
        (Expiry(DAYS, 0), utc(2024, 1, 10, 12), "Pacific/Auckland", utc(2024, 1, 11, 11)),
    ],
)
def test_points_expire_at_local_midnight_after_the_last_day(
    expiry: Expiry, earned: datetime, zone: str, expires: datetime
) -> None:
    result = expiry.expires_at(earned, zone)
    assert result == expires
    assert result is not None
    local = result.astimezone(ZoneInfo(zone))
    assert (local.hour, local.minute) == (0, 0)


# hypothesis takes naive bounds and attaches the zone itself
moments = st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC))  # noqa: DTZ001


@given(moments, st.sampled_from(ZONES), st.integers(1, 1000), st.booleans())
@settings(max_examples=200, deadline=None, database=None)
def test_after_days_ends_at_the_local_midnight_after_the_last_day(
    earned: datetime, zone: str, days: int, month_end: bool
) -> None:
    expires = Expiry(DAYS, days, month_end).expires_at(earned, zone)
    assert expires is not None
    local = expires.astimezone(ZoneInfo(zone))
    last_day = local.date() - timedelta(days=1)
    earned_on = earned.astimezone(ZoneInfo(zone)).date()
    assert local.time().isoformat() == "00:00:00"
    if month_end:
        assert local.day == 1
        assert last_day >= earned_on + timedelta(days=days)
    else:
        assert last_day == earned_on + timedelta(days=days)


@given(
    moments,
    st.sampled_from(ZONES),
    st.integers(0, 365),
    st.sampled_from([DAYS, MONTHS]),
    st.integers(1, 400),
    st.booleans(),
)
@settings(max_examples=300, deadline=None, database=None)
def test_accepted_points_never_expire_before_their_pending_window_ends(
    earned: datetime, zone: str, pending: int, mode: ExpiryMode, amount: int, month_end: bool
) -> None:
    config = PointsConfig(pending_days=pending, expiry=Expiry(mode, amount, month_end))
    if not fields(config):
        expires = config.expiry.expires_at(earned, zone)
        assert expires is not None
        assert expires > earned + timedelta(days=pending)


def test_listed_events_are_judged_as_listed() -> None:
    listed = [("ok_one", 5), ("ok_one", 0), ("Bad", 1)]
    with pytest.raises(InvalidInput) as caught:
        validate_points_config(PointsConfig(events=dict(listed)), listed_events=listed)
    assert [(p.field, p.code) for p in caught.value.problems] == [
        (("events", "1", "name"), ErrorCode.DUPLICATE_RULE),
        (("events", "1", "points"), ErrorCode.INVALID_POINTS_CONFIG),
        (("events", "2", "name"), ErrorCode.INVALID_POINTS_CONFIG),
    ]
