"""Clocks: the system clock, a fixed clock that tests move, and local dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from domain.clock import FixedClock, SystemClock, local_today

pytestmark = pytest.mark.unit

NEW_YEAR_EVE = datetime(2026, 1, 1, 23, 30, tzinfo=UTC)


def test_system_clock_is_aware_utc() -> None:
    now = SystemClock().now()
    assert now.tzinfo is not None
    assert now.utcoffset() == timedelta(0)


def test_fixed_clock_refuses_naive_datetime() -> None:
    with pytest.raises(ValueError, match="aware"):
        FixedClock(datetime(2026, 1, 1, 12, 0))  # noqa: DTZ001


def test_fixed_clock_accepts_non_utc_aware_datetime() -> None:
    paris_winter = timezone(timedelta(hours=1))
    at = datetime(2026, 1, 2, 0, 30, tzinfo=paris_winter)
    assert FixedClock(at).now() == NEW_YEAR_EVE


@pytest.mark.parametrize(
    ("by", "expected"),
    [
        (timedelta(0), NEW_YEAR_EVE),
        (timedelta(minutes=30), datetime(2026, 1, 2, 0, 0, tzinfo=UTC)),
        (timedelta(days=31), datetime(2026, 2, 1, 23, 30, tzinfo=UTC)),
        (timedelta(hours=-24), datetime(2025, 12, 31, 23, 30, tzinfo=UTC)),
    ],
)
def test_fixed_clock_advance(by: timedelta, expected: datetime) -> None:
    clock = FixedClock(NEW_YEAR_EVE)
    clock.advance(by)
    assert clock.now() == expected


def test_fixed_clock_advances_cumulatively() -> None:
    clock = FixedClock(NEW_YEAR_EVE)
    clock.advance(timedelta(minutes=20))
    clock.advance(timedelta(minutes=20))
    assert clock.now() == NEW_YEAR_EVE + timedelta(minutes=40)


def test_fixed_clock_set_moves_to_given_instant() -> None:
    clock = FixedClock(NEW_YEAR_EVE)
    later = datetime(2030, 6, 1, tzinfo=UTC)
    clock.set(later)
    assert clock.now() == later
    clock.set(NEW_YEAR_EVE)
    assert clock.now() == NEW_YEAR_EVE


def test_fixed_clock_set_refuses_naive_datetime() -> None:
    clock = FixedClock(NEW_YEAR_EVE)
    with pytest.raises(ValueError, match="aware"):
        clock.set(datetime(2026, 1, 1, 12, 0))  # noqa: DTZ001


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("UTC", date(2026, 1, 1)),
        ("Europe/London", date(2026, 1, 1)),
        ("Europe/Paris", date(2026, 1, 2)),
        ("Asia/Tokyo", date(2026, 1, 2)),
        ("Pacific/Kiritimati", date(2026, 1, 2)),
        ("America/New_York", date(2026, 1, 1)),
        ("America/Los_Angeles", date(2026, 1, 1)),
        ("Pacific/Pago_Pago", date(2026, 1, 1)),
    ],
)
def test_local_today_across_the_date_line(zone: str, expected: date) -> None:
    assert local_today(FixedClock(NEW_YEAR_EVE), zone) == expected


def test_local_today_follows_the_clock() -> None:
    clock = FixedClock(datetime(2026, 1, 1, 14, 59, tzinfo=UTC))
    assert local_today(clock, "Asia/Tokyo") == date(2026, 1, 1)
    clock.advance(timedelta(minutes=1))
    assert local_today(clock, "Asia/Tokyo") == date(2026, 1, 2)


def test_local_today_respects_daylight_saving() -> None:
    # 04:30 UTC is 00:30 EDT (UTC-4) in July but 23:30 EST (UTC-5) the previous day in January.
    summer = FixedClock(datetime(2026, 7, 10, 4, 30, tzinfo=UTC))
    winter = FixedClock(datetime(2026, 1, 10, 4, 30, tzinfo=UTC))
    assert local_today(summer, "America/New_York") == date(2026, 7, 10)
    assert local_today(winter, "America/New_York") == date(2026, 1, 9)
